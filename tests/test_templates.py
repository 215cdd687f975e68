"""Every template compiles, and every page says what it needs in its opening comment."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from survey_app.config import PROJECT_ROOT
from survey_app.templating import make_templates, url_for
from tests.test_csrf import routes_of

TEMPLATES = PROJECT_ROOT / "templates"
ALL = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("name", ALL)
def test_template_compiles_and_documents_itself(name: str) -> None:
    env = make_templates(TEMPLATES).env
    env.get_template(name)
    assert (TEMPLATES / name).read_text(encoding="utf-8").lstrip().startswith("{#"), (
        f"{name} should open with a {{# purpose. Required context: … #}} comment"
    )


def test_no_asset_comes_from_another_site() -> None:
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path


def test_vendored_assets_exist() -> None:
    from survey_app.templating import VENDOR

    static = Path(PROJECT_ROOT / "survey_app" / "static")
    for asset in VENDOR.values():
        assert (static / asset).stat().st_size > 10_000, asset


def test_url_for_gives_what_starlette_gives_for_every_route(app: FastAPI) -> None:
    """Templates look routes up by name (templating.url_for); the result is Starlette's, for every route."""
    request = Request(
        {
            "type": "http",
            "app": app,
            "router": app.router,
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "query_string": b"",
        }
    )
    leaves = list(routes_of(app.routes))
    assert leaves and {r.name for r in leaves} == set(app.state.routes_by_name)
    for route in leaves:
        params = {
            name: 7 if conv.regex == "[0-9]+" else "ab" for name, conv in route.param_convertors.items()
        }
        assert url_for({"request": request}, route.name, **params) == request.url_for(route.name, **params)
    static = url_for({"request": request}, "static", path="app.js")
    assert str(static) == "http://testserver/static/app.js"
