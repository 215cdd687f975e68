"""The settlement recommendation as use cases, by idea.

- ``figures``: the county's figures per municipality from a CSV (``FigureRow``s) and as the model's units;
- ``scenarios``: scenarios stored, changed, overridden, copied, made final; their numbers (``result_of``);
- ``output``: the table for the CLI and the workbook, the rules and the method in plain bokmål;
- ``rules_form``: the scenario page's form, to rules and back;
- ``summary``: the page's summary beside the rules (total, changes, the biggest of them).

The arithmetic and the begrunnelse live in ``analysis.settlement``.
"""

from survey_app.services.recommendation.case import (
    case_document,
    scenario_document,
    scenario_xlsx,
    sources_of,
)
from survey_app.services.recommendation.figures import (
    Figures,
    FiguresError,
    parse_number,
    read_figures,
    template_csv,
    units,
    whole_number,
)
from survey_app.services.recommendation.from_knowledge import KnowledgeFigures, figures_for_year
from survey_app.services.recommendation.output import (
    date_text,
    finalize_consequences,
    method_paragraphs,
    output_table,
    region_rows,
    rule_lines,
    to_csv,
    to_xlsx,
)
from survey_app.services.recommendation.rules_form import (
    ASKED_CHOICES,
    RulesForm,
    column_label,
    form_values,
    rules_from_form,
)
from survey_app.services.recommendation.scenarios import (
    RoundFigures,
    ScenarioResult,
    compute,
    copy_scenario,
    create_scenario,
    finalize,
    index_from_round,
    is_unsaved,
    preview,
    remove_override,
    result_of,
    scenario_rules,
    set_override,
    survey_rounds,
    survey_warnings,
    update_scenario,
)
from survey_app.services.recommendation.summary import Change, Summary, summarise

__all__ = [
    "ASKED_CHOICES",
    "Change",
    "Figures",
    "FiguresError",
    "KnowledgeFigures",
    "RoundFigures",
    "RulesForm",
    "ScenarioResult",
    "Summary",
    "case_document",
    "column_label",
    "compute",
    "copy_scenario",
    "create_scenario",
    "date_text",
    "figures_for_year",
    "finalize",
    "finalize_consequences",
    "form_values",
    "index_from_round",
    "is_unsaved",
    "method_paragraphs",
    "output_table",
    "parse_number",
    "preview",
    "read_figures",
    "region_rows",
    "remove_override",
    "result_of",
    "rule_lines",
    "rules_from_form",
    "scenario_document",
    "scenario_rules",
    "scenario_xlsx",
    "set_override",
    "sources_of",
    "summarise",
    "survey_rounds",
    "survey_warnings",
    "template_csv",
    "to_csv",
    "to_xlsx",
    "units",
    "update_scenario",
    "whole_number",
]
