"""The saksframlegg worded in bokmål: every fixed text of the case document is in this module.

The case document is in bokmål only, because its method, rules and each begrunnelse arrive in bokmål and a
document that mixed the two standards would read worse than one in bokmål. Only the letter to IMDi follows
the county's målform (``letter_text``).
"""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.documents import formatting as fmt
from survey_app.documents.blocks import Alert, Block, Column, NumberedList, Paragraph, Section, Table
from survey_app.documents.model import CaseDocument, MunicipalityLine, printable

DRAFT = "UTKAST"
MINORS_SHORT = "Herav EM"  # the wide table has no room for «herav enslige mindreårige»


@dataclass(frozen=True)
class CaseText:
    """The saksframlegg, worded: what both the DOCX and the PDF print."""

    county: str
    title: str
    kind: str  # «Saksframlegg», above the title
    meta: tuple[tuple[str, str], ...]
    draft: Alert | None
    sections: tuple[Section, ...]
    header: str  # on every page, after the draft mark when there is one
    footer: str  # on every page, before the page number
    author: str
    language: str  # BCP 47, for the document's metadata and spell checking


def title(doc: CaseDocument) -> str:
    return f"Anbefaling til IMDi om bosetting av flyktninger i {doc.year}"


def _count(n: int, one: str, many: str) -> str:
    return f"{fmt.integer(n)} {one if n == 1 else many}"


def _of_minors(minors: int | None) -> str:
    if minors is None:
        return ""
    return f", herav {fmt.integer(minors)} enslige mindreårige"


def settled_years(doc: CaseDocument) -> tuple[int, ...]:
    """The (at most three) latest years any municipality has a settled figure for, oldest first."""
    years = sorted({year for line in doc.lines for year, _ in line.settled})
    return tuple(years[-3:])


def minors_asked(doc: CaseDocument) -> bool:
    return doc.minors is not None or any(line.minors is not None for line in doc.lines)


def minors_total(doc: CaseDocument) -> int | None:
    """The sum of the municipalities' minors, or the county's number when no municipality has one."""
    known = [line.minors for line in doc.lines if line.minors is not None]
    return sum(known) if known else doc.minors


def main_table(doc: CaseDocument) -> Table:
    """One row per municipality: last year, baseline, recommended, change, per 1 000, decision, settled."""
    years = settled_years(doc)
    with_minors = minors_asked(doc)
    columns = [
        Column("Nr.", 4),
        Column("Kommune", 10.5),
        Column("Region", 17),
        Column("Anmodet i fjor", 6, numeric=True),
        Column("Grunnlag", 6, numeric=True),
        Column("Anbefalt", 6, numeric=True),
    ]
    if with_minors:
        columns.append(Column(MINORS_SHORT, 5, numeric=True))
    columns += [
        Column("Endring", 5.5, numeric=True),
        Column("Per 1\u00a0000 innb.", 6, numeric=True),
        Column("Vedtak", 5.5, numeric=True),
    ]
    columns += [Column(f"Bosatt {year}", 5.5, numeric=True) for year in years]

    def row(line: MunicipalityLine) -> tuple[str, ...]:
        settled = dict(line.settled)
        cells = [
            line.kommunenummer,
            line.name,
            line.region or fmt.DASH,
            fmt.integer(line.last_request),
            fmt.decimal1(line.baseline),
            fmt.integer(line.recommended),
        ]
        if with_minors:
            cells.append(fmt.optional(line.minors))
        cells += [fmt.signed(line.change), fmt.optional1(line.per_1000), fmt.optional(line.decision)]
        cells += [fmt.optional(settled.get(year)) for year in years]
        return tuple(cells)

    total = [
        "",
        "Sum",
        "",
        fmt.integer(sum(line.last_request for line in doc.lines)),
        fmt.decimal1(sum(line.baseline for line in doc.lines)),
        fmt.integer(sum(line.recommended for line in doc.lines)),
    ]
    if with_minors:
        total.append(fmt.optional(minors_total(doc)))
    total += [fmt.signed(sum(line.change for line in doc.lines)), "", ""]
    total += ["" for _ in years]
    return Table(
        caption=f"Anbefalt antall per kommune i {doc.year}, med fjorårets anmodning, grunnlag, vedtak og bosatte",
        columns=tuple(columns),
        rows=tuple(row(line) for line in doc.lines),
        total=tuple(total),
        row_header=False,
        small=True,
    )


def _main_notes(doc: CaseDocument) -> tuple[str, ...]:
    notes = [
        f"Grunnlag: fjorårets anmodning × den felles faktoren {fmt.factor(doc.factor)}. "
        "Endring: anbefalt minus fjorårets anmodning. "
        "Per 1\u00a0000 innb.: anbefalt per 1\u00a0000 innbyggere. "
        f"Vedtak: kommunestyrets vedtak om bosetting for {doc.year}. "
        "Bosatt: antall flyktninger kommunen faktisk bosatte det året. "
        f"{fmt.DASH}: ikke kjent eller ikke vedtatt.",
    ]
    if minors_asked(doc):
        notes.append(f"{MINORS_SHORT}: herav enslige mindreårige.")
    return (" ".join(notes),)


def region_table(doc: CaseDocument) -> Table:
    return Table(
        caption="Anbefalt antall per region, med endring fra fjorårets anmodninger",
        columns=(
            Column("Region", 20),
            Column("Anmodet i fjor", 8, numeric=True),
            Column("Anbefalt", 8, numeric=True),
            Column("Endring", 8, numeric=True),
        ),
        rows=tuple(
            (
                r.name,
                fmt.share_count(r.last_request),
                fmt.share_count(r.recommended),
                fmt.signed_share_count(r.change),
            )
            for r in doc.regions
        ),
        total=(
            "Sum",
            fmt.share_count(sum(r.last_request for r in doc.regions)),
            fmt.share_count(sum(r.recommended for r in doc.regions)),
            fmt.signed_share_count(sum(r.change for r in doc.regions)),
        ),
        share=0.6,
    )


def explanation_table(doc: CaseDocument) -> Table:
    return Table(
        caption="Begrunnelse for hver kommunes tall",
        columns=(Column("Kommune", 13), Column("Anbefalt", 7, numeric=True), Column("Begrunnelse", 40)),
        rows=tuple(
            (f"{line.name} ({line.kommunenummer})", fmt.integer(line.recommended), line.explanation)
            for line in doc.lines
        ),
    )


def override_blocks(doc: CaseDocument) -> tuple[Block, ...]:
    if not doc.overrides:
        return (Paragraph("Ingen. Alle tallene følger av reglene."),)
    intro = Paragraph(
        f"Fylkeskommunen har satt tallet for hånd for {_count(len(doc.overrides), 'kommune', 'kommuner')}, "
        "med begrunnelsen nedenfor. Tallet i tabellen over er det som er satt for hånd."
    )
    table = Table(
        caption="Tall satt for hånd, med begrunnelse, hvem som satte dem og når",
        columns=(
            Column("Kommune", 11),
            Column("Antall", 5.5, numeric=True),
            Column("Begrunnelse", 25),
            Column("Satt av", 10),
            Column("Tidspunkt", 11),
        ),
        rows=tuple(
            (f"{o.name} ({o.kommunenummer})", fmt.integer(o.number), o.reason, o.by, fmt.moment(o.at))
            for o in doc.overrides
        ),
    )
    return (intro, table)


def source_table(doc: CaseDocument) -> Table:
    return Table(
        caption="Datakildene anbefalingen bygger på, med dato",
        columns=(Column("Kilde", 11), Column("Beskrivelse", 26), Column("Dato", 10)),
        rows=tuple((s.label, s.description, fmt.optional_date(s.date)) for s in doc.sources),
    )


def _background(doc: CaseDocument) -> tuple[str, ...]:
    role = (
        "Fylkeskommunen gir hvert år IMDi en anbefaling om hvor mange flyktninger hver kommune i fylket bør "
        "anmodes om å bosette. IMDi sender deretter anmodningen til kommunene, og kommunestyret vedtar selv "
        "hvor mange kommunen vil bosette."
    )
    diff = doc.total - doc.last_total
    if doc.last_total <= 0:
        size = (
            f"Ingen kommuner ble anmodet i fjor. I år skal fylket fordele {fmt.integer(doc.total)}, "
            "og grunnlaget kan derfor ikke bygge på fjorårets anmodninger."
        )
    else:
        if diff > 0:
            compared = f"{fmt.integer(diff)} flere enn"
        elif diff < 0:
            compared = f"{fmt.integer(-diff)} færre enn"
        else:
            compared = "like mange som"
        size = (
            f"I år skal fylket fordele {fmt.integer(doc.total)}{_of_minors(doc.minors)}, {compared} summen "
            f"av fjorårets anmodninger ({fmt.integer(doc.last_total)}). Den felles faktoren er derfor "
            f"f\u00a0=\u00a0{fmt.integer(doc.total)}\u00a0/\u00a0{fmt.integer(doc.last_total)}\u00a0="
            f"\u00a0{fmt.factor(doc.factor)}, og grunnlaget for hver kommune er fjorårets anmodning ganget "
            "med f."
        )
    asked = sum(1 for line in doc.lines if line.recommended > 0)
    up = sum(1 for line in doc.lines if line.change > 0)
    down = sum(1 for line in doc.lines if line.change < 0)
    same = len(doc.lines) - up - down
    spread = (
        f"{fmt.integer(asked)} av {_count(len(doc.lines), 'kommune', 'kommuner')} anbefales anmodet om å "
        f"bosette flyktninger i {doc.year}. Sammenlignet med fjorårets anmodning får "
        f"{_count(up, 'kommune', 'kommuner')} et høyere tall, {fmt.integer(down)} et lavere og "
        f"{fmt.integer(same)} det samme."
    )
    return (role, size, spread)


def case_text(doc: CaseDocument) -> CaseText:
    """The saksframlegg's content, worded once for both renderers."""
    doc = printable(doc)
    heading = title(doc)
    minors = _of_minors(doc.minors)
    total = fmt.integer(doc.total)
    sections: list[Section] = [
        Section(
            "Saken gjelder",
            (
                Paragraph(
                    f"{doc.county} skal anbefale IMDi hvor mange flyktninger hver kommune i fylket bør anmodes "
                    f"om å bosette i {doc.year}. IMDi har bedt fylket fordele {total} personer{minors}. "
                    "Saken legger fram anbefalingen, hvordan den er laget, og begrunnelsen for hver kommune."
                ),
                *((Alert("Merk", doc.warnings),) if doc.warnings else ()),
            ),
        ),
        Section(
            "Forslag til vedtak",
            (
                NumberedList(
                    (
                        f"Utvalget godkjenner fylkeskommunens anbefaling til IMDi om bosetting av flyktninger "
                        f"i {doc.year}: til sammen {total} personer{minors}, fordelt på kommunene slik "
                        "tabellen «Anbefaling per kommune» i saksframlegget viser.",
                        "Anbefalingen sendes IMDi.",
                    )
                ),
            ),
        ),
        Section("Bakgrunn", tuple(Paragraph(p) for p in _background(doc))),
        Section("Metode", tuple(Paragraph(p) for p in doc.method)),
        Section(
            "Reglene som er brukt",
            (
                Table(
                    caption="Reglene anbefalingen er regnet ut etter",
                    columns=(Column("Regel", 30), Column("Verdi", 16)),
                    rows=tuple(doc.rules),
                ),
            ),
            level=2,
        ),
        Section(
            "Anbefaling per kommune",
            (main_table(doc), *(Paragraph(n, small=True) for n in _main_notes(doc))),
            landscape=True,
        ),
        Section("Regioner", (region_table(doc),), level=2, landscape=True),
        Section("Begrunnelse per kommune", (explanation_table(doc),)),
        Section("Overstyringer", override_blocks(doc)),
        Section("Kilder", (source_table(doc),)),
    ]
    status = "Endelig anbefaling" if doc.is_final else "Utkast, ikke endelig"
    return CaseText(
        county=doc.county,
        title=heading,
        kind="Saksframlegg",
        meta=(
            ("Saksbehandler", doc.prepared_by),
            ("Dato", fmt.long_date(doc.date)),
            ("Scenario", doc.title),
            ("Status", status),
        ),
        draft=None
        if doc.is_final
        else Alert(
            DRAFT,
            ("Dette er et utkast. Tallene er ikke fylkeskommunens endelige anbefaling.",),
        ),
        sections=tuple(sections),
        header=f"{doc.county} · Saksframlegg · {heading}",
        footer=f"{doc.county} · {fmt.long_date(doc.date)}",
        author=doc.prepared_by,
        language="nb-NO",
    )
