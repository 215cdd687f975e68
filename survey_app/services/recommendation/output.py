"""The recommendation as files and plain words: the table (CLI, XLSX), the rules and the method in bokmål."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from analysis.settlement import Recommendation, Rules
from analysis.settlement_text import number, percent
from survey_app.cells import neutralise
from survey_app.dates import OSLO

OUTPUT = ("kommunenummer", "kommune", "region", "anbefalt", "begrunnelse")
ASKED_TEXT = {
    "grunnlag": "kommuner med et grunnlag på minst minstetallet, og de som ble anmodet i fjor",
    "vedtak": "kommuner der kommunestyret har vedtatt minst minstetallet (uten vedtak: etter grunnlaget)",
    "alle": "alle kommunene",
}
# (year, settled) per kommunenummer, oldest first: the knowledge base's last years
Settled = Mapping[str, Sequence[tuple[int, int | None]]]


def output_table(
    result: Recommendation, rules: Rules, settled: Settled | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The CLI's and the workbook's table: the contract's columns, then the figures behind each number, the
    settled numbers of the last years when known, then the criteria used."""
    columns = [c.column for c in rules.criteria]
    minors = ["anbefalt_ema"] if result.minors is not None else []
    years = sorted({y for rows in (settled or {}).values() for y, _ in rows})
    header = [
        *OUTPUT,
        "forrige_anmodning",
        "grunnlag",
        "endring",
        "per_1000_innbyggere",
        "vedtak",
        *minors,
        *(f"bosatt_{y}" for y in years),
        *columns,
    ]
    body = []
    for a in result.allocations:
        by_year = dict((settled or {}).get(a.kommunenummer, ()))
        body.append(
            [
                a.kommunenummer,
                a.name,
                a.region,
                a.recommended,
                a.explanation,
                a.last_request,
                round(a.baseline, 1),
                a.change,
                None if a.per_1000 is None else round(a.per_1000, 2),
                a.decision,
                *([a.minors] if minors else []),
                *(by_year.get(y) for y in years),
                *(a.criteria.get(c) for c in columns),
            ]
        )
    return header, body


def to_csv(result: Recommendation, rules: Rules, *, excel: bool = False) -> str:
    """The table as CSV text. ``excel``: as Norwegian Excel opens it in columns, with «ø» intact: a
    byte-order mark, semicolons and decimal commas; otherwise plain comma-separated with decimal points,
    for other programs."""
    header, body = output_table(result, rules)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    writer.writerow(header)
    for line in body:
        cells = ["" if c is None else neutralise(_plain(c)) for c in line]
        writer.writerow([_comma(c) for c in cells] if excel else cells)
    return ("\ufeff" if excel else "") + out.getvalue()


def _comma(value: Any) -> Any:
    return str(value).replace(".", ",") if isinstance(value, float) else value


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value == int(value) else value


def region_rows(result: Recommendation) -> list[list[Any]]:
    return [
        [
            r.name or "Uten region",
            r.municipalities,
            round(r.last_request, 1),
            round(r.recommended, 1),
            round(r.change, 1),
        ]
        for r in result.regions
    ]


def to_xlsx(
    result: Recommendation,
    rules: Rules,
    *,
    sources: Sequence[tuple[str, str, str]],
    overrides: Sequence[Sequence[Any]],
    settled: Settled | None = None,
) -> bytes:
    """The workbook: the recommendation, the regions, the rules, the sources and the overrides."""
    # Imported here: the exports module loads the analysis (and scikit-learn), which the CLI need not wait for.
    from survey_app.services import exports

    header, body = output_table(result, rules, settled)
    return exports.workbook(
        [
            ("Anbefaling", header, body),
            (
                "Regioner",
                ["region", "kommuner", "forrige_anmodning", "anbefalt", "endring"],
                region_rows(result),
            ),
            ("Regler", ["regel", "verdi"], [list(line) for line in rule_lines(rules)]),
            ("Kilder", ["kilde", "beskrivelse", "dato"], [list(s) for s in sources]),
            (
                "Overstyringer",
                ["kommunenummer", "antall", "begrunnelse", "av", "tid"],
                [list(o) for o in overrides],
            ),
        ]
    )


def date_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(OSLO).strftime("%d.%m.%Y")


def rule_lines(rules: Rules) -> list[tuple[str, str]]:
    """The rules in plain bokmål, for the page, the report, the case document and the workbook."""
    yes = {True: "ja", False: "nei"}
    change = []
    if rules.max_change is not None:
        change.append(f"{rules.max_change}")
    if rules.max_change_share is not None:
        change.append(percent(rules.max_change_share) + " av fjorårets anmodning")
    lines = [
        ("Grunnlag", "fjorårets anmodning ganget med én felles faktor (årets total delt på fjorårets sum)"),
        ("Kommunestyrets vedtak er taket", yes[rules.decision_caps]),
        ("Fjorårets anmodning er gulvet (om ikke vedtaket er lavere)", yes[rules.last_year_floor]),
        ("Minstetall: en kommune anmodes om 0 eller minst", str(rules.minimum)),
        ("Kommuner som anmodes", ASKED_TEXT[rules.asked]),
        ("Største justering fra grunnlaget etter kriteriene", f"±{percent(rules.max_adjustment)}"),
        (
            "Største endring fra i fjor i tillegg",
            " eller ".join(change) + " (den største gjelder)" if change else "ingen grense",
        ),
    ]
    total = sum(c.weight for c in rules.weighted)
    for c in rules.criteria:
        share = c.weight / total if c.weight > 0 else 0
        better = "høyt er best" if c.direction == "hoy" else "lavt er best"
        per = ", per 1 000 innbyggere" if c.per_capita else ""
        weight = (
            f"vekt {percent(share)}, {better}{per}" if share else "vekt 0: vises som grunnlag for dialogen"
        )
        lines.append((f"Kriterium: {c.label}", weight))
    return lines


def method_paragraphs(result: Recommendation) -> list[str]:
    """How the numbers came about, in plain bokmål, for the case document."""
    rules = result.rules
    paragraphs = [
        f"Fylkeskommunen er bedt om å fordele {number(result.total)} flyktninger. I fjor var summen av "
        f"anmodningene {number(result.last_total)}. Hver kommune starter derfor fra grunnlaget: fjorårets "
        f"anmodning ganget med {number(result.factor, 3)}. Slik holdes tallene stabile, og kommunenes "
        "størrelse og kapasitet slik den er vist de siste årene, teller likt for alle.",
    ]
    if result.rate is not None:
        paragraphs.append(
            "En kommune som ikke ble anmodet i fjor, får et grunnlag etter innbyggertallet, med fylkets rate "
            f"i fjor ({number(result.rate, 2)} per 1 000 innbyggere)."
        )
    if rules.weighted:
        names = ", ".join(c.label.lower() for c in rules.weighted)
        paragraphs.append(
            f"Grunnlaget er justert etter dokumenterte kriterier ({names}), med høyst "
            f"±{percent(rules.max_adjustment)}. En kommune som ligger høyt blant fylkets kommuner på et "
            "kriterium, går opp; en som ligger lavt, går ned."
        )
    else:
        paragraphs.append("Ingen kriterier har vekt: tallene følger grunnlaget.")
    limits = []
    if rules.decision_caps:
        limits.append("kommunestyrets vedtak er taket")
    if rules.last_year_floor:
        limits.append("ingen kommune går ned fra fjorårets anmodning, med mindre vedtaket er lavere")
    limits.append(f"en kommune anmodes om 0 eller minst {rules.minimum}")
    paragraphs.append(
        "Deretter holdes reglene: " + "; ".join(limits) + ". Til slutt er tallene skalert likt og rundet til "
        "hele tall slik at summen blir nøyaktig totalen. Hver kommunes begrunnelse viser hvilke regler som satte tallet."
    )
    return paragraphs


def finalize_consequences(
    name: str, year: int | None, result: Recommendation, previous: str | None
) -> list[str]:
    """What «Merk som endelig anbefaling» does, in words, for the confirmation step before it."""
    asked = sum(1 for a in result.allocations if a.recommended > 0)
    lines = [
        f"«{name}» blir fylkets endelige anbefaling: {number(result.total)} flyktninger fordelt på "
        f"{asked} av {len(result.allocations)} kommuner."
    ]
    if previous is not None:
        lines.append(f"«{previous}» er da ikke lenger den endelige anbefalingen.")
    if year is not None:
        lines.append(
            f"Tallene skrives inn i kunnskapsgrunnlaget som fylkets anbefaling for {year}, og erstatter "
            "anbefalingen som står der for det året."
        )
    lines.append("Saksframlegget og brevet til IMDi blir ikke lenger merket som utkast.")
    return lines
