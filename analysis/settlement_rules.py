"""The recommendation rules as YAML: Norwegian keys, because advisers read and edit the file.

The shipped defaults (``DEFAULT_RULES``, documented in docs/recommendation.md) follow the seed county's
premises. A rules file is checked as a whole, and every problem is reported with its file and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.problems import ProblemsError
from analysis.settlement import INDEX, Asked, Criterion, Rules

DEFAULT_RULES = Path(__file__).resolve().parent / "anbefalingsregler.yaml"


class RulesFileError(ProblemsError):
    """The input cannot be used; ``problems`` say where and what, in Norwegian."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class CriterionSpec(_Strict):
    kolonne: str = Field(min_length=1, max_length=60, pattern=r"^[a-zæøå][a-zæøå0-9_]*$")
    navn: str = Field(min_length=1, max_length=100)
    vekt: float = Field(ge=0, le=1000)
    retning: Literal["hoy", "lav"] = "hoy"
    per_innbygger: bool = False


class StabilitySpec(_Strict):
    maks_endring: int | None = Field(default=None, ge=0)
    maks_endring_andel: float | None = Field(default=None, ge=0, le=10)


class RegionsSpec(_Strict):
    # kommunenummer → {region: share}; the shares of one municipality add up to 1
    deling: dict[str, dict[str, float]] = Field(default_factory=dict)
    # a region's share of the total stays within this share of its share last year (null: no band)
    maks_endring_andel: float | None = Field(default=None, ge=0, le=1)

    @field_validator("deling")
    @classmethod
    def _shares_add_up(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for number, shares in value.items():
            if not shares or any(s < 0 for s in shares.values()) or abs(sum(shares.values()) - 1) > 1e-6:
                raise ValueError(f"andelene for {number} må være 0 eller mer og til sammen 1")
        return value


class RulesSpec(_Strict):
    vedtak_er_tak: bool = True
    fjoraret_er_gulv: bool = True
    minstetall: int = Field(default=10, ge=0, le=10_000)
    anmodes: Asked = "grunnlag"
    maks_justering: float = Field(default=0.2, ge=0, le=0.9)
    stabilitet: StabilitySpec = StabilitySpec()
    kriterier: list[CriterionSpec] = Field(
        default_factory=lambda: [CriterionSpec(kolonne=INDEX, navn="Integreringsindeks", vekt=0)]
    )
    regioner: RegionsSpec = RegionsSpec()
    # Replaced by the stability-first model; named here only to say so (see the validator below).
    regional_balanse: float | None = None

    @field_validator("kriterier")
    @classmethod
    def _unique(cls, value: list[CriterionSpec]) -> list[CriterionSpec]:
        columns = [c.kolonne for c in value]
        if len(set(columns)) != len(columns):
            raise ValueError("hver kolonne kan bare stå én gang")
        return value

    @field_validator("regional_balanse")
    @classmethod
    def _retired(cls, value: float | None) -> None:
        if value is not None:
            raise ValueError(
                "regional_balanse er tatt bort: en lik andel per region så bort fra kommunenes størrelse. "
                "Regionenes delsummer vises alltid; fjern linjen (se docs/recommendation.md)"
            )
        return None

    def to_rules(self) -> Rules:
        return Rules(
            decision_caps=self.vedtak_er_tak,
            last_year_floor=self.fjoraret_er_gulv,
            minimum=self.minstetall,
            asked=self.anmodes,
            max_adjustment=self.maks_justering,
            max_change=self.stabilitet.maks_endring,
            max_change_share=self.stabilitet.maks_endring_andel,
            criteria=tuple(
                Criterion(c.kolonne, c.navn, c.vekt, c.retning, c.per_innbygger) for c in self.kriterier
            ),
            region_split=self.regioner.deling,
            region_band=self.regioner.maks_endring_andel,
        )


def to_spec(rules: Rules) -> RulesSpec:
    return RulesSpec(
        vedtak_er_tak=rules.decision_caps,
        fjoraret_er_gulv=rules.last_year_floor,
        minstetall=rules.minimum,
        anmodes=rules.asked,
        maks_justering=rules.max_adjustment,
        stabilitet=StabilitySpec(maks_endring=rules.max_change, maks_endring_andel=rules.max_change_share),
        kriterier=[
            CriterionSpec(
                kolonne=c.column, navn=c.label, vekt=c.weight, retning=c.direction, per_innbygger=c.per_capita
            )
            for c in rules.criteria
        ],
        regioner=RegionsSpec(
            deling={k: dict(v) for k, v in rules.region_split.items()}, maks_endring_andel=rules.region_band
        ),
    )


def rules_from_data(data: Any) -> Rules:
    """Rules from parsed YAML or stored JSON; ``RulesFileError`` lists what is wrong."""
    try:
        return RulesSpec.model_validate(data if data is not None else {}).to_rules()
    except ValidationError as error:
        raise RulesFileError([_message(e) for e in error.errors()]) from error


def rules_to_data(rules: Rules) -> dict[str, Any]:
    return to_spec(rules).model_dump(exclude={"regional_balanse"})


def load_rules(path: Path | str | None = None) -> Rules:
    """Read a UTF-8 rules file (the shipped defaults when ``path`` is None) and check it.

    A file from a user may be saved by Excel or a Windows editor: decode it with ``survey_app.textfiles``
    (the one reader for such files) and pass the text to ``parse_rules``."""
    path = Path(path) if path is not None else DEFAULT_RULES
    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RulesFileError([f"{path}: kan ikke lese regelfilen ({error.strerror})"]) from error
    except UnicodeDecodeError:
        raise RulesFileError([f"{path}: regelfilen er ikke UTF-8. Lagre den som UTF-8."]) from None
    return parse_rules(source, name=str(path))


def parse_rules(source: str, *, name: str = "regelfilen") -> Rules:
    """Rules from the text of a rules file; problems name ``name`` and the line."""
    path = name
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise RulesFileError([f"{where}: ikke gyldig YAML ({error})"]) from error
    if data is not None and not isinstance(data, dict):
        raise RulesFileError([f"{path}:1: regelfilen må være en liste av nøkler og verdier"])
    try:
        return RulesSpec.model_validate(data or {}).to_rules()
    except ValidationError as error:
        raise RulesFileError(
            [f"{path}:{_line_of(node, e['loc'])}: {_message(e)}" for e in error.errors()]
        ) from error


def _message(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "regelfilen"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"«{where}» er ikke en kjent regel"
    if kind == "missing":
        return f"«{where}» mangler"
    text = {
        "bool_parsing": "må være true eller false",
        "bool_type": "må være true eller false",
        "int_parsing": "må være et helt tall",
        "int_type": "må være et helt tall",
        "int_from_float": "må være et helt tall",
        "float_parsing": "må være et tall",
        "float_type": "må være et tall",
        "greater_than_equal": f"må være minst {error.get('ctx', {}).get('ge')}",
        "less_than_equal": f"kan være høyst {error.get('ctx', {}).get('le')}",
        "literal_error": "må være "
        + re.sub(r"'([^']*)'", r"«\1»", str(error.get("ctx", {}).get("expected", ""))).replace(
            " or ", " eller "
        ),
        "string_pattern_mismatch": "må være et kolonnenavn med små bokstaver, tall og _",
        "string_too_short": "kan ikke være tom",
        "string_too_long": "er for lang",
    }.get(kind, str(error.get("msg", "er ugyldig")).removeprefix("Value error, "))
    return f"«{where}» {text}" if where != "regelfilen" else text


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the YAML node at ``loc``, or of the closest parent that exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
            if node is None:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line
