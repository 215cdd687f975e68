"""Rounds: a questionnaire version sent to a set of municipalities for a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import (
    Invitation,
    Municipality,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    utcnow,
)
from survey_app.security import invitation_token, new_salt, token_hash
from survey_app.services.catalog import definition_of


class Untranslated(Exception):
    """A round cannot open for these municipalities: the questionnaire lacks texts in their målform."""

    def __init__(self, municipalities: Sequence[str], missing: int) -> None:
        self.municipalities = list(municipalities)
        self.missing = missing
        names = ", ".join(self.municipalities[:5]) + (" …" if len(self.municipalities) > 5 else "")
        super().__init__(
            f"Skjemaet mangler nynorsk for {missing} tekster, og {len(self.municipalities)} av kommunene i runden "
            f"har nynorsk som målform ({names}). Legg inn nynorsk i skjemaet (survey-app questionnaires check "
            "viser hvor), eller la runden være uten disse kommunene."
        )


def check_languages(version: QuestionnaireVersion, municipalities: Sequence[Municipality]) -> None:
    """Raise ``Untranslated`` unless the questionnaire has every text in each municipality's målform.

    The county must write to a municipality in the written standard it has chosen (språklova § 15), so a
    round never opens with a page that falls back to the other one."""
    definition = definition_of(version)
    for lang in sorted({m.malform for m in municipalities}):
        missing = definition.missing_in(lang)
        if missing:
            raise Untranslated(sorted(m.name for m in municipalities if m.malform == lang), len(missing))


def create_round(
    session: Session,
    *,
    county_id: int,
    version: QuestionnaireVersion,
    year: int,
    title: str,
    opens_on: date,
    closes_on: date,
    municipalities: Sequence[Municipality],
    secret_key: str,
    invitation_days: int,
    status: RoundStatus = RoundStatus.open,
    actor: str,
) -> Round:
    """Create a round with an invitation and an empty response for each municipality.

    An open round needs its questionnaire in every municipality's målform (``check_languages``)."""
    if status == RoundStatus.open:
        check_languages(version, municipalities)
    begin_write(session)
    assert version.id is not None
    rnd = Round(
        county_id=county_id,
        questionnaire_version_id=version.id,
        year=year,
        title=title,
        opens_on=opens_on,
        closes_on=closes_on,
        status=status,
    )
    session.add(rnd)
    session.flush()
    expires = datetime.combine(closes_on, datetime.min.time(), tzinfo=utcnow().tzinfo) + timedelta(
        days=invitation_days
    )
    for muni in municipalities:
        add_invitation(session, round_=rnd, municipality=muni, secret_key=secret_key, expires_at=expires)
    audit.record(
        session,
        actor=actor,
        action="round.create",
        object_type="round",
        object_id=rnd.id,
        details={"title": title, "municipalities": len(municipalities)},
    )
    session.commit()
    return rnd


def add_invitation(
    session: Session, *, round_: Round, municipality: Municipality, secret_key: str, expires_at: datetime
) -> Invitation:
    """An invitation plus the municipality's (empty) response; flushed, not committed."""
    assert round_.id is not None and municipality.id is not None
    salt = new_salt()
    # The token needs the row's id, so the row is first written with a unique placeholder hash.
    invitation = Invitation(
        round_id=round_.id,
        municipality_id=municipality.id,
        token_hash=f"pending-{salt}",
        salt=salt,
        expires_at=expires_at,
    )
    session.add(invitation)
    session.flush()
    assert invitation.id is not None
    invitation.token_hash = token_hash(invitation_token(secret_key, invitation.id, invitation.salt))
    session.add(Response(round_id=round_.id, municipality_id=municipality.id))
    session.flush()
    return invitation


@dataclass(frozen=True)
class StatusCount:
    not_started: int = 0
    in_progress: int = 0
    submitted: int = 0
    reopened: int = 0

    @property
    def total(self) -> int:
        return self.not_started + self.in_progress + self.submitted + self.reopened


def status_counts(session: Session, round_id: int) -> StatusCount:
    counts = {s.value: 0 for s in ResponseStatus}
    for status in session.exec(select(Response.status).where(Response.round_id == round_id)):
        counts[ResponseStatus(status).value] += 1
    return StatusCount(**counts)


def list_rounds(session: Session) -> list[Round]:
    return list(session.exec(select(Round).order_by(col(Round.year).desc(), col(Round.id).desc())))


def set_status(session: Session, *, round_: Round, status: RoundStatus, actor: str) -> Round:
    """Open or close a round. A closed round keeps its answers, read-only for the municipalities.

    Opening checks the questionnaire's målforms as ``create_round`` does (raises ``Untranslated``)."""
    if status == RoundStatus.open:
        version = session.get(QuestionnaireVersion, round_.questionnaire_version_id)
        assert version is not None
        invited = select(Municipality).join(
            Invitation, col(Invitation.municipality_id) == col(Municipality.id)
        )
        check_languages(version, list(session.exec(invited.where(Invitation.round_id == round_.id))))
    begin_write(session)
    session.refresh(round_)
    before = round_.status
    round_.status = status
    audit.record(
        session,
        actor=actor,
        action="round.status",
        object_type="round",
        object_id=round_.id,
        details={"from": before.value, "to": status.value},
    )
    session.commit()
    return round_
