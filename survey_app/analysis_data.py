"""The typed results of an analysis run, one name per concept.

An ``AnalysisRun`` keeps what it computed as JSON, so that a page shows tomorrow the figures it showed
today. ``PydanticJSON(RunResults)`` validates them on the way in and hands back ``RunResults`` on the way
out: the service builds it, and the routes, the CLI, the recommendation and the templates read its
attributes, never a dict of strings.

Where the analysis library already has a class for a piece of the results (``Benchmark``,
``ParameterValue`` with its ``Contribution``s, ``Topic``), the results keep that class rather than a copy
under another name. Those classes are therefore part of this stored contract too: a field added to one
needs a default, or a migration that fills it in stored runs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from analysis.parameters import Benchmark, ParameterValue
from analysis.topics import Topic


class _Stored(BaseModel):
    # A stored run is a record: nothing is added to it or changed in it after it is computed.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Benchmarks(_Stored):
    """A figure's mean and median over the county's municipalities and over each region's."""

    county: Benchmark
    regions: dict[str, Benchmark]  # region name → benchmark, sorted by name


class ParameterSummary(_Stored):
    """One integration parameter across the round: its definition, benchmarks, reliability and ranks."""

    label: str
    theme: str | None  # the codebook theme it speaks to (for unexpressed needs); None: none
    weight: float  # its weight in the index
    min_share: float  # the share of its questions that must be answered for a value
    county: Benchmark
    regions: dict[str, Benchmark]  # region name → benchmark, sorted by name
    alpha: float | None  # Cronbach's alpha over its questions; None: too few complete answers
    ranks: dict[str, int | None]  # municipality → rank, 1 the highest value; None: no value
    bottom_quartile_cut: float | None  # the 25th percentile; None: fewer than four values


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
