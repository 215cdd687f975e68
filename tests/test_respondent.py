"""The municipality's way through, over HTTP on a real database."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.forms import stamp
from survey_app.models import Answer, AuditEvent, Invitation, ResponseStatus, utcnow
from survey_app.services import invitations, responses
from tests.conftest import csrf_of, fresh
from tests.factories import World, make_world

HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def enter(client: TestClient, world: World, kommunenummer: str = "3005") -> str:
    """Open the municipality's link in this client; returns the session's CSRF token."""
    r = client.get(world.link(kommunenummer))
    assert r.status_code == 303, r.text
    assert urlsplit(r.headers["location"]).path == "/svar"
    return csrf_of(client, "/svar")


def autosave(client: TestClient, csrf: str, question_id: str, data: dict[str, object]):
    return client.post(f"/svar/sporsmal/{question_id}", data=data, headers={**HTMX, "X-CSRF-Token": csrf})


def stored(session: Session, world: World, kommunenummer: str = "3005") -> dict[str, object]:
    fresh(session)
    response = world.response(session, kommunenummer)
    return {
        a.question_id: a.value for a in session.exec(select(Answer).where(Answer.response_id == response.id))
    }


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_link_opens_the_municipalitys_own_response(client: TestClient, world: World) -> None:
    enter(client, world, "3005")
    page = client.get("/svar")
    assert page.status_code == 200, page.text
    assert "Drammen kommune" in page.text
    assert "Ikke skriv personopplysninger" in page.text
    assert "Ål" not in page.text and soup(page.text).html["lang"] == "nb"


def test_a_nynorsk_municipality_gets_nynorsk(client: TestClient, world: World) -> None:
    csrf = enter(client, world, "3043")  # Ål has adopted nynorsk
    page = client.get("/svar")
    assert soup(page.text).html["lang"] == "nn"
    assert "Ikkje skriv personopplysningar" in page.text and "Før de byrjar" in page.text
    section = client.get("/svar/del/del1").text
    assert "(må svarast på)" in section and "Veit ikkje" in section
    r = autosave(client, csrf, "enighet", {"enighet": "2", "v:enighet": "0"})
    assert "Lagra kl." in r.text
    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "", "signer_role": ""})
    assert "Skriv namnet til den som godkjenner" in r.text and "Svar på dette spørsmålet" in r.text


@pytest.mark.parametrize("token", ["1-feil", "x" * 40, "9999-" + "a" * 40, "%00", "a" * 500])
def test_forged_link_gets_a_clear_page(client: TestClient, world: World, token: str) -> None:
    r = client.get(f"/i/{token}")
    assert r.status_code == 404
    assert "Lenken er ikke gyldig" in r.text
    assert client.get("/svar").status_code == 401


def test_revoked_and_expired_links_explain_themselves(
    client: TestClient, world: World, session: Session
) -> None:
    invitation = session.exec(select(Invitation)).first()
    assert invitation is not None
    link = next(v for v in world.links.values() if v.startswith(f"/i/{invitation.id}-"))
    invitations.revoke(session, invitation=invitation, actor="test")
    r = client.get(link)
    assert r.status_code == 410 and "erstattet" in r.text

    other = session.exec(select(Invitation).where(Invitation.id != invitation.id)).first()
    assert other is not None
    other.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    r = client.get(next(v for v in world.links.values() if v.startswith(f"/i/{other.id}-")))
    assert r.status_code == 410 and "utløpt" in r.text and "ikke borte" in r.text


def test_a_session_ends_when_its_link_is_revoked(client: TestClient, world: World, session: Session) -> None:
    enter(client, world, "3005")
    invitation = session.exec(
        select(Invitation).where(Invitation.id == int(world.link("3005")[3:].split("-")[0]))
    ).one()
    invitations.revoke(session, invitation=invitation, actor="test")
    r = client.get("/svar")
    assert r.status_code == 401 and "lenken" in r.text.lower()


def test_autosave_stores_the_answer_and_confirms_it(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    r = autosave(client, csrf, "politikk", {"politikk": "ja", "v:politikk": "0"})
    assert r.status_code == 200, r.text
    assert "Lagret kl." in r.text
    # The version field is updated in place, so the next save is based on the stored version.
    oob = soup(r.text).find("input", id="v-politikk")
    assert oob is not None and oob["value"] == stamp(1, "ja") and oob["hx-swap-oob"] == "true"
    assert stored(session, world) == {"politikk": "ja"}
    assert world.response(session, "3005").status == ResponseStatus.in_progress


def test_conditional_question_appears_and_disappears(client: TestClient, world: World) -> None:
    csrf = enter(client, world)
    page = soup(client.get("/svar/del/del1").text)
    assert page.find(id="q-vedtaksar").has_attr("hidden")
    r = autosave(client, csrf, "politikk", {"politikk": "delvis", "v:politikk": "0"})
    shown = soup(r.text).find(id="q-vedtaksar")
    assert (
        shown is not None
        and not shown.has_attr("hidden")
        and shown.find("input", attrs={"name": "vedtaksar"})
    )
    r = autosave(client, csrf, "politikk", {"politikk": "nei", "v:politikk": "1"})
    assert soup(r.text).find(id="q-vedtaksar").has_attr("hidden")


def test_invalid_input_is_kept_and_explained(client: TestClient, world: World, session: Session) -> None:
    csrf = enter(client, world)
    autosave(client, csrf, "politikk", {"politikk": "ja", "v:politikk": "0"})
    r = autosave(client, csrf, "vedtaksar", {"vedtaksar": "tjue", "v:vedtaksar": "0"})
    assert "Skriv et helt tall" in r.text
    assert stored(session, world)["vedtaksar"] == "tjue"  # nothing typed is lost
    r = autosave(client, csrf, "vedtaksar", {"vedtaksar": "1850", "v:vedtaksar": "1"})
    assert "1990 eller høyere" in r.text
    page = client.get("/svar/del/del1")
    field = soup(page.text).find("input", attrs={"name": "vedtaksar"})
    assert field["value"] == "1850" and field["aria-invalid"] == "true"
    r = autosave(client, csrf, "vedtaksar", {"vedtaksar": "2 015", "v:vedtaksar": "2"})
    assert "Lagret kl." in r.text and "rettes" not in r.text
    assert stored(session, world)["vedtaksar"] == 2015


def test_two_colleagues_on_one_question_are_told_and_nothing_is_lost(
    app, world: World, session: Session
) -> None:
    with TestClient(app, follow_redirects=False) as anne, TestClient(app, follow_redirects=False) as bjorn:
        csrf_a, csrf_b = enter(anne, world), enter(bjorn, world)
        anne.post("/svar/navn", data={"editor": "Anne", "csrf_token": csrf_a})
        # Both loaded the page when the comment was empty (version 0).
        r = autosave(anne, csrf_a, "kommentar", {"kommentar": "Annes tekst", "v:kommentar": "0"})
        assert "Lagret" in r.text
        r = autosave(bjorn, csrf_b, "kommentar", {"kommentar": "Bjørns tekst", "v:kommentar": "0"})
        assert r.status_code == 200
        assert "Anne har endret dette svaret" in r.text and "Annes tekst" in r.text
        assert stored(session, world)["kommentar"] == "Annes tekst"
        # Bjørn chooses to keep his: his page now carries Anne's version, so his save goes through.
        version = soup(r.text).find("input", id="v-kommentar")["value"]
        r = autosave(bjorn, csrf_b, "kommentar", {"kommentar": "Bjørns tekst", "v:kommentar": version})
        assert "Lagret" in r.text
        assert stored(session, world)["kommentar"] == "Bjørns tekst"
        # Anne's next save, still based on the old version, is now the one told.
        r = autosave(anne, csrf_a, "kommentar", {"kommentar": "Annes tekst, utvidet", "v:kommentar": "1"})
        assert "har endret dette svaret" in r.text and "Bjørns tekst" in r.text


def test_a_colleagues_save_after_the_draft_was_read_is_a_conflict(session: Session, world: World) -> None:
    """Autosave does not read the answers again inside its write transaction: a colleague's save that
    lands between reading the draft and writing must still come back as a conflict, for a key that had a
    value (the update compares versions) and for one that had none (the insert does nothing)."""
    response_id = world.response(session, "3005").id
    assert response_id is not None
    first = responses.load_draft(session, response_id=response_id)
    assert responses.save(session, draft=first, changes={"kommentar": ("Før", 0)}, editor="A")[0].version == 1

    mine = responses.load_draft(session, response_id=response_id)  # read, then a colleague saves
    theirs = responses.load_draft(session, response_id=response_id)
    saved = responses.save(
        session, draft=theirs, changes={"kommentar": ("Deres", 1), "politikk": ("ja", 0)}, editor="B"
    )
    assert [r.outcome for r in saved] == [responses.Outcome.saved] * 2

    results = responses.save(
        session, draft=mine, changes={"kommentar": ("Min", 1), "politikk": ("nei", 0)}, editor="A"
    )
    assert [(r.key, r.outcome, r.theirs, r.their_author) for r in results] == [
        ("kommentar", responses.Outcome.conflict, "Deres", "B"),
        ("politikk", responses.Outcome.conflict, "ja", "B"),
    ]
    assert stored(session, world) == {"kommentar": "Deres", "politikk": "ja"}


def test_colleagues_on_different_rows_of_a_matrix_do_not_collide(app, world: World, session: Session) -> None:
    with TestClient(app, follow_redirects=False) as a, TestClient(app, follow_redirects=False) as b:
        csrf_a, csrf_b = enter(a, world), enter(b, world)
        # Both pages showed two empty rows; each person fills in one. The untouched row is sent
        # as it was shown, and must not count as a change.
        empty = stamp(0, None)
        autosave(
            a,
            csrf_a,
            "moteplasser",
            {"moteplasser.bibliotek": "4", "v:moteplasser.bibliotek": empty, "v:moteplasser.idrett": empty},
        )
        r = autosave(
            b,
            csrf_b,
            "moteplasser",
            {"moteplasser.idrett": "2", "v:moteplasser.bibliotek": empty, "v:moteplasser.idrett": empty},
        )
        assert "har endret" not in r.text
    assert stored(session, world) == {"moteplasser.bibliotek": 4, "moteplasser.idrett": 2}


def test_section_form_without_javascript_saves_and_moves_on(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    form = {
        "csrf_token": csrf,
        "politikk": "ja",
        "v:politikk": "0",
        "enighet": "3",
        "v:enighet": "0",
        "ga": "neste",
    }
    r = client.post("/svar/del/del1", data=form)
    assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/svar/del/del2"
    assert stored(session, world) == {"politikk": "ja", "enighet": 3}


def test_multi_choice_with_other_text(client: TestClient, world: World, session: Session) -> None:
    csrf = enter(client, world)
    data = [
        ("tiltak", "sprakkafe"),
        ("tiltak", "annet"),
        ("tiltak.annet", "Turgruppe"),
        ("v:tiltak", "0"),
        ("v:tiltak.annet", "0"),
    ]
    r = client.post(
        "/svar/sporsmal/tiltak",
        content="&".join(f"{k}={v}" for k, v in data).encode(),
        headers={**HTMX, "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text
    assert stored(session, world) == {"tiltak": ["sprakkafe", "annet"], "tiltak.annet": "Turgruppe"}


def test_review_lists_what_is_missing_and_submit_needs_a_signer(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    review = client.get("/svar/oppsummering")
    overview = soup(review.text).find(class_="review-overview")  # politikk is required and empty
    assert "Dette mangler" in overview.text and "Har kommunen en frivillighetspolitikk?" in overview.text
    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "", "signer_role": "Rådmann"})
    assert r.status_code == 422
    page = soup(r.text)
    assert page.find("input", id="signer_role")["value"] == "Rådmann"  # what was typed is kept
    assert "Skriv navnet" in r.text
    r = client.post(
        "/svar/send-inn", data={"csrf_token": csrf, "signer_name": "Leder", "signer_role": "Rådmann"}
    )
    fresh(session)
    assert r.status_code == 422 and world.response(session, "3005").status != ResponseStatus.submitted


def test_submit_receipt_read_only_and_reopen(client: TestClient, world: World, session: Session, app) -> None:
    csrf = enter(client, world)
    autosave(client, csrf, "politikk", {"politikk": "nei", "v:politikk": "0"})
    r = client.post(
        "/svar/send-inn",
        data={"csrf_token": csrf, "signer_name": "Kari Leder", "signer_role": "Kommunalsjef"},
    )
    assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/svar/kvittering"
    receipt = client.get("/svar/kvittering")
    assert "Kari Leder" in receipt.text and "Sendt inn" in receipt.text and "Nei" in receipt.text
    fresh(session)
    response = world.response(session, "3005")
    assert response.status == ResponseStatus.submitted and response.submitted_at is not None

    r = autosave(client, csrf, "politikk", {"politikk": "ja", "v:politikk": "1"})
    assert "sendt inn og kan ikke endres" in r.text
    assert stored(session, world)["politikk"] == "nei"
    assert (
        client.post(
            "/svar/del/del1", data={"csrf_token": csrf, "politikk": "ja", "v:politikk": "1"}
        ).status_code
        == 409
    )

    from survey_app.models import Role
    from tests.factories import PASSWORD, make_staff

    make_staff(session, Role.radgiver)
    with TestClient(app, follow_redirects=False) as staff:
        token = csrf_of(staff, "/ansatt/logg-inn")
        r = staff.post(
            "/ansatt/logg-inn",
            data={"csrf_token": token, "email": "radgiver@fylke.test", "password": PASSWORD},
        )
        assert r.status_code == 303 and r.headers["location"].endswith("/ansatt"), r.text
        token = csrf_of(staff, "/ansatt")  # signing in gave the session a new token
        r = staff.post(
            f"/ansatt/svar/{response.id}/gjenapne", data={"csrf_token": token, "reason": "Feil tall"}
        )
        assert r.status_code == 303 and r.headers["location"].endswith(f"/ansatt/svar/{response.id}"), r.text
    fresh(session)
    assert world.response(session, "3005").status == ResponseStatus.reopened
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "response.reopen")).one()
    assert event.details["reason"] == "Feil tall" and event.actor.startswith("staff:")
    r = autosave(client, csrf, "politikk", {"politikk": "ja", "v:politikk": "1"})
    assert "Lagret" in r.text


def test_a_municipality_never_sees_another(client: TestClient, world: World, session: Session, app) -> None:
    csrf = enter(client, world, "3005")
    autosave(client, csrf, "kommentar", {"kommentar": "Hemmelig fra Drammen", "v:kommentar": "0"})
    with TestClient(app, follow_redirects=False) as other:
        enter(other, world, "3049")
        for path in ("/svar", "/svar/del/del2", "/svar/oppsummering", "/svar/sporsmal/kommentar"):
            r = other.get(path)
            assert "Hemmelig fra Drammen" not in r.text and "Drammen kommune" not in r.text, path
        # Staff pages are closed to a municipality's session.
        assert other.get("/ansatt").status_code == 303


def test_state_changes_need_the_csrf_token(client: TestClient, world: World, session: Session) -> None:
    enter(client, world)
    r = client.post("/svar/sporsmal/politikk", data={"politikk": "ja", "v:politikk": "0"}, headers=HTMX)
    assert r.status_code == 403
    r = client.post(
        "/svar/sporsmal/politikk",
        data={"politikk": "ja", "v:politikk": "0"},
        headers={**HTMX, "X-CSRF-Token": "forfalsket"},
    )
    assert r.status_code == 403
    assert stored(session, world) == {}


def test_unknown_question_and_section_are_404_pages(client: TestClient, world: World) -> None:
    csrf = enter(client, world)
    assert autosave(client, csrf, "finnes_ikke", {"x": "1"}).status_code == 404
    assert client.get("/svar/del/finnes-ikke").status_code == 404


def test_oversized_answer_is_refused_but_the_page_keeps_it(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    huge = "ord " * 20_000
    r = autosave(client, csrf, "kommentar", {"kommentar": huge, "v:kommentar": "0"})
    assert r.status_code == 200 and "for langt" in r.text
    assert "kommentar" not in stored(session, world)
    r = autosave(client, csrf, "kommentar", {"kommentar": "x" * 300, "v:kommentar": "0"})
    assert "høyst 200 tegn" in r.text  # over max_length: stored, flagged, and blocks submission
    assert len(stored(session, world)["kommentar"]) == 300


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}
