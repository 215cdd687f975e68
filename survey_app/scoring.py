"""The questionnaire's ``parameter`` mappings as the analysis library's scoring rules.

The app and the analysis share one scoring rule set: the results pages, the profile and the parameters all
score an answer through ``analysis.parameters.score_value`` on the rules made here.
"""

from __future__ import annotations

from analysis.parameters import ParameterSpec, ScoringRule
from survey_app.question_types import kind_of
from survey_app.questionnaires import QuestionnaireDef

# Keyed by the definition object (stored versions are parsed once per process and never change); the
# definition is kept in the value so its id cannot be reused by another object.
_cache: dict[int, tuple[QuestionnaireDef, dict[str, ScoringRule]]] = {}


def rules(definition: QuestionnaireDef) -> dict[str, ScoringRule]:
    """Every scored answer key of a questionnaire and its rule (cached: a stored version never changes)."""
    cached = _cache.get(id(definition))
    if cached is None or cached[0] is not definition:
        cached = (
            definition,
            {
                r.key: r
                for q in definition.questions()
                if q.parameter is not None
                for r in kind_of(q).rules(definition, q)
            },
        )
        _cache[id(definition)] = cached
    return cached[1]


def specs(definition: QuestionnaireDef) -> list[ParameterSpec]:
    return [
        ParameterSpec(p.id, p.label, p.min_share, p.weight, p.theme, reflective=p.kind == "reflective")
        for p in definition.parameters
    ]
