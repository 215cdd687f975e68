"""Questionnaires as data: one YAML file each, validated by one schema, errors given as FILE:LINE.

The schema is documented for authors in ``questionnaires/README.md``; this module is its single source
of truth. ``load_file`` returns a ``QuestionnaireDef`` or raises ``QuestionnaireError`` carrying every
problem found, each with the line it is on and a Norwegian hint on how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from survey_app.question_types import KINDS, kind_of
from survey_app.question_types.base import (
    DONT_KNOW,
    INTERMUNICIPAL,
    MISSING_ANSWERS,
    NOT_APPLICABLE,
    OTHER,
    TYPE_FIELDS,
)

__all__ = ["DONT_KNOW", "INTERMUNICIPAL", "MISSING_ANSWERS", "NOT_APPLICABLE", "OTHER"]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
QUESTION_TYPES: tuple[str, ...] = tuple(KINDS)


# A key path in a YAML document: mapping keys and list indices.
Path_ = tuple[str | int, ...]

LANGS = ("nb", "nn")


class LocalText(str):
    """A text a respondent reads, in bokmål (the string itself) and, once written, in nynorsk (``nn``).

    Written in YAML as a plain string (a bokmål-only draft) or as ``{nb: …, nn: …}``. Being a ``str``, it
    reads as bokmål wherever a language is not chosen; a respondent's pages get the whole definition in their
    målform through ``QuestionnaireDef.in_language``, and ``missing_nynorsk`` lists what is not translated.
    A text without a nynorsk form is stored as a plain string, so a questionnaire stored before translations
    existed keeps its content hash.
    """

    nn: str | None

    def __new__(cls, nb: str, nn: str | None = None) -> LocalText:
        text = super().__new__(cls, nb)
        text.nn = nn
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalText, (str(self), self.nn))

    def in_lang(self, lang: str) -> str:
        """The text in ``lang``: its nynorsk form when asked for one, otherwise the string itself (bokmål, or
        a plain string in the file's ``language``)."""
        return self.nn if lang == "nn" and self.nn else str(self)

    @classmethod
    def parse(cls, value: object) -> LocalText:
        if isinstance(value, LocalText):
            return value
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("teksten er tom")
            return cls(value)
        if isinstance(value, dict):
            unknown = sorted(str(k) for k in value if k not in LANGS)
            if unknown:
                raise ValueError(
                    f"ukjent målform «{', '.join(unknown)}»: en oversatt tekst har bare «nb» (bokmål) og «nn» (nynorsk)"
                )
            nb, nn = value.get("nb"), value.get("nn")
            if not isinstance(nb, str) or not nb.strip():
                raise ValueError("en oversatt tekst trenger «nb» (bokmål) som tekst")
            if nn is not None and (not isinstance(nn, str) or not nn.strip()):
                raise ValueError("«nn» (nynorsk) må være en tekst; la den heller være ute enn tom")
            return cls(nb, nn)
        raise ValueError("en tekst er enten en streng eller {nb: …, nn: …}")

    def dump(self) -> str | dict[str, str]:
        return str(self) if self.nn is None else {"nb": str(self), "nn": self.nn}

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.dump())
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_none(value: object) -> bool:
    return value is None


# Keys added to the schema after questionnaires were first stored are left out of a definition's dump while
# unused, so that a questionnaire which does not use them keeps its content hash (and is not imported again
# as a new version).
def _added(default: Any = None, **kwargs: Any) -> Any:
    return Field(default=default, exclude_if=lambda value: value == default, **kwargs)


class Option(_Strict):
    value: str = Field(pattern=ID_PATTERN)
    label: LocalText


class Scale(_Strict):
    """Points on an ordered scale, lowest first; ``dont_know`` adds a «Vet ikke» outside the scale."""

    labels: dict[int, LocalText] = Field(min_length=2)
    dont_know: bool = True
    # «Ikke aktuelt» and «Løses interkommunalt» beside the points, for every question on the scale.
    not_applicable: bool = _added(False)
    intermunicipal: bool = _added(False)

    @model_validator(mode="after")
    def _contiguous(self) -> Scale:
        points = sorted(self.labels)
        if points != list(range(points[0], points[0] + len(points))):
            raise ValueError("skalapunktene må være hele tall uten hull, for eksempel 1, 2, 3, 4, 5")
        return self


class Item(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    text: LocalText


# The tags of the two kinds of entry in a ``show_if`` ``any_of`` list. Pydantic puts the tag in an error's
# location; ``parse`` drops it again so that messages and lines speak of the YAML only.
_VALUE_TAG = "show_if-verdi"
_CONDITION_TAG = "show_if-betingelse"
_TAGS = (_VALUE_TAG, _CONDITION_TAG)


def _entry_kind(entry: object) -> str:
    return _CONDITION_TAG if isinstance(entry, dict | BaseModel) else _VALUE_TAG


class ShowIf(_Strict):
    """When a question is shown: one condition on an earlier choice question, or several combined.

    One condition is ``{question, equals}`` or ``{question, any_of: [values]}``: the earlier question has
    (one of) those answers. Without ``question``, ``any_of: [condition, …]`` holds when at least one of
    its conditions holds and ``all_of: [condition, …]`` when every one does; each condition may itself be
    combined, to any depth.
    """

    question: str | None = None
    equals: str | None = None
    any_of: (
        list[
            Annotated[
                Annotated[str, Tag(_VALUE_TAG)] | Annotated[ShowIf, Tag(_CONDITION_TAG)],
                Discriminator(_entry_kind),
            ]
        ]
        | None
    ) = None
    all_of: list[ShowIf] | None = _added()

    @model_validator(mode="after")
    def _one_form(self) -> ShowIf:
        if self.question is not None:
            if self.all_of is not None:
                raise ValueError(
                    "«all_of» samler flere betingelser og kan ikke stå sammen med «question»; "
                    "skriv hver betingelse som et eget element under «all_of»"
                )
            if (self.equals is None) == (self.any_of is None):
                raise ValueError("show_if trenger nøyaktig én av «equals» og «any_of»")
            if not all(isinstance(entry, str) for entry in self.any_of or []):
                raise ValueError(
                    "«any_of» sammen med «question» lister svar (for eksempel [ja, delvis]), ikke betingelser"
                )
            return self
        if self.equals is not None:
            raise ValueError("«equals» trenger «question»: hvilket spørsmål skal ha svaret?")
        if (self.any_of is None) == (self.all_of is None):
            raise ValueError(
                "show_if trenger enten «question» (én betingelse) eller nøyaktig én av «any_of» "
                "og «all_of» (flere betingelser)"
            )
        parts = self.any_of if self.any_of is not None else self.all_of
        if not parts:
            raise ValueError("«any_of» og «all_of» trenger minst én betingelse")
        if not all(isinstance(entry, ShowIf) for entry in parts):
            raise ValueError(
                "«any_of» uten «question» lister betingelser, for eksempel "
                "{question: samarbeid, equals: ja}; svarverdier hører til én betingelse med «question»"
            )
        return self

    @property
    def accepted(self) -> set[str]:
        """The answers that satisfy a single condition (empty for a combined one)."""
        if self.question is None:
            return set()
        if self.equals is not None:
            return {self.equals}
        return {entry for entry in self.any_of or [] if isinstance(entry, str)}

    @property
    def parts(self) -> list[ShowIf]:
        """The conditions a combined condition is made of (none for a single condition)."""
        if self.question is not None:
            return []
        return [entry for entry in (self.any_of or self.all_of or []) if isinstance(entry, ShowIf)]

    def holds(self, chosen: Callable[[str], set[str]]) -> bool:
        """Whether the condition holds, given each earlier question's chosen answers.

        ``chosen`` gives the answers of a question as a set, empty when it is unanswered or hidden: a
        hidden question's stale answer satisfies no condition.
        """
        if self.question is not None:
            return bool(chosen(self.question) & self.accepted)
        results = (part.holds(chosen) for part in self.parts)
        return all(results) if self.all_of is not None else any(results)

    def leaves(self) -> Iterator[tuple[Path_, ShowIf]]:
        """Every single condition inside, with its key path below ``show_if``."""
        if self.question is not None:
            yield (), self
            return
        key = "all_of" if self.all_of is not None else "any_of"
        for i, part in enumerate(self.parts):
            for path, leaf in part.leaves():
                yield (key, i, *path), leaf


class ParameterMapping(_Strict):
    """How a question's answer scores (0–100) towards one integration parameter.

    ``scores`` maps answer values to points for choice questions (a multiple choice scores the sum of its
    chosen options, capped at 100); likert and matrix answers are scaled linearly from the lowest (0) to
    the highest point (100) unless ``scores`` maps the points; an integer scores linearly between the
    ``range`` ends, capped at 0 and 100. ``reverse`` turns a score s into 100 − s, for questions where a
    high answer is bad. «Vet ikke» never scores: it is a missing answer, never a zero.
    """

    id: str = Field(pattern=ID_PATTERN)
    weight: float = Field(default=1.0, gt=0)
    scores: dict[str, float] | None = None

    @field_validator("scores", mode="before")
    @classmethod
    def _point_keys_as_text(cls, value: object) -> object:
        # A scale's points are written as numbers in YAML (``{1: 0, 5: 100}``); options are text.
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    range: tuple[float, float] | None = None
    reverse: bool = False
    # A matrix's weight is shared by its rows; true gives every row the whole weight (as before 2026.2).
    weight_per_row: bool = _added(False)


class Lineage(_Strict):
    replaces: str = Field(pattern=ID_PATTERN)
    note: str | None = None
    # Old answer value → new, where the options changed, so the comparison of rounds can follow the answers.
    answers: dict[str, str] | None = _added()


class Question(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    type: str
    text: LocalText
    help: LocalText | None = None
    required: bool = False
    options: list[Option] | None = Field(default=None, min_length=2)
    other: bool = False
    scale: str | Scale | None = None
    items: list[Item] | None = None
    min: int | None = None
    max: int | None = None
    unit: LocalText | None = None
    max_length: int | None = Field(default=None, gt=0)
    # At most this many options of a multiple choice may be chosen.
    max_choices: int | None = _added(gt=0)
    # «Vet ikke» as an answer to a number or a single choice (jadelvisnei has it always, a scale declares it).
    dont_know: bool = _added(False)
    # «Ikke aktuelt» and «Løses interkommunalt» as answers, treated as missing in scores.
    not_applicable: bool = _added(False)
    intermunicipal: bool = _added(False)
    # The answer describes the situation on the questionnaire's ``reference_date``, shown with the question.
    dated: bool = _added(False)
    # A figure the county knows (the council's decision in the settlement history), shown for the
    # municipality to confirm or correct (``services.prefill``).
    prefill: Literal["vedtak", "vedtak_ema"] | None = _added()
    show_if: ShowIf | None = None
    parameter: ParameterMapping | None = None
    lineage: Lineage | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"ukjent spørsmålstype «{value}»; bruk en av: {', '.join(QUESTION_TYPES)}")
        return value

    @model_validator(mode="after")
    def _fields_fit_type(self) -> Question:
        kind = kind_of(self)
        for name in sorted(kind.required):
            if not getattr(self, name):
                raise ValueError(f"et spørsmål av typen «{self.type}» trenger «{name}»{_NEEDS.get(name, '')}")
        for name in TYPE_FIELDS:
            if name not in kind.fields and getattr(self, name) not in (None, False):
                types = [k for k, other in KINDS.items() if name in other.fields]
                which = f"typen {types[0]}" if len(types) == 1 else f"typene {', '.join(types)}"
                raise ValueError(f"«{name}» hører bare til {which}, ikke «{self.type}»")
        if self.options:
            values = [o.value for o in self.options]
            if len(values) != len(set(values)):
                raise ValueError("to svaralternativer har samme «value»")
            if OTHER in values and self.other:
                raise ValueError(f"bruk enten «other: true» eller et alternativ med value «{OTHER}»")
        if self.parameter and kind.free_text:
            raise ValueError("fritekst kan ikke ha «parameter»: bare svar som kan telles kan gi poeng")
        if self.parameter and kind.scoring is None:
            raise ValueError(f"spørsmål av typen «{self.type}» kan ikke ha «parameter»")
        problem = kind.check(self)
        if problem:
            raise ValueError(problem)
        return self

    # --- derived views used by forms and analysis ---

    def choice_values(self, lang: str = "nb") -> list[tuple[str, str]]:
        """(value, label) of every allowed answer of a question answered by options (not on a scale, which
        is read from the questionnaire: ``kind_of(q).choices(definition, q)``), declared missing answers last."""
        return kind_of(self).choices(None, self, lang)

    @cached_property
    def has_other(self) -> bool:
        # Cached (the model is frozen): forms and progress ask it for every answer key.
        return self.other or any(o.value == OTHER for o in self.options or [])


_NEEDS = {
    "options": " (minst to svaralternativer)",
    "scale": " (et navn fra «scales» eller labels)",
    "items": " (radene som vurderes på skalaen)",
    "max_choices": " (hvor mange som kan velges eller rangeres)",
}


class Section(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: LocalText
    intro: LocalText | None = None
    questions: list[Question] = Field(min_length=1)


class ParameterDef(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1)
    description: str | None = None
    # A parameter is shown only when at least this share of its items is answered (not «vet ikke»).
    min_share: float = Field(default=0.5, gt=0, le=1)
    weight: float = Field(default=1.0, ge=0)
    theme: str | None = None
    # Reflective: its questions measure one underlying trait, so Cronbach's alpha tests it. Formative (the
    # default): an index of different facts, where agreement between them is not expected.
    kind: Literal["formative", "reflective"] = _added("formative")


class QuestionnaireDef(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: LocalText
    family: str | None = None
    version: str | None = None
    language: Literal["nb", "nn"] = "nb"
    description: LocalText | None = None
    intro: LocalText | None = None
    # The day status questions (``dated: true``) describe, e.g. 2026-10-01.
    reference_date: date | None = _added()
    scales: dict[str, Scale] = Field(default_factory=dict)
    parameters: list[ParameterDef] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        return self._index[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    @cached_property
    def _index(self) -> dict[str, Question]:
        # Built once per definition (it is frozen): comparing two rounds asks it for every answer.
        return {q.id: q for q in self.questions()}

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def scale_of(self, question: Question) -> Scale:
        if isinstance(question.scale, Scale):
            return question.scale
        assert question.scale is not None
        return self.scales[question.scale]

    @property
    def family_id(self) -> str:
        return self.family or self.id

    def in_language(self, lang: str) -> QuestionnaireDef:
        """This questionnaire with every respondent text in ``lang`` (bokmål where a text has no ``lang``
        form): what a municipality's pages, receipt and printable form are built from. Cached per language."""
        cache = self._languages
        if lang not in cache:
            cache[lang] = _localized(self, lang)
        return cache[lang]

    @cached_property
    def _languages(self) -> dict[str, QuestionnaireDef]:
        return {}

    def missing_in(self, lang: str) -> list[Path_]:
        """The key path of every respondent text that has no form in ``lang``: a plain string is in the file's
        ``language``, a translated text has both."""
        if lang == self.language:
            return []
        return [path for path, text in respondent_texts(self) if text.nn is None]

    def content_hash(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


# Reading speed for administrative Norwegian text, words a minute.
READING_WPM = 200


def estimate_minutes(definition: QuestionnaireDef, lang: str = "nb") -> int:
    """How long the questionnaire takes a coordinator who has the facts at hand, in whole minutes.

    Every question counts as shown (the upper bound): the time to read its text, help, options and rows at
    ``READING_WPM``, plus the time its type takes to answer (``Kind.seconds``: 10 s a choice, 8 s a scale
    point per row, 30 s a looked-up number, 3 minutes a required reflection, 1 minute an optional one).
    """
    words = sum(len(text.in_lang(lang).split()) for _, text in respondent_texts(definition))
    answering = sum(kind_of(q).seconds(q) for q in definition.questions())
    return math.ceil(words / READING_WPM + answering / 60)


def respondent_texts(value: object, path: Path_ = ()) -> Iterator[tuple[Path_, LocalText]]:
    """Every text a respondent reads (each ``LocalText``) inside a definition, with its key path as written
    in the YAML; staff-only texts (parameter labels, lineage notes) are plain strings and left out."""
    if isinstance(value, LocalText):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from respondent_texts(getattr(value, name), (*path, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from respondent_texts(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from respondent_texts(item, (*path, key))


def _localized(value: Any, lang: str) -> Any:
    if isinstance(value, LocalText):
        return LocalText(value.in_lang(lang))
    if isinstance(value, BaseModel):
        fields = {name: _localized(getattr(value, name), lang) for name in type(value).model_fields}
        # Built without validating again (it was validated as written) and without the cached views of the
        # original, which point at its own questions.
        return type(value).model_construct(_fields_set=value.model_fields_set, **fields)
    if isinstance(value, list):
        return [_localized(item, lang) for item in value]
    if isinstance(value, dict):
        return {key: _localized(item, lang) for key, item in value.items()}
    return value


# ---------------------------------------------------------------------------------------------------
# Loading with line numbers


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class QuestionnaireError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line_map(node: yaml.Node, path: Path_ = ()) -> dict[Path_, int]:
    """Every key path in a YAML document mapped to the 1-based line it is written on."""
    lines: dict[Path_, int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, key_node.value)
            lines.update(_line_map(value_node, key))
            # An error about a key points at the key's own line, not where its value starts.
            lines[key] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            lines.update(_line_map(child, (*path, i)))
    return lines


def _line_of(lines: dict[Path_, int], loc: Path_) -> int:
    for end in range(len(loc), -1, -1):
        # Pydantic reports dict keys as strings; YAML may have parsed them as ints.
        for candidate in (
            loc[:end],
            tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in loc[:end]),
        ):
            if candidate in lines:
                return lines[candidate]
    return 1


_PYDANTIC_HINTS = {
    "missing": "mangler det påkrevde feltet «{field}»",
    "extra_forbidden": "ukjent felt «{field}» (skrivefeil? se questionnaires/README.md for tillatte felt)",
    "string_pattern_mismatch": (
        "«{input}» er ikke en gyldig id: bruk små bokstaver a–z, tall og _ (og begynn med en bokstav)"
    ),
    "too_short": "«{field}» trenger minst {min_length}",
    "greater_than": "«{field}» må være større enn {gt}",
}


def _message(err: Any) -> str:
    loc = err["loc"]
    field = str(loc[-1]) if loc else ""
    kind = err["type"]
    if field == "type" and kind == "value_error":  # the message names the field already
        return str(err["msg"]).removeprefix("Value error, ")
    if kind in _PYDANTIC_HINTS:
        return _PYDANTIC_HINTS[kind].format(
            field=field,
            input=err.get("input"),
            min_length=(err.get("ctx") or {}).get("min_length", 1),
            gt=(err.get("ctx") or {}).get("gt", 0),
        )
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    where = f"«{field}»: " if field and not isinstance(loc[-1], int) else ""
    return f"{where}{msg}"


def _cross_checks(q: QuestionnaireDef, lines: dict[Path_, int]) -> Iterator[tuple[Path_, str]]:
    """Checks that span several questions: unique ids, references, scoring keys."""
    seen: dict[str, Path_] = {}
    parameters = {p.id for p in q.parameters}
    earlier: dict[str, Question] = {}
    sections_seen: set[str] = set()
    for si, section in enumerate(q.sections):
        if section.id in sections_seen:
            yield ("sections", si, "id"), f"seksjons-id «{section.id}» er brukt før; gi den en annen id"
        sections_seen.add(section.id)
        for qi, question in enumerate(section.questions):
            here: Path_ = ("sections", si, "questions", qi)
            if question.id in seen:
                yield (
                    (*here, "id"),
                    (
                        f"spørsmåls-id «{question.id}» er brukt før (linje {_line_of(lines, seen[question.id])}); "
                        "hver id må være unik i skjemaet"
                    ),
                )
            seen.setdefault(question.id, (*here, "id"))
            if isinstance(question.scale, str) and question.scale not in q.scales:
                known = ", ".join(sorted(q.scales)) or "ingen er definert"
                yield (*here, "scale"), f"skalaen «{question.scale}» finnes ikke under «scales» ({known})"
            if question.show_if:
                yield from _check_show_if(q, question.show_if, (*here, "show_if"), earlier)
            # Checked here, not in the model: a version stored before these answers existed still loads.
            for oi, option in enumerate(question.options or []):
                if option.value in MISSING_ANSWERS:
                    yield (
                        (*here, "options", oi, "value"),
                        (
                            f"«{option.value}» er et fast svar; bruk «dont_know», «not_applicable» eller "
                            "«intermunicipal» i stedet for et eget alternativ"
                        ),
                    )
            if question.dated and q.reference_date is None:
                yield (
                    (*here, "dated"),
                    "«dated: true» trenger en dato å svare ut fra: sett «reference_date» øverst i filen",
                )
            if question.max_choices is not None and question.max_choices > len(question.choice_values()):
                yield (
                    (*here, "max_choices"),
                    (
                        f"«max_choices» er {question.max_choices}, men spørsmålet har bare "
                        f"{len(question.choice_values())} svaralternativer; sett et lavere tall"
                    ),
                )
            if question.parameter:
                yield from _check_parameter(q, question, here, parameters)
            if question.lineage and question.lineage.answers:
                own = (
                    {v for v, _ in kind_of(question).choices(q, question)}
                    if _scale_known(q, question)
                    else set()
                )
                for old, new in question.lineage.answers.items():
                    if own and new not in own:
                        yield (
                            (*here, "lineage", "answers", old),
                            f"«{old}: {new}»: «{new}» er ikke et svar på dette spørsmålet ({', '.join(sorted(own))})",
                        )
            earlier[question.id] = question
    for pi, param in enumerate(q.parameters):
        if not any(x.parameter and x.parameter.id == param.id for x in q.questions()):
            yield (
                ("parameters", pi, "id"),
                f"parameteren «{param.id}» får ingen spørsmål; fjern den eller koble spørsmål til den",
            )


def _check_show_if(
    q: QuestionnaireDef, show_if: ShowIf, at: Path_, earlier: dict[str, Question]
) -> Iterator[tuple[Path_, str]]:
    """Each single condition of a ``show_if`` must name an earlier choice question and answers it has."""
    for path, leaf in show_if.leaves():
        here = (*at, *path)
        ref = leaf.question
        assert ref is not None
        target = earlier.get(ref)
        if target is None:
            why = "finnes ikke" if not q.has_question(ref) else "kommer senere"
            yield (
                (*here, "question"),
                (
                    f"show_if viser til spørsmålet «{ref}», som {why}; "
                    "en betingelse kan bare bygge på et tidligere spørsmål"
                ),
            )
        elif not kind_of(target).conditions:
            able = ", ".join(name for name, kind in KINDS.items() if kind.conditions)
            yield (
                (*here, "question"),
                f"show_if kan bare bygge på valgspørsmål ({able}), ikke på «{target.type}»",
            )
        else:
            allowed = {v for v, _ in target.choice_values()}
            for value in sorted(leaf.accepted - allowed):
                yield (
                    here,
                    (
                        f"show_if bruker svaret «{value}», som ikke er et alternativ i «{ref}» "
                        f"({', '.join(sorted(allowed))})"
                    ),
                )


def _check_parameter(
    q: QuestionnaireDef, question: Question, here: Path_, parameters: set[str]
) -> Iterator[tuple[Path_, str]]:
    mapping = question.parameter
    assert mapping is not None
    if mapping.id not in parameters:
        yield (
            (*here, "parameter", "id"),
            (f"parameteren «{mapping.id}» er ikke definert under «parameters» øverst i filen"),
        )
    scoring = kind_of(question).scoring
    if scoring == "choices":
        allowed = {v for v, _ in question.choice_values()} - MISSING_ANSWERS
        if not mapping.scores:
            yield (*here, "parameter"), "valgspørsmål som gir poeng trenger «scores» (poeng per svar, 0–100)"
        else:
            for key in sorted(set(mapping.scores) - allowed):
                yield (
                    (*here, "parameter", "scores"),
                    (
                        f"«scores» gir poeng for «{key}», som ikke er et svaralternativ ({', '.join(sorted(allowed))})"
                    ),
                )
            for key in sorted(allowed - set(mapping.scores)):
                yield (
                    (*here, "parameter", "scores"),
                    (
                        f"«scores» mangler poeng for svaralternativet «{key}»; gi alle alternativer poeng (0–100)"
                    ),
                )
    if mapping.range is not None and scoring != "range":
        yield (
            (*here, "parameter", "range"),
            "«range» hører bare til tallspørsmål (integer); bruk «scores» her",
        )
    if mapping.range is not None and mapping.range[0] >= mapping.range[1]:
        yield (
            (*here, "parameter", "range"),
            "«range» må være [laveste, høyeste] med laveste mindre enn høyeste",
        )
    if scoring == "scale" and mapping.scores:
        points = {str(p) for p in q.scale_of(question).labels} if _scale_known(q, question) else set()
        for key in sorted(set(mapping.scores) - points) if points else []:
            yield (
                (*here, "parameter", "scores"),
                (
                    f"«scores» gir poeng for «{key}», som ikke er et punkt på skalaen ({', '.join(sorted(points))})"
                ),
            )
        for key in sorted(points - set(mapping.scores)):
            yield (*here, "parameter", "scores"), f"«scores» mangler poeng for skalapunktet {key}"
    if mapping.weight_per_row and not question.items:
        yield (
            (*here, "parameter", "weight_per_row"),
            "«weight_per_row» hører bare til spørsmål med rader (matrix)",
        )
    if scoring == "range" and mapping.range is None:
        yield (*here, "parameter"), "tallspørsmål som gir poeng trenger «range: [laveste, høyeste]»"
    for key, value in (mapping.scores or {}).items():
        if not 0 <= value <= 100:
            yield (*here, "parameter", "scores", key), f"poeng må være mellom 0 og 100, ikke {value}"


def _scale_known(q: QuestionnaireDef, question: Question) -> bool:
    return not isinstance(question.scale, str) or question.scale in q.scales


def parse(text: str, filename: str = "<tekst>") -> QuestionnaireDef:
    """Parse and validate questionnaire YAML; raises ``QuestionnaireError`` with every problem found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
        # A document whose aliases point into themselves cannot be a questionnaire; find it here.
        json.dumps(data, default=str)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise QuestionnaireError(
            [
                Problem(
                    filename, line, f"YAML-feil: {exc.problem or exc} (sjekk innrykk, kolon og anførselstegn)"
                )
            ]
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise QuestionnaireError(
            [
                Problem(
                    filename,
                    line,
                    f"YAML-feil: tegnet U+{int(exc.character):04X} (et usynlig kontrolltegn) "
                    "er ikke tillatt; slett det",
                )
            ]
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise QuestionnaireError(
            [Problem(filename, 1, f"YAML-feil: filen kan ikke leses som et skjema ({type(exc).__name__})")]
        ) from None
    if node is None or not isinstance(data, dict):
        raise QuestionnaireError(
            [Problem(filename, 1, "filen må inneholde et skjema (nøkler som id, title, sections)")]
        )
    lines = _line_map(node)
    try:
        definition = QuestionnaireDef.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if part not in _TAGS)
            problems.append(Problem(filename, _line_of(lines, loc), _message({**error, "loc": loc})))
        raise QuestionnaireError(sorted(set(problems), key=lambda p: p.line)) from None
    problems = [Problem(filename, _line_of(lines, loc), msg) for loc, msg in _cross_checks(definition, lines)]
    if problems:
        raise QuestionnaireError(sorted(problems, key=lambda p: p.line))
    return definition


def missing_nynorsk(text: str, filename: str = "<tekst>") -> list[Problem]:
    """Every respondent text of a valid questionnaire that has no nynorsk form, as FILE:LINE problems."""
    definition = parse(text, filename)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None  # parse has read it as a questionnaire
    lines = _line_map(node)
    return [
        Problem(
            filename, _line_of(lines, path), f"«{_field_name(path)}» mangler nynorsk (skriv {{nb: …, nn: …}})"
        )
        for path in definition.missing_in("nn")
    ]


def _field_name(path: Path_) -> str:
    # A scale label's path ends in its point; name the field it belongs to.
    named = [part for part in path if isinstance(part, str)]
    return named[-1] if named else "tekst"


def load_file(path: Path) -> QuestionnaireDef:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise QuestionnaireError(
            [Problem(str(path), 1, "filen er ikke UTF-8; lagre den som UTF-8")]
        ) from None
    return parse(text, str(path))


def shipped_files(directory: Path) -> list[Path]:
    """The questionnaire files of a folder (the codebook and other YAML that is not a questionnaire excluded)."""
    return sorted(p for p in directory.glob("*.yaml") if not p.name.startswith(("codebook", "_")))


_parsed: dict[str, QuestionnaireDef] = {}


def from_stored(
    content_hash: str, definition: dict[str, Any] | Callable[[], dict[str, Any]]
) -> QuestionnaireDef:
    """A stored version's definition, parsed once per process (a stored version never changes).

    ``definition`` may be a function that reads it: then it is read only when not parsed yet.
    """
    if content_hash not in _parsed:
        _parsed[content_hash] = QuestionnaireDef.model_validate(
            definition() if callable(definition) else definition
        )
    return _parsed[content_hash]
