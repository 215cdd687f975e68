"""Every text field a page offers says how long it may be (maxlength), so a browser stops the typing at
the server's limit instead of the server refusing the whole form and losing what else was typed."""

from __future__ import annotations

import string

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlmodel import Session

from survey_app.config import Settings
from tests.factories import make_scenario, make_world
from tests.test_permissions import GRID_ROUTES, _as

TEXT_TYPES = {"text", "email", "password", "search", "tel", "url", ""}


def unlimited_fields(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for form in soup.select("form"):
        if form.get("method", "get").lower() != "post" and not form.has_attr("hx-post"):
            continue
        for field in form.select("input, textarea"):
            kind = field.get("type", "").lower()
            if field.name == "input" and kind not in TEXT_TYPES:
                continue
            if not field.has_attr("maxlength"):
                found.append(f"{field.name}[name={field.get('name')}]")
    return found


@pytest.mark.parametrize("who", ["admin", "municipality"])
def test_every_text_field_has_a_maxlength(
    who: str, app: FastAPI, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    scenario = make_scenario(session, name="Grenser")
    client, _ = _as(who, app, session, world)
    ids = {"round": world.round.id, "scenario": scenario.id, "response": world.response(session, "3005").id}
    missing = {}
    with client:
        for name, (method, template, _) in GRID_ROUTES.items():
            needs = {field for _, field, _, _ in string.Formatter().parse(template) if field}
            if method != "GET" or not needs <= set(ids):
                continue
            r = client.get(template.format(**ids))
            html = r.status_code == 200 and "text/html" in r.headers.get("content-type", "")
            if html and (fields := unlimited_fields(r.text)):
                missing[name] = fields
    assert not missing
