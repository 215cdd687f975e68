"""What every question type provides, and the parts the types share.

A type is one ``Kind`` object in one module of this package: which YAML fields it takes, its answer keys,
how a submitted form becomes its value, what a valid value is, how a value reads, how it scores towards a
parameter, what its codes mean in an export, how the printed blank form lays it out, how the demo makes up
an answer, and the macro in ``templates/_macros/question_types.html`` that renders its fields. The rest of
the app asks the registry (``kind_of``) and never tests a type by name.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from starlette.datastructures import FormData

from analysis.parameters import DONT_KNOW, INTERMUNICIPAL, MISSING_ANSWERS, NOT_APPLICABLE, ScoringRule
from survey_app.i18n import t

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef

__all__ = ["DONT_KNOW", "INTERMUNICIPAL", "MISSING_ANSWERS", "NOT_APPLICABLE", "OTHER", "Kind", "Value"]

OTHER = "annet"
Value = str | int | list[str] | None
# Between the values of a list answer (multi, ranking) in a CSV or XLSX cell.
LIST_SEPARATOR = "|"

# The declared answers that say why the municipality gives no answer of its own, with their i18n keys, in
# the order they are offered. Never scored; results count them apart.
MISSING_LABELS: dict[str, str] = {
    DONT_KNOW: "dont_know",
    NOT_APPLICABLE: "not_applicable",
    INTERMUNICIPAL: "intermunicipal",
}
# Every YAML key that belongs to some types only; each kind names those it takes in ``fields``.
TYPE_FIELDS = (
    "options",
    "other",
    "scale",
    "items",
    "min",
    "max",
    "unit",
    "max_length",
    "max_choices",
    "dont_know",
    "not_applicable",
    "intermunicipal",
    "prefill",
)
Layout = Literal["choices", "scale", "matrix", "line", "box", "number", "ranking"]
Scoring = Literal["choices", "scale", "range"]
Tally = Literal["choices", "scale", "number", "ranking"]


class SyntheticTexts(Protocol):
    """The demo's made-up free texts, in one municipality's målform."""

    def short(self, rng: random.Random) -> str: ...

    def long(self, rng: random.Random) -> str: ...

    def other(self) -> str: ...


class Kind:
    """One question type. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    macro: ClassVar[str]  # in templates/_macros/question_types.html
    layout: ClassVar[Layout]  # on the printed blank form
    fields: ClassVar[frozenset[str]] = frozenset()  # the type-specific YAML keys it takes
    required: ClassVar[frozenset[str]] = frozenset()  # … and those it cannot do without
    scoring: ClassVar[Scoring | None] = None  # how a ``parameter`` scores it; None: it cannot have one
    conditions: ClassVar[bool] = False  # a later question's ``show_if`` may build on its answer
    tally: ClassVar[Tally | None] = None  # how the results page counts it; None: free text, read not counted
    free_text: ClassVar[bool] = False
    many: ClassVar[bool] = False  # several options may be ticked (check boxes)
    numbered: ClassVar[bool] = False  # a scale: each point is shown with its number, «4 – Litt enig»
    carries_themes: ClassVar[bool] = False  # its free text is long enough to code for themes

    # --- the definition ---

    def check(self, question: Question) -> str | None:
        """A problem with the question's own fields beyond which fields it has, in Norwegian; None if fine."""
        return None

    def choices(
        self, definition: QuestionnaireDef | None, question: Question, lang: str = "nb"
    ) -> list[tuple[str, str]]:
        """(value, label) of every answer to choose from, declared missing answers last; [] for none.

        Types answered on a scale need the ``definition`` (a scale may be named there); the others not."""
        return []

    # --- answer keys and values ---

    def keys(self, question: Question) -> list[str]:
        """The answer keys a question stores: its id, and its «Annet» text when it has one."""
        return [question.id, other_key(question)] if question.has_other else [question.id]

    def free_text_keys(self, question: Question) -> list[str]:
        return [other_key(question)] if question.has_other else []

    def parse(self, question: Question, key: str, form: FormData) -> Value:
        """The value of one answer key as submitted; an unparseable entry is kept as typed (never dropped)."""
        if self.is_other(question, key):
            return text_value(form.get(key))
        return text_value(form.get(key))

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        """What is wrong with a stored value (in ``lang``); None when it is fine. ``value`` is not None."""
        if self.is_other(question, key):
            return length_problem(value, 1_000, lang)
        return None

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        """A value as a person reads it (``value`` is not None)."""
        if isinstance(value, str) and value in MISSING_LABELS and not self.is_other(question, key):
            return t(MISSING_LABELS[value], lang)
        return str(value)

    def key_label(self, question: Question, key: str, lang: str) -> str:
        """What an answer key is called: the question, or «Annet» for the «Annet» text."""
        return t("other", lang) if self.is_other(question, key) else str(question.text)

    def is_other(self, question: Question, key: str) -> bool:
        """Whether ``key`` is the free text behind «Annet» (a matrix row may be called «annet»: not that)."""
        return question.has_other and key == other_key(question)

    # --- scoring, export, print, demo ---

    # Seconds to answer once read, for a coordinator who has the facts at hand (``questionnaires.estimate``).
    answer_seconds: ClassVar[float] = 10

    def seconds(self, question: Question) -> float:
        return self.answer_seconds

    def rules(self, definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
        return []

    def codebook(self, definition: QuestionnaireDef, question: Question, lang: str) -> str:
        """What the codes of its answers mean, for an export's codebook."""
        return t("code_free_text", lang)

    def value_choices(
        self, definition: QuestionnaireDef, question: Question, lang: str
    ) -> list[tuple[str, str]]:
        """(code, label) of the answers the results page counts, declared missing answers left out."""
        return [
            (v, label) for v, label in self.choices(definition, question, lang) if v not in MISSING_ANSWERS
        ]

    def answer_space(self, definition: QuestionnaireDef, question: Question) -> frozenset[str]:
        """The answer codes two versions of a question must share for their answers to compare («Vet ikke»
        and the other missing answers are counted apart everywhere, so offering them changes nothing)."""
        return frozenset(v for v, _ in self.value_choices(definition, question, "nb"))

    def hint(self, question: Question, lang: str) -> str:
        """How to answer it on paper: «Kryss av for eitt svar.», the limits of a number, …"""
        return ""

    def print_choices(self, definition: QuestionnaireDef, question: Question, lang: str) -> list[str]:
        return [label for _, label in self.choices(definition, question, lang)]

    def synthetic(
        self,
        definition: QuestionnaireDef,
        question: Question,
        key: str,
        rng: random.Random,
        texts: SyntheticTexts,
    ) -> Value:
        """A plausible answer for the demo; ``texts`` gives free text in the municipality's målform."""
        return None


# --- shared helpers -----------------------------------------------------------------------------------


def other_key(question: Question) -> str:
    return f"{question.id}.{OTHER}"


def rule(
    question: Question,
    key: str,
    kind: Literal["points", "linear", "sum"],
    *,
    points: Mapping[str, float] | None = None,
    low: float = 0,
    high: float = 100,
    weight: float | None = None,
) -> ScoringRule:
    """The scoring rule of one answer key under the question's ``parameter`` mapping."""
    mapping = question.parameter
    assert mapping is not None
    return ScoringRule(
        key,
        question.id,
        mapping.id,
        kind,
        mapping.weight if weight is None else weight,
        points or {},
        low,
        high,
        mapping.reverse,
    )


def declared_missing(question: Question, *, dont_know: bool, scale_flags: object = None) -> list[str]:
    """The missing answers a question offers: «Vet ikke» when ``dont_know``, then «Ikke aktuelt» and «Løses
    interkommunalt» where the question (or its scale, ``scale_flags``) declares them."""
    found = [DONT_KNOW] if dont_know else []
    if question.not_applicable or getattr(scale_flags, "not_applicable", False):
        found.append(NOT_APPLICABLE)
    if question.intermunicipal or getattr(scale_flags, "intermunicipal", False):
        found.append(INTERMUNICIPAL)
    return found


def missing_choices(values: Sequence[str], lang: str) -> list[tuple[str, str]]:
    return [(value, t(MISSING_LABELS[value], lang)) for value in values]


def described(pairs: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{value} = {label}" for value, label in pairs)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_value(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    # Control characters (pasted from word processors) would break XML exports (XLSX, archive PDF).
    text = _CONTROL.sub("", raw.replace("\r\n", "\n"))
    return text if text.strip() else None


def length_problem(value: Value, limit: int, lang: str) -> str | None:
    if isinstance(value, str) and len(value) > limit:
        return t("text_too_long", lang, length=len(value), limit=limit)
    return None
