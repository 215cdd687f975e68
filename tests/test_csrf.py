"""CSRF: every state-changing route refuses a request without this session's token, and changes nothing.

The routes come from the app itself (every non-GET route), with paths from the permission grid, so a new
route is walked without being listed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from survey_app.config import Settings
from survey_app.models import Role
from survey_app.services import responses
from tests.conftest import csrf_of
from tests.factories import PASSWORD, World, make_staff, make_world
from tests.test_permissions import GRID_ROUTES, grid_ids

HTMX = {"HX-Request": "true"}
SAFE = {"GET", "HEAD", "OPTIONS"}


def routes_of(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI keeps an included router whole
            yield from routes_of(route.original_router.routes)
        elif isinstance(route, APIRoute):
            yield route


def grid_world(session: Session, settings: Settings) -> tuple[World, dict[str, object]]:
    """The permission grid's world: a round with a saved answer, a colleague, an API token, a scenario."""
    world = make_world(session, settings)
    response = world.response(session, "3005")
    draft = responses.load_draft(session, response_id=response.id)
    responses.save(session, draft=draft, changes={"kommentar": ("Et svar", 0)}, editor="test")
    return world, grid_ids(session, world)


def state_changing(app: FastAPI, ids: dict[str, object]) -> list[tuple[str, str, str]]:
    """(name, method, path) of every route that is not GET, with the grid's example path."""
    found = []
    for route in routes_of(app.routes):
        for method in sorted(route.methods - SAFE):
            path = GRID_ROUTES[route.name][1].format(**ids) if route.name in GRID_ROUTES else route.path
            assert "{" not in path, f"{route.name}: add it to GRID_ROUTES in tests/test_permissions.py"
            found.append((route.name, method, path))
    return found


def snapshot(engine: sa.Engine) -> dict[str, list[str]]:
    """Every row of every table, to see that nothing at all changed."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()))
            for table in SQLModel.metadata.sorted_tables
        }


def log_in(client: TestClient, who: str, world: World | None = None) -> str:
    """Log this client in as ``who`` (staff role, or the municipality 3005); returns the CSRF token."""
    if who == "municipality":
        assert world is not None
        client.get(world.link("3005"))
        return csrf_of(client, "/svar")
    token = csrf_of(client, "/ansatt/logg-inn")
    r = client.post(
        "/ansatt/logg-inn", data={"csrf_token": token, "email": f"{who}@fylke.test", "password": PASSWORD}
    )
    assert r.status_code == 303, r.text
    return csrf_of(client, "/ansatt")  # signing in gives the session a new token


# What a forged request carries: a form (token field) or htmx (X-CSRF-Token header), and which token.
VARIANTS = [
    "form without token",
    "form with another session's token",
    "htmx without token",
    "htmx with another session's token",
]


def forged(client: TestClient, method: str, path: str, variant: str, foreign: str):
    # Fields that would make each route do something if the token were right (see test_permissions.py).
    data = {"v:politikk": "0", "politikk": "ja", "status": "open", "name": "Nøkkel", "editor": "Eve"}
    headers = {}
    if variant.startswith("htmx"):
        headers = {**HTMX, **({"X-CSRF-Token": foreign} if "another" in variant else {})}
    elif "another" in variant:
        data["csrf_token"] = foreign
    return client.request(method, path, data=data, headers=headers)


@pytest.mark.parametrize("who", ["admin", "municipality"])
def test_every_state_changing_route_refuses_a_forged_request(
    who: str, app: FastAPI, session: Session, settings: Settings, engine: sa.Engine
) -> None:
    world, ids = grid_world(session, settings)
    make_staff(session, Role.admin)
    # The attacker's own, perfectly valid token, from the attacker's own session.
    with TestClient(app) as attacker:
        foreign = csrf_of(attacker, "/ansatt/logg-inn")
    routes = state_changing(app, ids)
    assert {name for name, _, _ in routes} >= {"respondent_autosave", "user_create", "staff_logout"}
    with TestClient(app, follow_redirects=False) as client:
        own = log_in(client, who, world)
        assert foreign != own
        before = snapshot(engine)
        for name, method, path in routes:
            for variant in VARIANTS:
                r = forged(client, method, path, variant, foreign)
                assert r.status_code == 403, f"{who} {name} {variant}: {r.status_code} {r.text[:300]}"
                assert "Skjemaet var utløpt" in r.text, f"{name} {variant}"
                assert snapshot(engine) == before, f"{who} {name} {variant} changed the database"
        # Not logged out, no editor name set (both live in the session, not the database), and the same
        # session with its own token does change things: the refusals above were for the token alone.
        if who == "municipality":
            r = client.post(
                "/svar/sporsmal/politikk",
                data={"v:politikk": "0", "politikk": "ja"},
                headers={**HTMX, "X-CSRF-Token": own},
            )
            assert r.status_code == 200 and "Eve" not in client.get("/svar").text
        else:
            assert client.get("/ansatt").status_code == 200
            r = client.post(
                "/ansatt/brukere",
                data={"csrf_token": own, "email": "ny@fylke.test", "role": "leser", "password": PASSWORD},
            )
            assert r.status_code == 303, r.text
        assert snapshot(engine) != before


def test_a_token_from_an_earlier_session_is_refused(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    with TestClient(app, follow_redirects=False) as client:
        old = csrf_of(client, "/ansatt/logg-inn")
        client.cookies.clear()  # the session ended (expired, or the browser was closed)
        assert csrf_of(client, "/ansatt/logg-inn") != old
        r = client.post(
            "/ansatt/logg-inn", data={"csrf_token": old, "email": "admin@fylke.test", "password": PASSWORD}
        )
        assert r.status_code == 403 and "Skjemaet var utløpt" in r.text


def test_signing_in_replaces_the_token_picked_up_before(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    with TestClient(app, follow_redirects=False) as client:
        before = csrf_of(client, "/ansatt/logg-inn")
        after = log_in(client, "admin")
        assert before != after
        r = client.post(
            "/ansatt/brukere",
            data={"csrf_token": before, "email": "ny@fylke.test", "role": "leser", "password": PASSWORD},
        )
        assert r.status_code == 403
