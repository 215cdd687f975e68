"""Every template compiles, and every page says what it needs in its opening comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.config import PROJECT_ROOT
from survey_app.templating import make_templates

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
