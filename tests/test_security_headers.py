"""Security headers on every kind of response, pages that load nothing from elsewhere, and the session cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.models import Role
from survey_app.services import api_tokens
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_staff, make_world
from tests.test_csrf import grid_world, log_in, routes_of
from tests.test_permissions import GRID_ROUTES, PUBLIC

ORIGIN = "testserver"
# Attributes that name a URL the browser loads, submits to or navigates to.
URL_ATTRIBUTES = ["src", "href", "action", "formaction", "poster", "data", "cite", "srcset"] + [
    f"hx-{verb}" for verb in ("get", "post", "put", "patch", "delete")
]


def csp(response: httpx.Response) -> dict[str, list[str]]:
    header = response.headers.get("content-security-policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def check_headers(response: httpx.Response, what: str) -> None:
    policy = csp(response)
    assert policy, f"{what}: no Content-Security-Policy"
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"], f"{what}: script-src {scripts}"  # no 'unsafe-inline', no other origin
    assert policy["default-src"] == ["'self'"], what
    assert policy["frame-ancestors"] == ["'none'"], what
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"], what
    assert response.headers["x-content-type-options"] == "nosniff", what
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer", "strict-origin"), what


def foreign_urls(html: str) -> list[str]:
    """Every URL in the page that is not on this site, and every inline script or event handler."""
    page = BeautifulSoup(html, "html.parser")
    found = []
    for tag in page.find_all(True):
        for attribute in URL_ATTRIBUTES:
            value = tag.get(attribute)
            if not isinstance(value, str):
                continue
            urls = [u.split()[0] for u in value.split(",") if u.strip()] if attribute == "srcset" else [value]
            for url in filter(None, urls):
                parts = urlsplit(url.strip())
                if parts.scheme in ("", "http", "https") and parts.netloc in ("", ORIGIN):
                    continue
                if parts.scheme in (
                    "data",
                    "mailto",
                    "tel",
                ):  # not an origin: nothing is fetched from elsewhere
                    continue
                found.append(f"<{tag.name} {attribute}={url!r}>")
        found += [f"<{tag.name} {name}=…>" for name in tag.attrs if name.lower().startswith("on")]
        if tag.name == "script" and (not tag.get("src") or tag.string):
            found.append("inline <script>")
    return found


def check_page(response: httpx.Response, what: str) -> None:
    check_headers(response, what)
    if response.headers.get("content-type", "").startswith("text/html"):
        assert not foreign_urls(response.text), f"{what}: {foreign_urls(response.text)}"


def test_every_get_page_in_the_grid(app: FastAPI, session: Session, settings: Settings) -> None:
    world, ids = grid_world(session, settings)
    admin = make_staff(session, Role.admin)
    _, api_key = api_tokens.create(session, user=admin, name="BI")
    checked = 0
    static: set[str] = set()
    with (
        TestClient(app, follow_redirects=False) as staff,
        TestClient(app, follow_redirects=False) as municipality,
        TestClient(app, follow_redirects=False) as anonymous,
    ):
        log_in(staff, "admin", world)
        log_in(municipality, "municipality", world)
        for name, (method, template, _) in GRID_ROUTES.items():
            if method != "GET":
                continue
            path = template.format(**ids)
            if name.startswith("respondent_"):
                r = municipality.get(path)
            elif name.startswith("api_"):
                r = anonymous.get(path, headers={"Authorization": f"Bearer {api_key}"})
            else:
                r = staff.get(path)
            check_page(r, f"{name} {path} ({r.status_code})")
            # Answers and personal data: no browser or proxy keeps a copy of a page, an export or an API answer.
            assert r.headers.get("cache-control") == "no-store", f"{name} {path}"
            page = (
                BeautifulSoup(r.text, "html.parser") if "html" in r.headers.get("content-type", "") else None
            )
            for tag in page.select("[src], link[href]") if page else []:
                static.add(urlsplit(tag.get("src") or tag["href"]).path)
            checked += 1
            # The htmx fragment of the same page is covered too.
            fragment = staff.get(path, headers={"HX-Request": "true"}) if name.startswith("staff_") else None
            if fragment is not None:
                check_page(fragment, f"{name} fragment")
        for route in routes_of(app.routes):
            if route.name not in PUBLIC or "{" in route.path or "GET" not in route.methods:
                continue
            r = anonymous.get(route.path)
            check_page(r, f"{route.name} ({r.status_code})")
            checked += 1
        assert static >= {"/static/app.js", "/static/app.css"}, static
        for path in sorted(p for p in static if p.startswith("/static/")):
            r = anonymous.get(path)
            assert r.status_code == 200, path
            check_headers(r, path)
            assert "no-store" not in r.headers.get("cache-control", ""), (
                path
            )  # versioned assets may be cached
            kind = {".js": "javascript", ".css": "text/css"}.get(path[path.rfind(".") :], "")
            assert kind in r.headers["content-type"], (path, r.headers["content-type"])  # nosniff needs it
    assert checked > 30


def test_error_pages(app: FastAPI, session: Session) -> None:
    def crash() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test/krasj", crash)
    make_staff(session, Role.leser)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        pages = [
            (404, client.get("/finnes-ikke")),
            (401, client.get("/svar")),
            (403, client.post("/ansatt/logg-inn", data={"email": "uten-token"})),
            (405, client.get("/ansatt/logg-ut")),
            (413, client.post("/ansatt/logg-inn", content=b"a=" + b"x" * 2_000_000)),
            (500, client.get("/test/krasj")),
            (401, client.get("/api/v1/runder")),  # JSON
        ]
        log_in(client, "leser")
        pages.append((403, client.get("/ansatt/brukere")))
    for status, r in pages:
        assert r.status_code == status, (status, r.text[:300])
        check_page(r, f"error {status} {r.request.method} {r.request.url.path}")


def session_cookie(response: httpx.Response) -> dict[str, str]:
    """The session cookie's attributes from Set-Cookie, names lower-cased (a flag maps to "")."""
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "innspill_session":
            attributes = {}
            for part in rest.split(";")[1:]:
                key, _, value = part.strip().partition("=")
                attributes[key.lower()] = value.lower()
            return attributes
    raise AssertionError("no session cookie set")


def test_session_cookie_is_httponly_and_samesite_lax(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    make_staff(session, Role.radgiver)
    with TestClient(app, follow_redirects=False) as client:
        token = csrf_of(client, "/ansatt/logg-inn")
        login = client.post(
            "/ansatt/logg-inn",
            data={"csrf_token": token, "email": "radgiver@fylke.test", "password": PASSWORD},
        )
        link = client.get(world.link("3005"))
    for r in (login, link):
        cookie = session_cookie(r)
        assert "httponly" in cookie and cookie["samesite"] == "lax" and cookie["path"] == "/"
        assert cookie["max-age"] == str(settings.session_max_age_seconds)
        assert "secure" not in cookie  # plain http in development: a Secure cookie would never come back


def test_session_cookie_is_secure_behind_https(session: Session, settings: Settings, engine) -> None:
    app = create_app(settings.model_copy(update={"secure_cookies": True}), engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        r = client.get("/ansatt/logg-inn")
    cookie = session_cookie(r)
    assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "lax"
    # Served over HTTPS only: the browser is told to keep to it.
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_no_hsts_without_secure_cookies(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/ansatt/logg-inn").headers
