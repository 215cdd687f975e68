"""The settlement recommendation as a use case: figures from a CSV, scenarios, overrides, files.

The arithmetic and the wording live in ``analysis.settlement``; this module reads the county's figures
(a CSV as Excel writes it: comma or semicolon, decimal comma, UTF-8 or Windows-1252), keeps scenarios in
the database, and writes the result as CSV, XLSX and the rows of the printable report.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from analysis.settlement import (
    INDEX,
    Criterion,
    Infeasible,
    Override,
    Recommendation,
    Rules,
    RulesError,
    Unit,
    recommend,
    with_minors,
)
from analysis.settlement_rules import RulesFileError, load_rules, rules_from_data, rules_to_data
from analysis.settlement_text import percent
from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import AnalysisRun, Round, Scenario, utcnow
from survey_app.services import exports
from survey_app.templating import OSLO

REQUIRED = ("kommunenummer", "kommune", "forrige_anmodning", "vedtak")
MINORS = "vedtak_ema"  # the council's decision on unaccompanied minors (enslige mindreårige); blank: none
FIXED = (*REQUIRED, "region", MINORS)
OUTPUT = ("kommunenummer", "kommune", "region", "anbefalt", "begrunnelse")
MAX_ROWS = 2_000


class FiguresError(ValueError):
    """The figures file cannot be used; ``problems`` name the line and column, in Norwegian."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass
class Figures:
    """One row per municipality, JSON-ready, and the numeric columns that can serve as criteria."""

    rows: list[dict[str, Any]]
    criteria_columns: list[str]
    ignored: dict[str, str] = field(default_factory=dict)  # column → why it cannot be a criterion


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves «CSV» in Windows-1252 unless told otherwise.
        return data.decode("cp1252", errors="replace")


_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_number(text: str) -> float | None:
    """A number as Norwegians write it («12 345», «72,5») or as programs do («72.5»); blank is None."""
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        return None
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(text) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def read_figures(data: bytes | str) -> Figures:
    """Read the county's figures: ``kommunenummer, kommune, region, forrige_anmodning, vedtak`` and criteria."""
    text = data if isinstance(data, str) else _decode(data)
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FiguresError(
            [
                f"Linje 1: kolonnen «{c}» mangler. Filen må ha kolonnene {', '.join(REQUIRED)}."
                for c in missing
            ]
        )
    reader.fieldnames = header
    extra = [h for h in header if h and h not in FIXED]
    problems: list[str] = []
    ignored: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            problems.append(f"Filen har mer enn {MAX_ROWS} rader.")
            break
        cells = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
        if not any(cells.values()):
            continue
        number = cells["kommunenummer"]
        if not number.isdigit() or len(number) > 4:
            problems.append(f"Linje {line}: kommunenummer «{number}» er ikke et kommunenummer (fire sifre).")
            continue
        number = number.zfill(4)
        if number in seen:
            problems.append(f"Linje {line}: kommune {number} står flere ganger.")
            continue
        seen.add(number)
        row: dict[str, Any] = {
            "kommunenummer": number,
            "kommune": cells["kommune"] or number,
            "region": cells.get("region", ""),
            "kriterier": {},
        }
        for name in ("forrige_anmodning", "vedtak", MINORS):
            text = cells.get(name, "")
            try:
                value = parse_number(text)
            except ValueError:
                problems.append(f"Linje {line}: {name} «{text}» er ikke et tall.")
                continue
            if value is not None and (value < 0 or value != int(value)):
                problems.append(f"Linje {line}: {name} «{text}» må være et helt tall, 0 eller mer.")
                continue
            row[name] = None if value is None else int(value)
        row["forrige_anmodning"] = row.get("forrige_anmodning") or 0
        row.setdefault("vedtak", None)
        for column in extra:
            try:
                value = parse_number(cells.get(column, ""))
            except ValueError:
                ignored.setdefault(column, f"linje {line} har «{cells[column]}», som ikke er et tall")
                continue
            if column == INDEX and value is not None and not 0 <= value <= 100:
                problems.append(
                    f"Linje {line}: integreringsindeks «{cells[column]}» må være mellom 0 og 100."
                )
                continue
            row["kriterier"][column] = value
        rows.append(row)
    if problems:
        raise FiguresError(problems)
    if not rows:
        raise FiguresError(["Filen har ingen kommuner."])
    columns = [c for c in extra if c not in ignored]
    for row in rows:
        row["kriterier"] = {c: row["kriterier"].get(c) for c in columns}
    return Figures(rows, columns, ignored)


def units(rows: Sequence[Mapping[str, Any]]) -> list[Unit]:
    return [
        Unit(
            kommunenummer=r["kommunenummer"],
            name=r["kommune"],
            region=r.get("region", ""),
            last_request=int(r.get("forrige_anmodning") or 0),
            decision=r.get("vedtak"),
            criteria=r.get("kriterier", {}),
        )
        for r in rows
    ]


def check_columns(rules: Rules, columns: Sequence[str]) -> None:
    """A criterion with weight needs its column in the figures."""
    absent = [c.column for c in rules.criteria if c.weight > 0 and c.column not in columns]
    if absent:
        names = ", ".join(f"«{c}»" for c in absent)
        raise RulesError(f"Reglene bruker {names}, men tallene har ikke den kolonnen.")


def compute(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    total: int,
    rules: Rules,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    minors: int | None = None,
) -> Recommendation:
    """The recommendation (and of it, ``minors`` unaccompanied minors), or ``Infeasible``/``RulesError``."""
    check_columns(rules, columns)
    chosen = {k: Override(int(o["antall"]), str(o["begrunnelse"])) for k, o in (overrides or {}).items()}
    result = recommend(units(rows), total=total, rules=rules, overrides=chosen)
    if minors is None:
        return result
    decisions = {r["kommunenummer"]: r.get(MINORS) for r in rows}
    return with_minors(result, units(rows), decisions, total=minors)


def output_table(result: Recommendation, rules: Rules) -> tuple[list[str], list[list[Any]]]:
    """The CLI's and the workbook's table: the fixed columns, the change, then the criteria used."""
    columns = [c.column for c in rules.criteria]
    minors = ["anbefalt_ema"] if result.minors is not None else []
    header = [*OUTPUT, "forrige_anmodning", "vedtak", "endring", *minors, *columns]
    body = [
        [
            a.kommunenummer,
            a.name,
            a.region,
            a.recommended,
            a.explanation,
            a.last_request,
            a.decision,
            a.change,
            *([a.minors] if minors else []),
            *[a.criteria.get(c) for c in columns],
        ]
        for a in result.allocations
    ]
    return header, body


def to_csv(result: Recommendation, rules: Rules) -> str:
    header, body = output_table(result, rules)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if c is None else _plain(c) for c in line] for line in body])
    return out.getvalue()


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value == int(value) else value


# --- scenarios --------------------------------------------------------------------------------------


@dataclass
class RoundFigures:
    """A round's analysis as criteria: per kommunenummer ``{integreringsindeks, <parameter>: value}``."""

    values: dict[str, dict[str, float | None]]
    labels: dict[str, str]  # parameter id → its Norwegian name
    source: str


def index_from_round(session: Session, round_id: int) -> RoundFigures | None:
    """Each municipality's integration index and parameters from the round's latest analysis, and the source;
    every parameter can then be weighed as a criterion."""
    run = session.exec(
        select(AnalysisRun).where(AnalysisRun.round_id == round_id).order_by(col(AnalysisRun.id).desc())
    ).first()
    round_ = session.get(Round, round_id)
    if run is None or round_ is None:
        return None
    values = {
        u["kommunenummer"]: {
            INDEX: u["index"],
            **{p: v["value"] for p, v in u.get("parameters", {}).items()},
        }
        for u in run.results.get("units", {}).values()
    }
    labels = {p: str(v.get("label", p)) for p, v in run.results.get("parameters", {}).items()}
    when = run.created_at.astimezone(OSLO).strftime("%d.%m.%Y kl. %H.%M")
    return RoundFigures(
        values, labels, f"Integreringsindeks og parametere fra analysen av «{round_.title}», kjørt {when}"
    )


def create_scenario(
    session: Session,
    *,
    name: str,
    total: int,
    figures: Figures,
    figures_source: str,
    round_id: int | None,
    actor: str,
    rules: Rules | None = None,
) -> Scenario:
    """A new scenario from imported figures; with a round, the index comes from its latest analysis."""
    begin_write(session)
    rows = [dict(r, kriterier=dict(r["kriterier"])) for r in figures.rows]
    columns = list(figures.criteria_columns)
    labels: dict[str, str] = {}
    index_source = ""
    if round_id is not None:
        found = index_from_round(session, round_id)
        if found is None:
            raise RulesError("Runden har ingen analyse ennå. Kjør analysen først, eller velg ingen runde.")
        index_source, labels = found.source, found.labels
        from_round = sorted({p for v in found.values.values() for p in v} - {INDEX})
        for r in rows:
            mine = found.values.get(r["kommunenummer"], {})
            for column in (INDEX, *from_round):
                r["kriterier"][column] = mine.get(column)
        columns = [INDEX, *from_round, *(c for c in columns if c not in (INDEX, *from_round))]
    elif INDEX in columns:
        index_source = f"Integreringsindeks fra filen {figures_source}"
    scenario = Scenario(
        name=name,
        round_id=round_id,
        total=total,
        rules=rules_to_data(rules or load_rules()),
        figures=rows,
        criteria_columns=columns,
        criteria_labels=labels,
        figures_source=figures_source,
        index_source=index_source,
        created_by=actor,
    )
    details = {"name": name, "total": total, "municipalities": len(rows), "source": figures_source}
    return _add(session, scenario, action="recommendation.create", actor=actor, details=details)


def copy_scenario(session: Session, *, scenario: Scenario, name: str, actor: str) -> Scenario:
    """A new, named version to try something else on; the original stays as it was."""
    begin_write(session)
    copy = Scenario(
        name=name,
        round_id=scenario.round_id,
        total=scenario.total,
        rules=dict(scenario.rules),
        figures=list(scenario.figures),
        criteria_columns=list(scenario.criteria_columns),
        criteria_labels=dict(scenario.criteria_labels),
        figures_source=scenario.figures_source,
        figures_imported_at=scenario.figures_imported_at,
        index_source=scenario.index_source,
        overrides=dict(scenario.overrides),
        created_by=actor,
    )
    details = {"from": scenario.id, "name": name}
    return _add(session, copy, action="recommendation.copy", actor=actor, details=details)


def _add(
    session: Session, scenario: Scenario, *, action: str, actor: str, details: dict[str, Any]
) -> Scenario:
    session.add(scenario)
    session.flush()
    audit.record(
        session, actor=actor, action=action, object_type="scenario", object_id=scenario.id, details=details
    )
    session.commit()
    return scenario


def scenario_rules(scenario: Scenario) -> Rules:
    try:
        return rules_from_data(scenario.rules)
    except RulesFileError:
        return load_rules()  # stored rules from an older version that no longer validate: start afresh


def update_scenario(session: Session, *, scenario: Scenario, total: int, rules: Rules, actor: str) -> None:
    begin_write(session)
    session.refresh(scenario)
    data = rules_to_data(rules)
    if (scenario.total, scenario.rules) == (total, data):
        session.rollback()  # nothing changed: no write, no audit event
        return
    scenario.total, scenario.rules = total, data
    _save(
        session,
        scenario,
        action="recommendation.update",
        actor=actor,
        details={"total": total, "rules": data},
    )


def set_override(
    session: Session, *, scenario: Scenario, kommunenummer: str, number: int, reason: str, actor: str
) -> None:
    """Fix one municipality's number by hand; the reason is required and goes into its begrunnelse."""
    begin_write(session)
    session.refresh(scenario)
    overrides = dict(scenario.overrides)
    overrides[kommunenummer] = {
        "antall": number,
        "begrunnelse": reason,
        "av": actor,
        "tid": utcnow().isoformat(),
    }
    scenario.overrides = overrides
    details = {"kommunenummer": kommunenummer, "antall": number, "begrunnelse": reason}
    _save(session, scenario, action="recommendation.override", actor=actor, details=details)


def remove_override(session: Session, *, scenario: Scenario, kommunenummer: str, actor: str) -> None:
    begin_write(session)
    session.refresh(scenario)
    if kommunenummer not in scenario.overrides:
        session.rollback()
        return
    scenario.overrides = {k: v for k, v in scenario.overrides.items() if k != kommunenummer}
    details = {"kommunenummer": kommunenummer}
    _save(session, scenario, action="recommendation.override_remove", actor=actor, details=details)


def finalize(session: Session, *, scenario: Scenario, actor: str) -> None:
    """Mark this scenario as the county's final recommendation (and no other)."""
    begin_write(session)
    for other in session.exec(select(Scenario).where(col(Scenario.is_final))):
        other.is_final = False
        session.add(other)
    session.refresh(scenario)
    scenario.is_final = True
    details = {"name": scenario.name, "total": scenario.total}
    _save(session, scenario, action="recommendation.finalize", actor=actor, details=details)


def _save(session: Session, scenario: Scenario, *, action: str, actor: str, details: dict[str, Any]) -> None:
    """Store a change to a scenario with its audit event, in one transaction."""
    scenario.updated_at = utcnow()
    session.add(scenario)
    audit.record(
        session, actor=actor, action=action, object_type="scenario", object_id=scenario.id, details=details
    )
    session.commit()


def result_of(scenario: Scenario) -> tuple[Recommendation | None, list[str]]:
    """The scenario's numbers, or the reasons there are none."""
    try:
        result = compute(
            scenario.figures,
            scenario.criteria_columns,
            total=scenario.total,
            rules=scenario_rules(scenario),
            overrides=scenario.overrides,
        )
    except Infeasible as error:
        return None, error.conflicts
    except RulesError as error:
        return None, [str(error)]
    return result, []


def to_xlsx(scenario: Scenario, result: Recommendation) -> bytes:
    rules = scenario_rules(scenario)
    header, body = output_table(result, rules)
    rule_rows = [[name, value] for name, value in rule_lines(rules)]
    sources = [
        ["Tall fra fil", scenario.figures_source, _date(scenario.figures_imported_at)],
        ["Integreringsindeks", scenario.index_source or "ikke brukt", ""],
    ]
    overrides = [
        [k, o["antall"], o["begrunnelse"], o.get("av", ""), o.get("tid", "")]
        for k, o in scenario.overrides.items()
    ]
    return exports.workbook(
        [
            ("Anbefaling", header, body),
            ("Regler", ["regel", "verdi"], rule_rows),
            ("Kilder", ["kilde", "beskrivelse", "dato"], sources),
            ("Overstyringer", ["kommunenummer", "antall", "begrunnelse", "av", "tid"], overrides),
        ]
    )


def _date(moment: datetime) -> str:
    return moment.astimezone(OSLO).strftime("%d.%m.%Y")


def rule_lines(rules: Rules) -> list[tuple[str, str]]:
    """The rules in plain bokmål, for the report and the workbook."""
    yes = {True: "ja", False: "nei"}
    change = []
    if rules.max_change is not None:
        change.append(f"{rules.max_change}")
    if rules.max_change_share is not None:
        change.append(percent(rules.max_change_share) + " av fjorårets anmodning")
    total_weight = sum(c.weight for c in rules.criteria if c.weight > 0) or 1
    lines = [
        ("Kommunestyrets vedtak er taket", yes[rules.decision_caps]),
        ("Fjorårets anmodning er gulvet (om ikke vedtaket er lavere)", yes[rules.last_year_floor]),
        ("Minstetall for en kommune som anmodes", str(rules.minimum)),
        (
            "Største endring fra i fjor",
            " eller ".join(change) + " (den største gjelder)" if change else "ingen grense",
        ),
    ]
    for c in rules.criteria:
        share = (1 - rules.regional_balance) * c.weight / total_weight if c.weight > 0 else 0
        better = "høyt er best" if c.direction == "hoy" else "lavt er best"
        lines.append((f"Kriterium: {c.label} ({c.column})", f"vekt {percent(share)}, {better}"))
    lines.append(("Lik andel per kommuneregion", percent(rules.regional_balance)))
    return lines


# --- the scenario form ------------------------------------------------------------------------------


def column_label(column: str, labels: Mapping[str, str] | None = None) -> str:
    if column == INDEX:
        return "Integreringsindeks"
    return (labels or {}).get(column) or column.replace("_", " ").capitalize()


def form_values(scenario: Scenario, rules: Rules) -> dict[str, str]:
    """The scenario form's fields as text, from the stored rules."""
    by_column = {c.column: c for c in rules.criteria}

    def text(value: float | None) -> str:
        return "" if value is None else str(_plain(value))

    values = {
        "total": str(scenario.total),
        "minstetall": str(rules.minimum),
        "vedtak_er_tak": "ja" if rules.decision_caps else "",
        "fjoraret_er_gulv": "ja" if rules.last_year_floor else "",
        "maks_endring": text(rules.max_change),
        "maks_endring_andel": text(
            None if rules.max_change_share is None else round(rules.max_change_share * 100, 2)
        ),
        "regional_balanse": text(round(rules.regional_balance * 100, 2)),
    }
    for column in scenario.criteria_columns:
        c = by_column.get(column)
        values[f"vekt__{column}"] = text(c.weight if c else 0)
        values[f"retning__{column}"] = c.direction if c else "hoy"
    return values


def whole_number(text: str, *, blank: int | None, most: int = 1_000_000) -> int | None:
    value = parse_number(text)
    if value is None:
        if blank is None:
            return None
        return blank
    if value != int(value) or not 0 <= value <= most:
        raise ValueError
    return int(value)


def rules_from_form(
    form: Mapping[str, str], columns: Sequence[str], labels: Mapping[str, str] | None = None
) -> tuple[Rules | None, int, dict[str, str]]:
    """Rules and total from the scenario form, or the errors by field name (in Norwegian)."""
    errors: dict[str, str] = {}

    def whole(name: str, message: str, *, blank: int | None) -> int | None:
        try:
            return whole_number(form.get(name, ""), blank=blank)
        except ValueError:
            errors[name] = message
            return None

    def share(name: str, message: str, *, blank: float | None) -> float | None:
        try:
            value = parse_number(form.get(name, ""))
        except ValueError:
            value = -1.0
        if value is None:
            return blank
        if not 0 <= value <= 100:
            errors[name] = message
            return None
        return value / 100

    total = whole("total", "Skriv et helt tall, 0 eller mer.", blank=None)
    if total is None and "total" not in errors:
        errors["total"] = "Skriv hvor mange fylket skal fordele."
    minimum = whole("minstetall", "Skriv et helt tall, 0 eller mer.", blank=0)
    max_change = whole("maks_endring", "Skriv et helt tall, eller la feltet stå tomt.", blank=None)
    max_share = share(
        "maks_endring_andel", "Skriv en prosent mellom 0 og 100, eller la feltet stå tomt.", blank=None
    )
    balance = share("regional_balanse", "Skriv en prosent mellom 0 og 100.", blank=0.0)
    criteria = []
    for column in columns:
        try:
            weight = parse_number(form.get(f"vekt__{column}", "")) or 0.0
        except ValueError:
            weight = -1.0
        if not 0 <= weight <= 1000:
            errors[f"vekt__{column}"] = "Skriv en vekt fra 0 til 1000."
            continue
        direction: Literal["hoy", "lav"] = "lav" if form.get(f"retning__{column}") == "lav" else "hoy"
        if weight > 0:
            criteria.append(Criterion(column, column_label(column, labels), weight, direction))
    if not criteria and (balance or 0) < 1 and not any(k.startswith("vekt__") for k in errors):
        errors[f"vekt__{columns[0]}" if columns else "regional_balanse"] = (
            "Minst ett kriterium må ha vekt over 0, eller den regionale balansen må være 100 %."
        )
    if errors:
        return None, total or 0, errors
    rules = Rules(
        decision_caps=form.get("vedtak_er_tak") == "ja",
        last_year_floor=form.get("fjoraret_er_gulv") == "ja",
        minimum=minimum or 0,
        max_change=max_change,
        max_change_share=max_share,
        criteria=tuple(criteria),
        regional_balance=balance or 0.0,
    )
    return rules, total or 0, {}


def template_csv(
    rows: Sequence[tuple[str, str, str]], index: Mapping[str, float | None] | None = None
) -> str:
    """A figures file to fill in: the county's municipalities, and the index when a round is given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["kommunenummer", "kommune", "region", "forrige_anmodning", "vedtak", INDEX]
    writer.writerow(header)
    for number, name, region in rows:
        value = (index or {}).get(number)
        writer.writerow([number, name, region, "", "", "" if value is None else round(value, 1)])
    return out.getvalue()
