"""Running a round: create, invite, follow up, remind — over HTTP, with a real local SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.forms import stamp
from survey_app.main import create_app
from survey_app.models import (
    AuditEvent,
    Invitation,
    MailOutbox,
    MailStatus,
    Municipality,
    Response,
    Role,
    Round,
    utcnow,
)
from survey_app.services import register
from tests.conftest import csrf_of, fresh
from tests.factories import REGISTER_CSV, SMALL_QUESTIONNAIRE, make_staff, make_world
from tests.fake_smtp import Inbox, app_sender, mail_settings, smtp_server, wait_until
from tests.test_staff import login, table_rows


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def mail_client(settings: Settings, engine: sa.Engine, inbox: tuple[Inbox, int]) -> Iterator[TestClient]:
    app = create_app(mail_settings(settings, inbox[1]), engine=engine)
    with TestClient(app, follow_redirects=False) as client, app_sender(app):
        yield client


def all_sent(session: Session) -> bool:
    """Whether the outbox's sender has sent everything queued (it sends after the response)."""
    fresh(session)
    return all(m.status == MailStatus.sent for m in session.exec(select(MailOutbox)))


def admin(client: TestClient, session: Session) -> str:
    make_staff(session, Role.admin)
    login(client, "admin@fylke.test")
    return csrf_of(client, "/ansatt")


def add_contacts(session: Session) -> None:
    csv = REGISTER_CSV.replace("region,malform\n", "region,malform,epost\n")
    csv = csv.replace("Drammensregionen,nb\n3043", "Drammensregionen,nb,post@drammen.kommune.test\n3043")
    csv = csv.replace("Hallingdal,nn\n", "Hallingdal,nn,post@al.kommune.test; flyktning@al.kommune.test\n")
    csv = csv.replace("3049,Lier,Drammensregionen,nb\n", "3049,Lier,Drammensregionen,nb,\n")
    register.load_register(session, rows=register.parse_register(csv), county_name="Testfylket", actor="test")


def test_create_round_keeps_what_was_typed_and_then_invites(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)  # register and questionnaire
    token = admin(client, session)
    page = client.get("/ansatt/runder/ny")
    assert page.status_code == 200
    form = {
        "csrf_token": token,
        "title": "Runde 2027",
        "year": "20x7",
        "opens_on": "2027-01-10",
        "closes_on": "2027-01-01",
        "who": "kommuner",
        "questionnaire": str(world.round.questionnaire_version_id),
    }
    r = client.post("/ansatt/runder/ny", data=form)
    assert r.status_code == 422
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.find("input", id="title")["value"] == "Runde 2027"
    summary = soup.find(id="feiloppsummering").get_text(" ")
    assert (
        "fire sifre" in summary and "Fristen kan ikke være før" in summary and "minst én kommune" in summary
    )

    drammen = session.exec(select(Municipality).where(Municipality.kommunenummer == "3005")).one()
    form.update(year="2027", closes_on="2027-02-01", municipalities=str(drammen.id))
    r = client.post("/ansatt/runder/ny", data=form)
    assert r.status_code == 303, r.text
    fresh(session)
    created = session.exec(select(Round).where(Round.title == "Runde 2027")).one()
    assert r.headers["location"].endswith(f"/ansatt/runder/{created.id}/invitasjoner")
    invitations = session.exec(select(Invitation).where(Invitation.round_id == created.id)).all()
    assert [i.municipality_id for i in invitations] == [drammen.id]
    page = client.get(r.headers["location"])
    link = BeautifulSoup(page.text, "html.parser").select_one(".link-cell code").get_text()
    assert link.startswith("http://testserver/i/")
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(link.removeprefix("http://testserver")).status_code == 303


def test_create_round_by_region(client: TestClient, session: Session, settings: Settings) -> None:
    world = make_world(session, settings)
    token = admin(client, session)
    region = session.exec(select(register.Region).where(register.Region.name == "Drammensregionen")).one()
    form = {
        "csrf_token": token,
        "title": "Drammensregionen 2027",
        "year": "2027",
        "opens_on": "2027-01-01",
        "closes_on": "2027-02-01",
        "who": "regioner",
        "regions": str(region.id),
        "questionnaire": str(world.round.questionnaire_version_id),
    }
    assert client.post("/ansatt/runder/ny", data=form).status_code == 303
    fresh(session)
    created = session.exec(select(Round).where(Round.title == "Drammensregionen 2027")).one()
    names = session.exec(
        select(Municipality.name)
        .join(Response, Response.municipality_id == Municipality.id)
        .where(Response.round_id == created.id)
        .order_by(Municipality.name)
    ).all()
    assert names == ["Drammen", "Lier"]


def test_links_csv_regenerate_and_revoke(client: TestClient, session: Session, settings: Settings) -> None:
    world = make_world(session, settings)
    token = admin(client, session)
    r = client.get(f"/ansatt/runder/{world.round.id}/invitasjoner.csv")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "kommunenummer,kommune,url" and len(lines) == 4
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "invitations.export")).first()

    old = world.link("3005")
    invitation_id = int(old[3:].split("-")[0])
    r = client.post(
        f"/ansatt/runder/{world.round.id}/invitasjoner/{invitation_id}/ny-lenke", data={"csrf_token": token}
    )
    assert r.status_code == 303
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(old).status_code == 404  # the old link is gone
    page = client.get(f"/ansatt/runder/{world.round.id}/invitasjoner")
    assert "Den gamle virker ikke lenger" in page.text
    new = next(
        c.get_text() for c in BeautifulSoup(page.text, "html.parser").select(f"#inv-{invitation_id} code")
    )
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(new.removeprefix("http://testserver")).status_code == 303
    r = client.post(
        f"/ansatt/runder/{world.round.id}/invitasjoner/{invitation_id}/trekk-tilbake",
        data={"csrf_token": token},
    )
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(new.removeprefix("http://testserver")).status_code == 410


def test_dashboard_counts_by_status_and_region_and_filters(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    with TestClient(client.app, follow_redirects=False) as municipality:
        municipality.get(world.link("3049"))
        csrf = csrf_of(municipality, "/svar")
        municipality.post(
            "/svar/sporsmal/politikk",
            data={"politikk": "nei", "v:politikk": stamp(0, None)},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf},
        )
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    page = client.get(f"/ansatt/runder/{world.round.id}")
    assert page.status_code == 200
    summary = table_rows(page.text, "table.status-summary")
    assert summary["Påbegynt"]["Kommuner"] == "1" and summary["Ikke startet"]["Andel"] == "67\u00a0%"
    regions = table_rows(page.text, "table.by-region")
    # Every region here has fewer than three municipalities, and says so.
    drammen = regions["Drammensregionen (under 3 kommuner)"]
    assert (
        drammen["Påbegynt"] == "1"
        and drammen["Ikke startet"] == "1"
        and drammen["Sendt inn (andel)"] == "0 av 2 (0\u00a0%)"
    )
    assert set(regions) == {"Drammensregionen (under 3 kommuner)", "Hallingdal (under 3 kommuner)"}
    assert "Send påminnelse" not in page.text  # a leser cannot remind

    r = client.get(
        f"/ansatt/runder/{world.round.id}?region=Drammensregionen&status=in_progress",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "<html" not in r.text  # htmx gets the table block only
    rows = table_rows(r.text, "#oppfolging table")
    assert list(rows) == ["Lier"]


def test_dashboard_progress_follows_every_save(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """The follow-up page keeps each response's progress between visits (services/followup.py); a save
    changes the response's version, so the next visit counts again."""
    world = make_world(session, settings)
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")

    def besvart() -> str:
        page = client.get(f"/ansatt/runder/{world.round.id}")
        return table_rows(page.text, "#oppfolging table")["Lier"]["Besvart"]

    seen = [besvart()]
    with TestClient(client.app, follow_redirects=False) as municipality:
        municipality.get(world.link("3049"))
        csrf = csrf_of(municipality, "/svar")
        # «nei» answers a question; «ja» then shows one more (vedtaksar): each save changes the count.
        for value, stamped in (("nei", stamp(0, None)), ("ja", stamp(1, "nei"))):
            r = municipality.post(
                "/svar/sporsmal/politikk",
                data={"politikk": value, "v:politikk": stamped},
                headers={"HX-Request": "true", "X-CSRF-Token": csrf},
            )
            assert r.status_code == 200 and "Lagret" in r.text, r.text
            seen.append(besvart())
    total = int(seen[0].split(" av ")[1].split()[0])
    assert [s.split(" (")[0] for s in seen] == [f"0 av {total}", f"1 av {total}", f"1 av {total + 1}"], seen


def test_reminders_by_email_in_each_municipalitys_malform(
    mail_client: TestClient, session: Session, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.radgiver)
    login(mail_client, "radgiver@fylke.test")
    token = csrf_of(mail_client, "/ansatt")
    r = mail_client.post(
        f"/ansatt/runder/{world.round.id}/paminnelser", data={"csrf_token": token, "alle": "1"}
    )
    assert r.status_code == 303
    page = mail_client.get(f"/ansatt/runder/{world.round.id}")
    assert (
        "2 påminnelser er lagt i kø og sendes nå. Status per kommune står i tabellen. "
        "Ingen e-postadresse er registrert for Lier." in page.text
    )
    fresh(session)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "reminder.send")).one()
    assert event.details == {"queued": 2, "without_address": ["Lier"], "already_queued": []}
    wait_until(lambda: len(inbox[0].messages) == 2 and all_sent(session), what="two reminders sent")
    by_to = {m["To"]: m for m in inbox[0].messages}
    assert set(by_to) == {"post@drammen.kommune.test", "post@al.kommune.test, flyktning@al.kommune.test"}
    al = by_to["post@al.kommune.test, flyktning@al.kommune.test"]
    assert (
        al["Subject"].startswith("Påminning:") and "Vi har enno ikkje fått svaret frå Ål" in al.get_content()
    )
    drammen = by_to["post@drammen.kommune.test"].get_content()
    assert "Vi har ennå ikke fått svaret fra Drammen" in drammen
    link = next(word for word in drammen.split() if "/i/" in word)
    with TestClient(mail_client.app, follow_redirects=False) as municipality:
        assert municipality.get(link.removeprefix("http://testserver")).status_code == 303
    assert world.response(session, "3005").last_reminded_at is not None
    rows = table_rows(mail_client.get(f"/ansatt/runder/{world.round.id}").text, "#oppfolging table")
    assert rows["Ål"]["E-post"].startswith("Påminnelse sendt") and rows["Lier"]["E-post"] == "–"


def test_invitations_by_email(mail_client: TestClient, session: Session, settings: Settings, inbox) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    token = admin(mail_client, session)
    r = mail_client.post(f"/ansatt/runder/{world.round.id}/invitasjoner/send", data={"csrf_token": token})
    assert r.status_code == 303
    fresh(session)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "invitations.send")).one()
    assert event.details == {"queued": 2, "without_address": ["Lier"], "already_queued": []}
    wait_until(lambda: len(inbox[0].messages) == 2 and all_sent(session), what="two invitations sent")
    subjects = sorted(m["Subject"] for m in inbox[0].messages)
    assert subjects == [
        # The round as each municipality reads it: the questionnaire's title in its målform, and the year.
        "Invitasjon: Lita testundersøking 2026 – Ål kommune",
        "Invitasjon: Liten testundersøkelse 2026 – Drammen kommune",
    ]


def test_without_smtp_the_app_says_so_and_offers_the_csv(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    token = admin(client, session)
    page = client.get(f"/ansatt/runder/{world.round.id}/invitasjoner")
    assert "E-post er ikke satt opp" in page.text and "Last ned lenkene som CSV" in page.text
    r = client.post(f"/ansatt/runder/{world.round.id}/paminnelser", data={"csrf_token": token, "alle": "1"})
    assert r.status_code == 303
    assert "E-post er ikke satt opp for Innspill" in client.get(f"/ansatt/runder/{world.round.id}").text


def test_closing_a_round_makes_answers_read_only(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    token = admin(client, session)
    r = client.post(f"/ansatt/runder/{world.round.id}/status", data={"csrf_token": token, "status": "closed"})
    assert r.status_code == 303
    with TestClient(client.app, follow_redirects=False) as municipality:
        municipality.get(world.link("3005"))
        assert "Runden er avsluttet" in municipality.get("/svar/del/del1").text


def test_a_round_title_with_a_line_break_is_mailed_on_one_line(
    mail_client: TestClient, session: Session, settings: Settings, inbox
) -> None:
    # A title written as a YAML block keeps its line break: a 500 when mailing before.
    broken = SMALL_QUESTIONNAIRE.replace(
        "title: {nb: Liten testundersøkelse, nn: Lita testundersøking}",
        'title: {nb: "Liten\\ntestundersøkelse", nn: "Lita\\ntestundersøking"}',
    )
    world = make_world(session, settings, questionnaire=broken)
    add_contacts(session)
    token = admin(mail_client, session)
    r = mail_client.post(f"/ansatt/runder/{world.round.id}/invitasjoner/send", data={"csrf_token": token})
    assert r.status_code == 303
    wait_until(lambda: len(inbox[0].messages) == 2, what="two invitations sent")
    assert (
        sorted(m["Subject"] for m in inbox[0].messages)[0]
        == "Invitasjon: Lita testundersøking 2026 – Ål kommune"
    )


def test_a_new_link_for_an_expired_one_works(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """A municipality whose link ran out while the round is still open gets one that opens the form."""
    world = make_world(session, settings)
    token = admin(client, session)
    invitation_id = int(world.link("3005")[3:].split("-")[0])
    invitation = session.get(Invitation, invitation_id)
    assert invitation is not None
    invitation.expires_at = utcnow() - timedelta(days=3)
    session.add(invitation)
    session.commit()
    base = f"/ansatt/runder/{world.round.id}/invitasjoner/{invitation_id}/ny-lenke"
    confirmation = BeautifulSoup(client.get(f"{base}/bekreft").text, "html.parser").get_text(" ", strip=True)
    assert "gikk ut" in confirmation and "Den nye lenken virker til" in confirmation
    assert client.post(base, data={"csrf_token": token}).status_code == 303
    session.refresh(invitation)
    assert invitation.expires_at > utcnow() + timedelta(days=settings.invitation_days - 1)
    page = client.get(f"/ansatt/runder/{world.round.id}/invitasjoner")
    new = next(
        c.get_text() for c in BeautifulSoup(page.text, "html.parser").select(f"#inv-{invitation_id} code")
    )
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(new.removeprefix("http://testserver")).status_code == 303
    log = BeautifulSoup(client.get("/ansatt/logg").text, "html.parser").get_text(" ", strip=True)
    assert "Den nye virker til" in log
