"""The typed results of an analysis run, one name per concept.

An ``AnalysisRun`` keeps what it computed as JSON, so that a page shows tomorrow the figures it showed
today. ``PydanticJSON(RunResults)`` validates them on the way in and hands back ``RunResults`` on the way
out: the service builds it, and the routes, the CLI, the recommendation and the templates read its
attributes, never a dict of strings.

The analysis library hands back its own value classes (``analysis.parameters.Benchmark``,
``ParameterValue``, ``Contribution``, ``analysis.topics.Topic``); the models here that hold the same thing
carry the same name and fields, so a figure is called one thing from the library to the template. They are
separate classes for two reasons: these are a stored contract (changing one needs a migration of the stored
runs), while the library's may change with the code; and the library loads scikit-learn, which the models,
and every command that reads them, should not.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# An answer's stored value, as ``survey_app.forms.Value``, which is not imported for it: that module loads
# the questionnaire machinery, which the models do not need.
AnswerValue = str | int | list[str] | None


class _Stored(BaseModel):
    # A stored run is a record: nothing is added to it or changed in it after it is computed.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Benchmark(_Stored):
    """The mean and median of a figure over some municipalities, and how many had a value."""

    mean: float | None  # None: none had a value
    median: float | None
    n: int


class Benchmarks(_Stored):
    """A figure's mean and median over the county's municipalities and over each region's."""

    county: Benchmark
    regions: dict[str, Benchmark]  # region → benchmark of the municipalities it is primary for, by name


class ParameterSummary(_Stored):
    """One integration parameter across the round: its definition, benchmarks, reliability and ranks."""

    label: str
    theme: str | None  # the codebook theme it speaks to (for unexpressed needs); None: none
    weight: float  # its weight in the index
    min_share: float  # the share of its questions that must be answered for a value
    county: Benchmark
    regions: dict[str, Benchmark]  # as ``Benchmarks.regions``
    # Its questions measure one trait (reflective); only then is Cronbach's alpha a test of it.
    reflective: bool = Field(default=False, exclude_if=lambda value: not value)  # absent from older runs
    alpha: float | None  # Cronbach's alpha over its questions; None: formative, or too few complete answers
    ranks: dict[str, int | None]  # municipality → rank, 1 the highest value; None: no value
    bottom_quartile_cut: float | None  # the 25th percentile; None: fewer than four values


class Contribution(_Stored):
    """One answer behind a parameter value, and how much of the value it carries."""

    key: str  # the answer key (a matrix row is ``question.row``)
    question_id: str
    value: AnswerValue  # the answer as given
    score: float | None  # 0–100; None: «vet ikke», empty or not scored
    weight: float
    share: float  # of the parameter value: weight × score ÷ (Σ weights of answered items × value)


class ParameterValue(_Stored):
    """One municipality's value of one integration parameter, traceable to the answers behind it."""

    value: float | None  # 0–100; None: too few of its questions answered («ikke nok svar»)
    answered: int  # of its questions, how many were answered
    items: int  # how many questions feed it
    contributions: list[Contribution]

    @property
    def question_count(self) -> int:
        """``items`` for templates: there ``value.items`` is ``dict.items`` whenever the value is a dict (a run
        read as plain JSON once printed «6 av <built-in method items of dict object …>»)."""
        return self.items


class UnitResult(_Stored):
    """One municipality's integration index and parameters, each traceable to the answers behind it."""

    name: str
    kommunenummer: str
    regions: list[str]  # primary first; empty for a municipality in no region
    index: float | None  # 0–100; None: too few of its parameters have a value
    index_rank: int | None  # 1 is the highest index in the county; None: no index
    parameters: dict[str, ParameterValue]  # parameter id → value, in the questionnaire's order


class SensitivitySummary(_Stored):
    """How the index ranking moves when one parameter's weight is changed by ``factor``."""

    parameter: str
    factor: float  # 0.8 or 1.2
    max_shift: int  # the most places any municipality moved
    moved: int  # how many municipalities moved at all


class StatedNeed(_Stored):
    """A sentence of a free-text answer where a municipality says what it needs (masked), and its themes."""

    unit: str  # the municipality, as in ``RunResults.units``
    name: str  # the municipality's
    regions: list[str]  # the municipality's, primary first
    question_id: str
    sentence: str
    cue: str  # the cue that marks it (``analysis.needs.CUES``)
    themes: list[str]  # codebook codes; empty: the classifier found none


class UnexpressedNeed(_Stored):
    """A parameter in the county's bottom quartile where the municipality stated no need of its theme.

    A prompt for a conversation, not a finding.
    """

    unit: str  # the municipality, as in ``RunResults.units``
    name: str  # the municipality's
    parameter: str
    label: str  # the parameter's
    theme: str  # the parameter's
    value: float
    bottom_quartile_cut: float  # the parameter's (``ParameterSummary.bottom_quartile_cut``)
    stated_themes: list[str]  # the themes the municipality did state needs in, sorted


class Topic(_Stored):
    """A candidate theme the codebook lacks: its top lemmas, the answers that show it best, their number."""

    terms: list[str]
    examples: list[str]  # masked answers
    size: int


class RunResults(_Stored):
    """Everything one analysis run computed for a round."""

    parameters: dict[str, ParameterSummary]  # parameter id → summary, in the questionnaire's order
    # The municipality's database id as text (JSON keys are text) → its result, ordered by kommunenummer.
    units: dict[str, UnitResult]
    sensitivity: list[SensitivitySummary]  # each parameter's weight down and up
    index: Benchmarks  # of the integration index
    prevalence: dict[str, dict[str, int]]  # region → theme code → free-text answers with that theme
    needs: list[StatedNeed]
    unexpressed: list[UnexpressedNeed]
    topics: list[Topic]  # among the answers the codebook covers poorly
    texts: int  # free-text answers coded for themes
    poorly_covered: int  # of those, the answers no theme fits well
