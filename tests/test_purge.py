"""``survey-app purge --before DATE``: personal data of old closed rounds goes, the results stay."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from survey_app import audit
from survey_app.cli import app
from survey_app.config import Settings
from survey_app.models import (
    AnalysisRun,
    Answer,
    AuditEvent,
    Invitation,
    Municipality,
    MunicipalityContact,
    Response,
    Role,
    Round,
    RoundStatus,
    SessionKind,
    WebSession,
)
from survey_app.questionnaires import parse
from survey_app.services import catalog, register, responses, results, rounds, sessions
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, SMALL_QUESTIONNAIRE, make_staff, small_run_results

runner = CliRunner()

REGISTER = (
    "kommunenummer,name,region,epost\n"
    "3005,Drammen,Drammensregionen,kari.nordmann@drammen.kommune.no\n"
    "3043,Ål,Hallingdal,ola.hansen@al.kommune.no\n"
    "3049,Lier,Drammensregionen,postmottak@lier.kommune.no\n"
)
CUTOFF = "2025-01-01"
EDITOR = "Kari Nordmann"
SIGNER = "Ola Hansen"


@pytest.fixture
def county(session: Session, settings: Settings) -> dict[str, Round]:
    """Three rounds: one closed before the cutoff, one closed after it, one still open though past its date.

    Every municipality is in the old round; Drammen also in the recent one, Lier also in the open one, so
    only Ål has no round that still needs its contact address.
    """
    county = register.load_register(
        session, rows=register.parse_register(REGISTER), county_name="Testfylket", actor=audit.SYSTEM
    )
    version = catalog.import_questionnaire(session, definition=parse(SMALL_QUESTIONNAIRE), actor=audit.SYSTEM)
    munis = {m.kommunenummer: m for m in session.exec(select(Municipality))}
    plan = {
        "old": (date(2024, 1, 31), ["3005", "3043", "3049"], RoundStatus.closed, 2),
        "recent": (date(2025, 6, 30), ["3005"], RoundStatus.closed, 3),
        "open": (date(2024, 12, 1), ["3049"], RoundStatus.open, 4),
    }
    made: dict[str, Round] = {}
    for name, (closes_on, numbers, status, agreement) in plan.items():
        assert county.id is not None
        rnd = rounds.create_round(
            session,
            county_id=county.id,
            version=version,
            year=closes_on.year,
            title=f"Runde {name}",
            opens_on=date(closes_on.year - 1, 11, 1),
            closes_on=closes_on,
            municipalities=[munis[n] for n in numbers],
            secret_key=settings.resolved_secret_key(),
            invitation_days=30,
            actor=audit.SYSTEM,
        )
        for response in session.exec(select(Response).where(Response.round_id == rnd.id)).all():
            assert response.id is not None
            draft = responses.load_draft(session, response_id=response.id)
            changes = {"politikk": ("ja", 0), "enighet": (agreement, 0), "kommentar": (f"Svar i {name}", 0)}
            responses.save(session, draft=draft, changes=changes, editor=EDITOR)
            draft = responses.load_draft(session, response_id=response.id)
            assert responses.submit(session, draft=draft, signer_name=SIGNER, signer_role="Rådmann") == []
        if status == RoundStatus.closed:
            rounds.set_status(session, round_=rnd, status=status, actor=audit.SYSTEM)
        made[name] = rnd
    return made


def purge(settings: Settings, *args: str) -> Result:
    env = {"DATABASE_URL": settings.database_url, "SURVEY_APP_DATABASE_URL": None}
    return runner.invoke(app, ["--data-dir", str(settings.data_dir), "purge", *args], env=env)


def personal(session: Session, rnd: Round) -> dict[str, Any]:
    """Every personal field of a round, as stored now."""
    fresh(session)
    answered = session.exec(select(Response).where(Response.round_id == rnd.id)).all()
    ids = [r.id for r in answered]
    events = session.exec(
        select(AuditEvent.actor).where(
            AuditEvent.action == "response.submit", col(AuditEvent.object_id).in_([str(i) for i in ids])
        )
    ).all()
    editors = session.exec(select(Answer.updated_by).where(col(Answer.response_id).in_(ids))).all()
    return {
        "signers": sorted({(r.signed_by_name, r.signed_by_role) for r in answered}, key=str),
        "editors": sorted(set(editors)),
        "actors": sorted({a.rsplit(":", 1)[-1] if a.count(":") == 2 else "" for a in events}),
    }


NAMED = {"signers": [(SIGNER, "Rådmann")], "editors": [EDITOR], "actors": [SIGNER]}


def aggregates(session: Session, rnd: Round) -> dict[str, Any]:
    """What the results pages compute, and what they compute it from."""
    fresh(session)
    assert rnd.id is not None
    definition = results.round_definition(session, round_id=rnd.id)
    rows = results.load_rows(session, round_id=rnd.id)
    return {
        "distributions": [
            d for q in definition.questions() for d in results.question_results(definition, q, rows)
        ],
        "values": {r.municipality.kommunenummer: r.values for r in rows},
        "statuses": {r.municipality.kommunenummer: r.response.status for r in rows},
        "profile": [
            (p.key, p.answer, p.score, p.region_mean, p.county_mean)
            for p in results.profile(definition, rows, rows[0].municipality.id or 0)
        ],
    }


def contacts(session: Session) -> set[str]:
    fresh(session)
    return set(session.exec(select(MunicipalityContact.email)))


def test_purge_removes_personal_data_of_old_closed_rounds_and_keeps_the_results(
    county: dict[str, Round], session: Session, settings: Settings, client: TestClient
) -> None:
    old, recent, still_open = county["old"], county["recent"], county["open"]
    before = {name: aggregates(session, rnd) for name, rnd in county.items()}
    # A stored analysis (computing one trains the theme model: too slow here) must survive as it is.
    stored = small_run_results()
    run = AnalysisRun(round_id=old.id or 0, code_version="test", model_version="test", results=stored)
    session.add(run)
    session.commit()
    assert len(before["old"]["values"]) == 3 and before["old"]["distributions"]
    assert personal(session, old) == NAMED
    # A session opened with each round's link: who it was, from which browser and address.
    for rnd in (old, recent):
        invitation = session.exec(select(Invitation).where(Invitation.round_id == rnd.id)).first()
        assert invitation is not None and invitation.id is not None
        row, _ = sessions.begin(
            session,
            kind=SessionKind.respondent,
            client=sessions.Client(user_agent="Firefox", address="10.0.0.7"),
            invitation_id=invitation.id,
        )
        sessions.set_editor(session, row=row, editor=EDITOR)

    dry = purge(settings, "--before", CUTOFF, "--torrkjoring", "--ja")
    assert dry.exit_code == 0, dry.output
    assert "Tørrkjøring, ingenting er endret" in dry.stdout and "Runde old" in dry.stdout, dry.stdout
    assert "--ja" not in dry.stdout, "a dry run asked for is not told to add --ja"
    # Without --ja it deletes nothing either: it shows what --ja would delete, and how to.
    unconfirmed = purge(settings, "--before", CUTOFF)
    assert unconfirmed.exit_code == 0, unconfirmed.output
    assert unconfirmed.stdout.splitlines()[0].startswith("Tørrkjøring, ingenting er endret"), (
        unconfirmed.stdout
    )
    assert unconfirmed.stdout.splitlines()[-1] == (
        f"Kjør igjen med --ja for å slette: survey-app purge --before {CUTOFF} --ja"
    ), unconfirmed.stdout
    for _ in (dry, unconfirmed):
        assert personal(session, old) == NAMED and len(contacts(session)) == 3
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "personal_data.purge")).all()

    done = purge(settings, "--before", CUTOFF, "--ja")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[:7] == [
        "Slettet personopplysninger fra 1 avsluttet runde med sluttdato før 1. januar 2025:",
        f"  Runde old (runde {old.id}, sluttdato 31. januar 2024)",
        "  Navn og rolle på den som godkjente og sendte inn: 3 svar",
        "  Navn på den som sist endret et svar: 9 svar",
        "  Navn i revisjonsloggen: 3 hendelser",
        "  Kontaktadresser til kommuner som ikke er med i en nyere eller åpen runde: 1",
        "Svarene, statusene og analysene er beholdt.",
    ], done.stdout

    assert personal(session, old) == {"signers": [(None, None)], "editors": [""], "actors": [""]}
    assert personal(session, recent) == NAMED, "closed after the date: untouched"
    assert personal(session, still_open) == NAMED, "still open, though past its closing date: untouched"
    assert contacts(session) == {"kari.nordmann@drammen.kommune.no", "postmottak@lier.kommune.no"}
    left = session.exec(
        select(Invitation.round_id).join(WebSession, WebSession.invitation_id == Invitation.id)
    )
    assert list(left) == [recent.id]
    assert {name: aggregates(session, rnd) for name, rnd in county.items()} == before
    assert session.exec(select(AnalysisRun.results)).all() == [stored]

    event = session.exec(select(AuditEvent).where(AuditEvent.action == "personal_data.purge")).one()
    assert event.actor == audit.SYSTEM
    assert event.details == {
        "before": CUTOFF,
        "rounds": [old.id],
        "signers": 3,
        "editors": 9,
        "audit_actors": 3,
        "contacts": 1,
    }
    make_staff(session, Role.admin)
    token = csrf_of(client, "/ansatt/logg-inn")
    client.post(
        "/ansatt/logg-inn", data={"csrf_token": token, "email": "admin@fylke.test", "password": PASSWORD}
    )
    page = client.get("/ansatt/logg", params={"handling": "personal_data.purge"})
    assert page.status_code == 200 and "Personopplysninger slettet" in page.text, page.text[-2000:]

    again = purge(settings, "--before", CUTOFF, "--ja")
    assert "inn: 0 svar" in again.stdout and "endret et svar: 0 svar" in again.stdout, again.stdout


def test_purge_before_every_round_changes_nothing(
    county: dict[str, Round], session: Session, settings: Settings
) -> None:
    result = purge(settings, "--before", "2020-01-01", "--ja")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Ingen avsluttede runder har sluttdato før 1. januar 2020."), (
        result.stdout
    )
    assert personal(session, county["old"]) == NAMED and len(contacts(session)) == 3


def test_purge_wants_a_date(settings: Settings) -> None:
    result = purge(settings, "--before", "i fjor")
    assert result.exit_code == 2
    assert "«i fjor» er ikke en dato. Skriv den som ÅÅÅÅ-MM-DD" in result.stderr, result.output
