"""The questionnaire's ``parameter`` mappings as the analysis library's scoring rules.

The app and the analysis share one scoring rule set: the results pages, the profile and the parameters all
score an answer through ``analysis.parameters.score_value`` on the rules made here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from analysis.parameters import ParameterSpec, ScoringRule
from survey_app.forms import keys_of
from survey_app.questionnaires import Question, QuestionnaireDef

Kind = Literal["points", "linear", "sum"]
# Keyed by the definition object (stored versions are parsed once per process and never change); the
# definition is kept in the value so its id cannot be reused by another object.
_cache: dict[int, tuple[QuestionnaireDef, dict[str, ScoringRule]]] = {}


def _rules_of(definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
    mapping = question.parameter
    if mapping is None:
        return []

    def rule(
        key: str, kind: Kind, points: Mapping[str, float] | None = None, low: float = 0, high: float = 100
    ) -> ScoringRule:
        return ScoringRule(
            key, question.id, mapping.id, kind, mapping.weight, points or {}, low, high, mapping.reverse
        )

    if question.type in ("likert", "matrix"):
        keys = keys_of(question) if question.type == "matrix" else [question.id]
        if mapping.scores:
            return [rule(key, "points", mapping.scores) for key in keys]
        labels = definition.scale_of(question).labels
        return [rule(key, "linear", low=min(labels), high=max(labels)) for key in keys]
    if question.type == "integer" and mapping.range is not None:
        return [rule(question.id, "linear", low=mapping.range[0], high=mapping.range[1])]
    return [rule(question.id, "sum" if question.type == "multi" else "points", mapping.scores)]


def rules(definition: QuestionnaireDef) -> dict[str, ScoringRule]:
    """Every scored answer key of a questionnaire and its rule (cached: a stored version never changes)."""
    cached = _cache.get(id(definition))
    if cached is None or cached[0] is not definition:
        cached = (definition, {r.key: r for q in definition.questions() for r in _rules_of(definition, q)})
        _cache[id(definition)] = cached
    return cached[1]


def specs(definition: QuestionnaireDef) -> list[ParameterSpec]:
    return [ParameterSpec(p.id, p.label, p.min_share, p.weight, p.theme) for p in definition.parameters]
