"""The data model. Every table is created by an Alembic migration, never by ``create_all``.

Times are stored in UTC and come back timezone-aware on SQLite and PostgreSQL alike (``UTCDateTime``).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from analysis.settlement_rules import RulesSpec
from survey_app.analysis_data import RunResults
from survey_app.scenario_data import FigureRow, OverrideRecord, PydanticJSON

# Stable constraint names make migrations reviewable and portable between SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A DateTime that is always stored as UTC and read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use survey_app.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(kind: type[enum.Enum]) -> sa.Enum:
    # Stored as plain VARCHAR (no database enum type), read back as the Python enum.
    return sa.Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


def _time(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Role(enum.StrEnum):
    """Staff roles. What each may do lives in ``permissions.py``."""

    admin = "admin"
    radgiver = "radgiver"
    leser = "leser"


class ResponseStatus(enum.StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    submitted = "submitted"
    reopened = "reopened"


class RoundStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class County(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Region(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("county_id", "name", name="uq_region_county_name"),)
    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    name: str = Field(max_length=200)


class Municipality(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    kommunenummer: str = Field(max_length=4, unique=True)
    name: str = Field(max_length=200)
    # "nb" (bokmål) or "nn" (nynorsk): the written standard the county must use towards it.
    malform: str = Field(default="nb", max_length=2)


class MunicipalityRegion(SQLModel, table=True):
    """A municipality can sit in two regional councils (Vestby, Jevnaker); the first listed is primary."""

    __tablename__ = "municipality_region"
    municipality_id: int = Field(foreign_key="municipality.id", primary_key=True)
    region_id: int = Field(foreign_key="region.id", primary_key=True)
    is_primary: bool = True


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    full_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=_enum(Role))
    password_hash: str = Field(max_length=500)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = _time()
    # Set when an administrator resets the password: the next login must choose a new one first.
    must_change_password: bool = False
    password_changed_at: datetime | None = _time()


class Questionnaire(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    title: str = Field(max_length=300)


class QuestionnaireVersion(SQLModel, table=True):
    """An immutable copy of a questionnaire file; a round pins one, so later edits never change it."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "content_hash", name="uq_questionnaire_version_hash"),
    )
    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    version_no: int
    content_hash: str = Field(max_length=64)
    definition: dict[str, Any] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Round(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    county_id: int = Field(foreign_key="county.id", index=True)
    questionnaire_version_id: int = Field(foreign_key="questionnaire_version.id", index=True)
    year: int
    title: str = Field(max_length=300)
    opens_on: date
    closes_on: date
    status: RoundStatus = Field(default=RoundStatus.draft, sa_type=_enum(RoundStatus))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The case folder in the county's archive its documents go to (services/archive): an existing case by
    # its saksnummer (year and sequence number), or none yet, when the archive package creates a case with
    # ``archive_case_title`` (blank: a title made from the round's).
    archive_case_year: int | None = None
    archive_case_number: int | None = None
    archive_case_title: str = Field(default="", max_length=300)


class Invitation(SQLModel, table=True):
    """The link a municipality answers with. Only a hash of its token is stored."""

    __table_args__ = (sa.UniqueConstraint("round_id", "municipality_id", name="uq_invitation_round_muni"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    # Changing the salt changes the token: that is how a link is regenerated.
    salt: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = _time()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = _time()


class Response(SQLModel, table=True):
    """One municipality's answer to one round."""

    __table_args__ = (sa.UniqueConstraint("round_id", "municipality_id", name="uq_response_round_muni"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    status: ResponseStatus = Field(default=ResponseStatus.not_started, sa_type=_enum(ResponseStatus))
    # Bumped on every stored change, so a printed receipt names exactly what was submitted.
    version: int = 0
    started_at: datetime | None = _time()
    last_saved_at: datetime | None = _time()
    submitted_at: datetime | None = _time()
    signed_by_name: str | None = Field(default=None, max_length=200)
    signed_by_role: str | None = Field(default=None, max_length=200)
    reopened_at: datetime | None = _time()
    last_reminded_at: datetime | None = _time()


class MunicipalityContact(SQLModel, table=True):
    """Where invitations and reminders go. Personal data: kept only as long as the county needs it."""

    __tablename__ = "municipality_contact"
    __table_args__ = (sa.UniqueConstraint("municipality_id", "email", name="uq_contact_muni_email"),)
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A staff user's key to the read-only JSON API. Only a hash is stored; the token is shown once."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = _time()
    revoked_at: datetime | None = _time()
    # None only for tokens made before tokens expired; migration 0011 gave those a date.
    expires_at: datetime | None = _time()


class AnalysisRun(SQLModel, table=True):
    """One computation of a round's parameters, themes, needs and topics, stored for reproducibility.

    ``snapshot_at`` is the newest answer it saw; ``code_version`` and ``model_version`` name the code and
    the theme model (codebook and staff codings) that produced it. ``results`` is typed
    (``survey_app.analysis_data.RunResults``).
    """

    __tablename__ = "analysis_run"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    snapshot_at: datetime | None = _time()
    code_version: str = Field(max_length=100)
    model_version: str = Field(max_length=100)
    results: RunResults = Field(sa_type=PydanticJSON(RunResults))


class ThemeCoding(SQLModel, table=True):
    """The themes of one free-text answer: the machine's suggestion and what staff confirmed."""

    __tablename__ = "theme_coding"
    __table_args__ = (sa.UniqueConstraint("response_id", "answer_key", name="uq_theme_coding_answer"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    answer_key: str = Field(max_length=100)
    machine_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    machine_scores: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    # None until a person has looked; then the codes they settled on (possibly none).
    # none_as_null: "not looked at yet" must be SQL NULL, so queries can find it (JSON null is not NULL).
    staff_codes: list[str] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))
    confirmed_by: int | None = Field(default=None, foreign_key="staff_user.id")
    confirmed_at: datetime | None = _time()


class Answer(SQLModel, table=True):
    """The current value of one question in one response; ``version`` guards against lost updates."""

    __table_args__ = (sa.UniqueConstraint("response_id", "question_id", name="uq_answer_response_question"),)
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    question_id: str = Field(max_length=100)
    value: Any = Field(default=None, sa_type=sa.JSON)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=200)


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what, when. Written by the services, in the same transaction as the change."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100, index=True)
    object_type: str = Field(default="", max_length=50)
    object_id: str = Field(default="", max_length=50)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class Scenario(SQLModel, table=True):
    """A named version of the settlement recommendation: the figures, the total, the rules and the overrides.

    The figures (one row per municipality, from an imported file or the knowledge base, and the round's
    analysis) are a snapshot, so a scenario gives the same numbers tomorrow. The JSON columns are typed
    (``survey_app.scenario_data``): ``figures`` a list of ``FigureRow``, ``rules`` the rules file's
    ``RulesSpec``, ``overrides`` a kommunenummer → ``OverrideRecord``.
    """

    __tablename__ = "scenario"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    total: int = 0
    # The settlement year the recommendation is for (None: scenarios made before it was asked for).
    year: int | None = None
    # Of the total, unaccompanied minors (herav enslige mindreårige); None: not asked.
    minors_total: int | None = None
    rules: RulesSpec = Field(default_factory=RulesSpec, sa_type=PydanticJSON(RulesSpec))
    figures: list[FigureRow] = Field(default_factory=list, sa_type=PydanticJSON(list[FigureRow]))
    criteria_columns: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    criteria_labels: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)  # column → Norwegian name
    # The columns that come from the survey (the index and its parameters): evidence for the dialogue, and
    # a warning about incentives when they are given weight.
    survey_columns: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    figures_source: str = Field(default="", max_length=300)
    figures_imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Where the knowledge base's figures came from, each with the date it was read in («Kilder»).
    sources: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    index_source: str = Field(default="", max_length=300)
    overrides: dict[str, OverrideRecord] = Field(
        default_factory=dict, sa_type=PydanticJSON(dict[str, OverrideRecord])
    )
    is_final: bool = False
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginOutcome(enum.StrEnum):
    # An attempt is stored as failed before its password is checked, so parallel tries count at once.
    failed = "failed"
    succeeded = "succeeded"
    refused = "refused"  # throttled: the password was not checked


class LoginAttempt(SQLModel, table=True):
    """One try at the staff login: the throttle's shared state (``services/throttle.py``), kept a day.

    The audit log is the lasting record of logins; this table only has to outlive the throttle's window.
    """

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    email: str = Field(max_length=320, index=True)
    address: str = Field(max_length=100, index=True)
    outcome: LoginOutcome = Field(sa_type=_enum(LoginOutcome))


class SettlementHistory(SQLModel, table=True):
    """One municipality's settlement year: the county's recommendation, IMDi's request (anmodning), the
    council's decision (vedtak) and the number actually settled (bosatt), each with unaccompanied minors
    (herav enslige mindreårige) where known. None is unknown, never zero.

    ``kommunenummer`` is the register's number (figures filed under a predecessor or successor number are
    mapped to it on import); ``source`` names the import that last changed the row.
    """

    __tablename__ = "settlement_history"
    __table_args__ = (sa.UniqueConstraint("kommunenummer", "year", name="uq_settlement_history_muni_year"),)
    id: int | None = Field(default=None, primary_key=True)
    kommunenummer: str = Field(max_length=4)
    year: int
    recommended: int | None = None
    requested: int | None = None
    requested_minors: int | None = None
    decided: int | None = None
    decided_minors: int | None = None
    # The years the council's decision covers: "2025" or "2025–2026"; blank if unknown.
    decision_years: str = Field(default="", max_length=20)
    settled: int | None = None
    settled_minors: int | None = None
    source: str = Field(default="", max_length=300)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RegisterValue(SQLModel, table=True):
    """One register figure (an SSB statbank value) for a municipality and year, with where it came from."""

    __tablename__ = "register_value"
    __table_args__ = (
        sa.UniqueConstraint(
            "kommunenummer", "indicator", "year", name="uq_register_value_muni_indicator_year"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    kommunenummer: str = Field(max_length=4)
    indicator: str = Field(max_length=50, index=True)  # a short id, e.g. "befolkning"
    label: str = Field(max_length=200)  # its Norwegian name
    table_id: str = Field(default="", max_length=20)  # the SSB table, e.g. "07459"
    year: int
    value: float
    source: str = Field(default="", max_length=300)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KnowledgeUpload(SQLModel, table=True):
    """A file between its preview and the adviser's «Importer».

    Kept in the database, not in a form field, so that the import is exactly the previewed file whichever
    worker serves the confirmation, and a 2 MB file need not travel back through the browser. Only its
    uploader can import it; it is deleted on import, and left-overs after a day with the next upload.
    """

    __tablename__ = "knowledge_upload"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    kind: str = Field(max_length=20)  # "history" or "register"
    filename: str = Field(max_length=300)
    indicator: str = Field(default="", max_length=50)
    label: str = Field(default="", max_length=200)
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SessionKind(enum.StrEnum):
    staff = "staff"
    respondent = "respondent"


class WebSession(SQLModel, table=True):
    """A signed-in browser session, kept on the server so that it can be ended (``services/sessions.py``).

    The browser's cookie holds the random token; only its hash is stored here. A staff session belongs to a
    staff user; a respondent session to an invitation, and one browser may hold several of those at once.
    """

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: SessionKind = Field(sa_type=_enum(SessionKind))
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", index=True)
    # The name a respondent gave for «Hvem fyller ut nå?», per session: colleagues share one invitation.
    editor: str = Field(default="", max_length=100)
    user_agent: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = _time()
    end_reason: str = Field(default="", max_length=50)


class MailKind(enum.StrEnum):
    invitation = "invitation"
    reminder = "reminder"


class MailStatus(enum.StrEnum):
    queued = "queued"  # waiting for the sender (new, or released unsent)
    sending = "sending"  # claimed by one sender until ``claimed_until``
    sent = "sent"
    failed = "failed"  # tried again at ``next_attempt_at``; given up when that is empty
    cancelled = "cancelled"  # not sent: the link was withdrawn, or the municipality submitted first


class MailOutbox(SQLModel, table=True):
    """An invitation or reminder on its way (``services/outbox.py``).

    Queued in the transaction of the request that asked for it and sent after the response by the app's
    sender thread, so no request waits for the mail server. The message is not stored: it is written when
    sent, from the invitation, so the table holds no working link (the link is a credential).
    """

    __tablename__ = "mail_outbox"
    id: int | None = Field(default=None, primary_key=True)
    kind: MailKind = Field(sa_type=_enum(MailKind))
    round_id: int = Field(foreign_key="round.id", index=True)
    municipality_id: int = Field(foreign_key="municipality.id")
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    status: MailStatus = Field(default=MailStatus.queued, sa_type=_enum(MailStatus), index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _time()
    claimed_by: str = Field(default="", max_length=100)
    claimed_until: datetime | None = _time()
    last_error: str = Field(default="", max_length=500)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = _time()
