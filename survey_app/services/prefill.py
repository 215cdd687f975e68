"""Answers the county already knows, offered to the municipality to confirm or correct.

A question with ``prefill: vedtak`` asks for the council's decision on settling refugees, which the
knowledge base holds (``SettlementHistory``, from IMDi's figures or the county's own records). The form shows
the known figure in the field with a note saying where it comes from; it becomes the municipality's answer
only when they save it, as it is or corrected. Staff see the known figure beside the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from survey_app.models import Municipality, Round, SettlementHistory
from survey_app.questionnaires import QuestionnaireDef


@dataclass(frozen=True)
class Prefill:
    value: int
    year: int  # the settlement year the figure is for


# What each ``prefill`` names in a municipality's settlement history.
FIELDS = {"vedtak": "decided", "vedtak_ema": "decided_minors"}


def known(
    session: Session, *, definition: QuestionnaireDef, municipality: Municipality, round_: Round
) -> dict[str, Prefill]:
    """The known figure for each prefilled question: from the newest settlement year up to the one after the
    round's (the decision a survey in the autumn asks about) that has it; none when the history has none."""
    wanted = {q.id: q.prefill for q in definition.questions() if q.prefill}
    if not wanted:
        return {}
    years = session.exec(
        select(SettlementHistory)
        .where(SettlementHistory.kommunenummer == municipality.kommunenummer)
        .where(col(SettlementHistory.year) <= round_.year + 1)
        .order_by(col(SettlementHistory.year).desc())
    ).all()
    found: dict[str, Prefill] = {}
    for question_id, name in wanted.items():
        field = FIELDS[name]
        row = next((r for r in years if getattr(r, field) is not None), None)
        if row is not None:
            found[question_id] = Prefill(int(getattr(row, field)), row.year)
    return found
