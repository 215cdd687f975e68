"""Who may do what, as one grid: every route × anonymous, a municipality, leser, rådgiver, admin.

A new route must be added here (``test_every_route_is_in_the_grid``), so no route escapes the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.models import ResponseStatus, Role
from survey_app.permissions import GRID, Action, can
from survey_app.services import api_tokens, responses
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, World, make_scenario, make_staff, make_world

WHO = ["anonymous", "municipality", "leser", "radgiver", "admin"]
# Municipality B (Ål, with its own invitation) gets what municipality A (Drammen) gets: its own answer only.
EVERYONE = [*WHO, "municipality_b"]
COLUMN = {who: WHO.index("municipality" if who == "municipality_b" else who) for who in EVERYONE}
# Each municipality's own answer; no page, fragment or file may show one to anyone who may not see it.
SECRET = {"3005": "Drammens eget svar 7f3a", "3043": "Åls eget svar 9c1e"}
MAY_NOT_SEE = {
    "anonymous": set(SECRET.values()),
    "municipality": {SECRET["3043"]},
    "municipality_b": {SECRET["3005"]},
}
LOGIN = 303  # staff pages send everyone else to the login page
NO_INVITATION = 401  # respondent pages without an invitation in the session

# route name -> (method, path template, expected status per WHO)
GRID_ROUTES: dict[str, tuple[str, str, list[int]]] = {
    "staff_rounds": ("GET", "/ansatt", [LOGIN, LOGIN, 200, 200, 200]),
    "staff_round": ("GET", "/ansatt/runder/{round}", [LOGIN, LOGIN, 200, 200, 200]),
    "staff_response": ("GET", "/ansatt/svar/{response}", [LOGIN, LOGIN, 200, 200, 200]),
    "respondent_start": ("GET", "/svar", [NO_INVITATION, 200, NO_INVITATION, NO_INVITATION, NO_INVITATION]),
    "respondent_section": (
        "GET",
        "/svar/del/del1",
        [NO_INVITATION, 200, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_section_save": (
        "POST",
        "/svar/del/del1",
        [NO_INVITATION, 303, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_question": (
        "GET",
        "/svar/sporsmal/politikk",
        [NO_INVITATION, 200, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_autosave": (
        "POST",
        "/svar/sporsmal/politikk",
        [NO_INVITATION, 200, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_editor": (
        "POST",
        "/svar/navn",
        [NO_INVITATION, 303, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_review": (
        "GET",
        "/svar/oppsummering",
        [NO_INVITATION, 200, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_submit": (
        "POST",
        "/svar/send-inn",
        [NO_INVITATION, 422, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "respondent_receipt": (
        "GET",
        "/svar/kvittering",
        [NO_INVITATION, 303, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "round_new": ("GET", "/ansatt/runder/ny", [LOGIN, LOGIN, 403, 403, 200]),
    "round_create": ("POST", "/ansatt/runder/ny", [LOGIN, LOGIN, 403, 403, 422]),
    "round_invitations": ("GET", "/ansatt/runder/{round}/invitasjoner", [LOGIN, LOGIN, 403, 403, 200]),
    "round_invitations_csv": (
        "GET",
        "/ansatt/runder/{round}/invitasjoner.csv",
        [LOGIN, LOGIN, 403, 403, 200],
    ),
    "round_status_confirm": (
        "GET",
        "/ansatt/runder/{round}/status/bekreft?status=closed",
        [LOGIN, LOGIN, 403, 403, 200],
    ),
    "invitation_regenerate_confirm": (
        "GET",
        "/ansatt/runder/{round}/invitasjoner/{invitation}/ny-lenke/bekreft",
        [LOGIN, LOGIN, 403, 403, 200],
    ),
    "invitation_revoke_confirm": (
        "GET",
        "/ansatt/runder/{round}/invitasjoner/{invitation}/trekk-tilbake/bekreft",
        [LOGIN, LOGIN, 403, 403, 200],
    ),
    "invitation_regenerate": (
        "POST",
        "/ansatt/runder/{round}/invitasjoner/{invitation}/ny-lenke",
        [LOGIN, LOGIN, 403, 403, 303],
    ),
    "invitation_revoke": (
        "POST",
        "/ansatt/runder/{round}/invitasjoner/{invitation}/trekk-tilbake",
        [LOGIN, LOGIN, 403, 403, 303],
    ),
    "invitations_send": ("POST", "/ansatt/runder/{round}/invitasjoner/send", [LOGIN, LOGIN, 403, 403, 409]),
    "round_remind": ("POST", "/ansatt/runder/{round}/paminnelser", [LOGIN, LOGIN, 403, 303, 303]),
    "round_results": ("GET", "/ansatt/runder/{round}/resultater", [LOGIN, LOGIN, 200, 200, 200]),
    "round_compare": ("GET", "/ansatt/runder/{round}/sammenlign", [LOGIN, LOGIN, 200, 200, 200]),
    "round_free_text": ("GET", "/ansatt/runder/{round}/fritekst", [LOGIN, LOGIN, 200, 200, 200]),
    "round_profile": ("GET", "/ansatt/runder/{round}/kommuner/{municipality}", [LOGIN, LOGIN, 200, 200, 200]),
    "staff_response_print": ("GET", "/ansatt/svar/{response}/utskrift", [LOGIN, LOGIN, 200, 200, 200]),
    "round_export_page": ("GET", "/ansatt/runder/{round}/eksport", [LOGIN, LOGIN, 403, 200, 200]),
    "round_export": ("GET", "/ansatt/runder/{round}/eksport.xlsx", [LOGIN, LOGIN, 403, 200, 200]),
    "round_analysis": ("GET", "/ansatt/runder/{round}/analyse", [LOGIN, LOGIN, 200, 200, 200]),
    "round_analysis_run": ("POST", "/ansatt/runder/{round}/analyse", [LOGIN, LOGIN, 403, 303, 303]),
    # Nothing is submitted in this world, so the analysis has no municipalities and no codings: 404.
    "round_analysis_unit": (
        "GET",
        "/ansatt/runder/{round}/analyse/kommuner/{municipality}",
        [LOGIN, LOGIN, 404, 404, 404],
    ),
    "round_coding": ("GET", "/ansatt/runder/{round}/koding", [LOGIN, LOGIN, 403, 200, 200]),
    "round_coding_confirm": ("POST", "/ansatt/runder/{round}/koding/999999", [LOGIN, LOGIN, 403, 404, 404]),
    "audit_log": ("GET", "/ansatt/logg", [LOGIN, LOGIN, 403, 403, 200]),
    "users_page": ("GET", "/ansatt/brukere", [LOGIN, LOGIN, 403, 403, 200]),
    "user_create": ("POST", "/ansatt/brukere", [LOGIN, LOGIN, 403, 403, 422]),
    "account": ("GET", "/ansatt/konto", [LOGIN, LOGIN, 200, 200, 200]),
    "account_password": ("GET", "/ansatt/konto/passord", [LOGIN, LOGIN, 200, 200, 200]),
    # Without the current password: 422, with the message by the field.
    "account_password_post": ("POST", "/ansatt/konto/passord", [LOGIN, LOGIN, 422, 422, 422]),
    # Before user_deactivate: a deactivated user's password is not reset (409).
    "user_reset_password": (
        "POST",
        "/ansatt/brukere/{other_user}/tilbakestill-passord",
        [LOGIN, LOGIN, 403, 403, 200],
    ),
    "user_unlock": ("POST", "/ansatt/brukere/{other_user}/las-opp", [LOGIN, LOGIN, 403, 403, 303]),
    # Someone else's session, or none: 404 (one's own sessions are tested in tests/test_sessions.py).
    "account_session_end": ("POST", "/ansatt/konto/okter/999999/avslutt", [LOGIN, LOGIN, 404, 404, 404]),
    "account_sessions_end_others": (
        "POST",
        "/ansatt/konto/okter/avslutt-andre",
        [LOGIN, LOGIN, 303, 303, 303],
    ),
    "respondent_blank_pdf": (
        "GET",
        "/svar/skjema.pdf",
        [NO_INVITATION, 200, NO_INVITATION, NO_INVITATION, NO_INVITATION],
    ),
    "round_blank_pdf": ("GET", "/ansatt/runder/{round}/skjema.pdf", [LOGIN, LOGIN, 200, 200, 200]),
    "user_edit": ("GET", "/ansatt/brukere/{other_user}/endre", [LOGIN, LOGIN, 403, 403, 200]),
    # Without a role chosen: 422, with the message by the field.
    "user_update": ("POST", "/ansatt/brukere/{other_user}/endre", [LOGIN, LOGIN, 403, 403, 422]),
    "user_deactivate_confirm": (
        "GET",
        "/ansatt/brukere/{other_user}/deaktiver/bekreft",
        [LOGIN, LOGIN, 403, 403, 200],
    ),
    "user_deactivate": ("POST", "/ansatt/brukere/{other_user}/deaktiver", [LOGIN, LOGIN, 403, 403, 303]),
    "api_tokens": ("GET", "/ansatt/api-nokler", [LOGIN, LOGIN, 403, 200, 200]),
    "api_token_create": ("POST", "/ansatt/api-nokler", [LOGIN, LOGIN, 403, 201, 201]),
    "api_token_revoke": ("POST", "/ansatt/api-nokler/{token}/trekk-tilbake", [LOGIN, LOGIN, 403, 404, 404]),
    # The API takes a token, not a session: without one, everyone gets 401 (tests/test_api.py has the rest).
    "api_rounds": ("GET", "/api/v1/runder", [401, 401, 401, 401, 401]),
    "api_round": ("GET", "/api/v1/runder/{round}", [401, 401, 401, 401, 401]),
    "api_round_answers": ("GET", "/api/v1/runder/{round}/svar", [401, 401, 401, 401, 401]),
    "api_round_results": ("GET", "/api/v1/runder/{round}/resultater", [401, 401, 401, 401, 401]),
    "recommendation_list": ("GET", "/ansatt/anbefaling", [LOGIN, LOGIN, 200, 200, 200]),
    "recommendation_create": ("POST", "/ansatt/anbefaling", [LOGIN, LOGIN, 403, 422, 422]),  # no file: 422
    "recommendation_template": ("GET", "/ansatt/anbefaling/mal.csv", [LOGIN, LOGIN, 200, 200, 200]),
    "recommendation_compare": (
        "GET",
        "/ansatt/anbefaling/sammenlign?id={scenario}",
        [LOGIN, LOGIN, 200, 200, 200],
    ),
    "recommendation_scenario": ("GET", "/ansatt/anbefaling/{scenario}", [LOGIN, LOGIN, 200, 200, 200]),
    "recommendation_update": ("POST", "/ansatt/anbefaling/{scenario}", [LOGIN, LOGIN, 403, 422, 422]),
    "recommendation_override": (
        "POST",
        "/ansatt/anbefaling/{scenario}/overstyring",
        [LOGIN, LOGIN, 403, 422, 422],
    ),
    "recommendation_override_remove": (
        "POST",
        "/ansatt/anbefaling/{scenario}/overstyring/3005/fjern",
        [LOGIN, LOGIN, 403, 303, 303],
    ),
    "recommendation_copy": ("POST", "/ansatt/anbefaling/{scenario}/kopi", [LOGIN, LOGIN, 403, 303, 303]),
    "recommendation_preview": (
        "POST",
        "/ansatt/anbefaling/{scenario}/forhandsvisning",
        [LOGIN, LOGIN, 403, 422, 422],
    ),
    "recommendation_finalize_confirm": (
        "GET",
        "/ansatt/anbefaling/{scenario}/endelig/bekreft",
        [LOGIN, LOGIN, 403, 200, 200],
    ),
    "recommendation_finalize": (
        "POST",
        "/ansatt/anbefaling/{scenario}/endelig",
        [LOGIN, LOGIN, 403, 303, 303],
    ),
    "recommendation_xlsx": (
        "GET",
        "/ansatt/anbefaling/{scenario}/anbefaling.xlsx",
        [LOGIN, LOGIN, 403, 200, 200],
    ),
    "recommendation_report": ("GET", "/ansatt/anbefaling/{scenario}/rapport", [LOGIN, LOGIN, 200, 200, 200]),
    "recommendation_document": (
        "GET",
        "/ansatt/anbefaling/{scenario}/dokument/saksframlegg.docx",
        [LOGIN, LOGIN, 403, 200, 200],
    ),
    "knowledge_overview": ("GET", "/ansatt/kunnskapsgrunnlag", [LOGIN, LOGIN, 200, 200, 200]),
    # Without a file the upload is refused by the field (422); a leser may not import at all.
    "knowledge_history_preview": (
        "POST",
        "/ansatt/kunnskapsgrunnlag/historikk",
        [LOGIN, LOGIN, 403, 422, 422],
    ),
    "knowledge_register_preview": (
        "POST",
        "/ansatt/kunnskapsgrunnlag/registertall",
        [LOGIN, LOGIN, 403, 422, 422],
    ),
    # No pending upload has this id: 404 for those who may import.
    "knowledge_import": ("POST", "/ansatt/kunnskapsgrunnlag/import/999999", [LOGIN, LOGIN, 403, 404, 404]),
    "knowledge_municipality": (
        "GET",
        "/ansatt/kunnskapsgrunnlag/kommuner/3005",
        [LOGIN, LOGIN, 200, 200, 200],
    ),
    "round_status": ("POST", "/ansatt/runder/{round}/status", [LOGIN, LOGIN, 403, 403, 303]),
    # Last: it needs a submitted response, which makes the respondent routes above read-only.
    "archive_round": ("GET", "/ansatt/runder/{round}/arkiv", [LOGIN, LOGIN, 403, 200, 200]),
    "archive_case_folder": ("POST", "/ansatt/runder/{round}/arkiv", [LOGIN, LOGIN, 403, 303, 303]),
    # Nothing submitted yet: nothing to archive (409); a leser may not export. The grid's scenario is final.
    "archive_round_zip": ("GET", "/ansatt/runder/{round}/arkivpakke.zip", [LOGIN, LOGIN, 403, 409, 409]),
    "archive_response_zip": ("GET", "/ansatt/svar/{response}/arkivpakke.zip", [LOGIN, LOGIN, 403, 409, 409]),
    "archive_recommendation_zip": (
        "GET",
        "/ansatt/anbefaling/{scenario}/arkivpakke.zip",
        [LOGIN, LOGIN, 403, 200, 200],
    ),
    "staff_reopen": ("POST", "/ansatt/svar/{response}/gjenapne", [LOGIN, LOGIN, 403, 303, 303]),
    # Open to everyone who holds a link; a forged one is «Lenken er ikke gyldig» for all.
    "invitation_confirm": ("POST", "/i/9999-forged", [404, 404, 404, 404, 404]),
}
# Open to everyone by design.
PUBLIC = {
    "home",
    "healthz",
    "staff_login",
    "staff_login_post",
    "staff_logout",
    "staff_oidc_start",
    "staff_oidc_callback",
    "staff_oidc_logout",
    "invitation_open",
    "static",
    "api_docs",
    "accessibility_statement",
    "privacy",
    "session_keepalive",
}


def route_names(routes: list[Any]) -> Iterator[str]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI keeps an included router whole
            yield from route_names(route.original_router.routes)
        elif getattr(route, "name", None):
            yield route.name


def test_every_route_is_in_the_grid(app: FastAPI) -> None:
    names = set(route_names(app.routes)) - {"openapi"}
    assert len(names) > 20, names  # the walk found the routes, not just the mounts
    assert names - PUBLIC - set(GRID_ROUTES) == set()


def test_the_role_grid() -> None:
    assert GRID[Role.admin] == frozenset(Action)
    assert can(Role.radgiver, Action.reopen_response) and not can(Role.radgiver, Action.manage_users)
    assert can(Role.leser, Action.view_results) and not can(Role.leser, Action.reopen_response)


def grid_ids(session: Session, world: World) -> dict[str, object]:
    """What the grid's paths name: the round, Drammen's response and municipality, Lier's invitation (the
    link the grid revokes and renews: not the one the municipality uses), someone else's user and API
    token (deactivating the first is allowed, revoking the second is not: 404) and a scenario."""
    response = world.response(session, "3005")
    colleague = make_staff(session, Role.leser, "kollega@fylke.test")
    api_token, _ = api_tokens.create(session, user=colleague, name="Kollegas nøkkel")
    scenario = make_scenario(session, name="Rutenett")
    return {
        "round": world.round.id,
        "response": response.id,
        "invitation": int(world.link("3049")[3:].split("-")[0]),
        "municipality": response.municipality_id,
        "other_user": colleague.id,
        "token": api_token.id,
        "scenario": scenario.id,
    }


def _as(who: str, app: FastAPI, session: Session, world: World) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    if who in ("municipality", "municipality_b"):
        client.get(world.link("3005" if who == "municipality" else "3043"))
        return client, csrf_of(client, "/svar")
    token = csrf_of(client, "/ansatt/logg-inn")
    if who != "anonymous":
        make_staff(session, Role(who))
        r = client.post(
            "/ansatt/logg-inn", data={"csrf_token": token, "email": f"{who}@fylke.test", "password": PASSWORD}
        )
        assert r.status_code == 303, r.text
        token = csrf_of(client, "/ansatt/logg-inn")  # signing in gave the session a new token
    return client, token


@pytest.mark.parametrize("who", EVERYONE)
def test_grid(who: str, app: FastAPI, session: Session, settings: Settings) -> None:
    world = make_world(session, settings)
    response = world.response(session, "3005")
    client, token = _as(who, app, session, world)
    for number, secret in SECRET.items():
        own = world.response(session, number)
        draft = responses.load_draft(session, response_id=own.id)
        responses.save(session, draft=draft, changes={"kommentar": (secret, 0)}, editor="test")
    ids = grid_ids(session, world)
    seen: set[str] = set()
    with client:
        for name, (method, template, expected) in GRID_ROUTES.items():
            if name == "staff_reopen":  # only a submitted response can be reopened
                response.status = ResponseStatus.submitted
                session.add(response)
                session.commit()
            path = template.format(**ids)
            data = {"csrf_token": token, "v:politikk": "0", "politikk": "ja", "status": "open"}
            r = client.get(path) if method == "GET" else client.post(path, data=data)
            assert r.status_code == expected[COLUMN[who]], (
                f"{who} {method} {path}: {r.status_code} {r.text[:300]}"
            )
            leaked = {secret for secret in MAY_NOT_SEE.get(who, ()) if secret in r.text}
            assert not leaked, f"{who} {method} {path} shows {leaked}"
            seen |= {secret for secret in SECRET.values() if secret in r.text}
            if who in ("anonymous", "municipality", "municipality_b") and name.startswith("staff_"):
                assert "/ansatt/logg-inn" in r.headers["location"]
            fresh(session)
    # The check above is not empty: each municipality did see its own answer, and staff saw Drammen's.
    own = {"municipality": {SECRET["3005"]}, "municipality_b": {SECRET["3043"]}, "anonymous": set()}
    assert own.get(who, {SECRET["3005"]}) <= seen


def test_staff_pages_show_no_answers_to_a_municipality(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    client, _ = _as("municipality", app, session, world)
    with client:
        r = client.get(f"/ansatt/svar/{world.response(session, '3049').id}", follow_redirects=True)
        assert "Lier" not in r.text and r.url.path == "/ansatt/logg-inn"
