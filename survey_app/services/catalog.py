"""Questionnaire files into the database as immutable, hash-identified versions."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import Questionnaire, QuestionnaireVersion, Round
from survey_app.questionnaires import QuestionnaireDef, from_stored, load_file, shipped_files


def import_questionnaire(
    session: Session, *, definition: QuestionnaireDef, actor: str
) -> QuestionnaireVersion:
    """Store a questionnaire version; importing the same content again returns the existing version."""
    begin_write(session)
    questionnaire = session.exec(select(Questionnaire).where(Questionnaire.slug == definition.id)).first()
    if questionnaire is None:
        questionnaire = Questionnaire(slug=definition.id, title=definition.title)
        session.add(questionnaire)
        session.flush()
    questionnaire.title = definition.title
    digest = definition.content_hash()
    version = session.exec(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.content_hash == digest,
        )
    ).first()
    if version is not None:
        return version
    latest = session.exec(
        select(func.max(QuestionnaireVersion.version_no)).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id
        )
    ).one()
    assert questionnaire.id is not None
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version_no=(latest or 0) + 1,
        content_hash=digest,
        definition=definition.model_dump(mode="json"),
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="questionnaire.import",
        object_type="questionnaire_version",
        object_id=version.id,
        details={"slug": definition.id, "version_no": version.version_no},
    )
    session.commit()
    return version


def import_directory(session: Session, *, directory: Path, actor: str) -> list[QuestionnaireVersion]:
    return [
        import_questionnaire(session, definition=load_file(p), actor=actor) for p in shipped_files(directory)
    ]


def round_definition(session: Session, round_: Round) -> QuestionnaireDef:
    """The questionnaire definition the round pinned."""
    version = session.get(QuestionnaireVersion, round_.questionnaire_version_id, options=[WITHOUT_DEFINITION])
    assert version is not None  # a foreign key guarantees it
    return definition_of(version)


# A loader option: the version without its definition (tens of kB of JSON), which ``definition_of`` reads
# only the first time this process meets the version.
WITHOUT_DEFINITION = defer(QuestionnaireVersion.definition)  # type: ignore[arg-type]


def definition_of(version: QuestionnaireVersion) -> QuestionnaireDef:
    # Lazily: a version loaded with its definition deferred is not read again once parsed.
    return from_stored(version.content_hash, lambda: version.definition)


def latest_version(session: Session, slug: str) -> QuestionnaireVersion | None:
    """The newest version of a questionnaire: by its own ``version`` label («2026.2» after «2025.1»), then
    by import order. An older version imported later (last year's, for a comparison) stays older."""
    versions = session.exec(
        select(QuestionnaireVersion)
        .join(Questionnaire, col(Questionnaire.id) == col(QuestionnaireVersion.questionnaire_id))
        .where(Questionnaire.slug == slug)
        .options(WITHOUT_DEFINITION)
    ).all()
    return max(versions, key=lambda v: (_label_order(definition_of(v).version), v.version_no), default=None)


def _label_order(label: str | None) -> tuple[int, ...]:
    # «2026.2» → (2026, 2); a label without numbers sorts first, leaving import order to decide.
    return tuple(int(part) for part in re.findall(r"\d+", label or ""))


def questionnaire_slugs(session: Session) -> list[str]:
    return list(session.exec(select(Questionnaire.slug).order_by(Questionnaire.slug)))
