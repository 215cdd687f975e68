"""The letter to IMDi, worded: every fixed text of the letter, once in bokmål and once in nynorsk.

A county writes in the written standard it has adopted, so the letter is entirely one or the other. The two
phrase books below are the only place the letter's wording lives; keep them side by side when editing.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.documents import formatting as fmt
from survey_app.documents.blocks import Alert, Column, Table
from survey_app.documents.case import minors_asked, minors_total
from survey_app.documents.model import CaseDocument, printable

RECIPIENT = "Integrerings- og mangfoldsdirektoratet (IMDi)"


@dataclass(frozen=True)
class Phrases:
    language: str  # BCP 47
    our_reference: str
    your_reference: str
    date: str
    handler: str
    subject: str  # {year}
    draft: str
    draft_text: str
    recommend: str  # {total} {year} {minors}
    of_minors: str  # {minors}
    table_intro: str
    method: str  # {total}
    treated: str
    not_treated: str
    not_asked: str  # {year}
    number: str
    municipality: str
    recommended: str
    minors: str
    total: str
    caption: str  # {year}
    closing: str
    role: str
    letter: str  # the document kind, in the page footer and the file's metadata


BOKMAL = Phrases(
    language="nb-NO",
    our_reference="Vår referanse",
    your_reference="Deres referanse",
    date="Dato",
    handler="Saksbehandler",
    subject="Fylkeskommunens anbefaling om bosetting av flyktninger i {year}",
    draft="UTKAST",
    draft_text="Dette er et utkast til brev. Det er ikke sendt, og tallene er ikke endelige.",
    recommend=(
        "Vi anbefaler at IMDi anmoder kommunene i fylket om å bosette til sammen {total} flyktninger "
        "i {year}{minors}."
    ),
    of_minors=", herav {minors} enslige mindreårige",
    table_intro="Tabellen nedenfor viser tallet for hver kommune.",
    method=(
        "Anbefalingen tar utgangspunkt i hver kommunes anmodning fra i fjor, skalert med en felles faktor "
        "slik at summen blir {total}. Avvik fra dette grunnlaget følger av reglene som er beskrevet i "
        "saksframlegget, der tallet for hver kommune er begrunnet."
    ),
    treated=(
        "Anbefalingen er behandlet politisk i fylkeskommunen, og tallene i tabellen er vår endelige anbefaling."
    ),
    not_treated="Anbefalingen er ennå ikke ferdig behandlet politisk i fylkeskommunen.",
    not_asked="Vi anbefaler at kommuner med 0 i tabellen ikke anmodes om bosetting i {year}.",
    number="Kommunenummer",
    municipality="Kommune",
    recommended="Anbefalt",
    minors="Herav enslige mindreårige",
    total="Sum",
    caption="Anbefalt antall flyktninger å bosette per kommune i {year}",
    closing="Med vennlig hilsen",
    role="rådgiver",
    letter="Brev til IMDi",
)

NYNORSK = Phrases(
    language="nn-NO",
    our_reference="Vår referanse",
    your_reference="Dykkar referanse",
    date="Dato",
    handler="Saksbehandlar",
    subject="Fylkeskommunen si tilråding om busetjing av flyktningar i {year}",
    draft="UTKAST",
    draft_text="Dette er eit utkast til brev. Det er ikkje sendt, og tala er ikkje endelege.",
    recommend=(
        "Vi tilrår at IMDi oppmodar kommunane i fylket om å busetje til saman {total} flyktningar "
        "i {year}{minors}."
    ),
    of_minors=", av dei {minors} einslege mindreårige",
    table_intro="Tabellen nedanfor viser talet for kvar kommune.",
    method=(
        "Tilrådinga tek utgangspunkt i oppmodinga kvar kommune fekk i fjor, skalert med ein felles faktor "
        "slik at summen blir {total}. Avvik frå dette grunnlaget følgjer av reglane som er skildra i "
        "saksframlegget, der talet for kvar kommune er grunngjeve."
    ),
    treated=(
        "Tilrådinga er handsama politisk i fylkeskommunen, og tala i tabellen er den endelege tilrådinga vår."
    ),
    not_treated="Tilrådinga er enno ikkje ferdig handsama politisk i fylkeskommunen.",
    not_asked="Vi tilrår at kommunar med 0 i tabellen ikkje blir oppmoda om busetjing i {year}.",
    number="Kommunenummer",
    municipality="Kommune",
    recommended="Tilrådd",
    minors="Av dei einslege mindreårige",
    total="Sum",
    caption="Tilrådd tal på flyktningar å busetje per kommune i {year}",
    closing="Med venleg helsing",
    role="rådgivar",
    letter="Brev til IMDi",
)

PHRASES: dict[fmt.Malform, Phrases] = {"nb": BOKMAL, "nn": NYNORSK}


@dataclass(frozen=True)
class LetterText:
    """The letter's content, worded once for both renderers."""

    language: str
    county: str
    recipient: str
    references: tuple[tuple[str, str], ...]  # (label, value); blank values are for the archive to fill
    draft: Alert | None
    subject: str
    paragraphs: tuple[str, ...]  # the body, before the table
    table: Table
    closing: str
    signature: tuple[str, ...]
    footer: str


def letter_text(doc: CaseDocument) -> LetterText:
    """The letter to IMDi in the county's målform."""
    doc = printable(doc)
    p = PHRASES[doc.malform]
    with_minors = minors_asked(doc)
    total = fmt.integer(doc.total)
    minors = "" if doc.minors is None else p.of_minors.format(minors=fmt.integer(doc.minors))
    columns = [Column(p.number, 11), Column(p.municipality, 20), Column(p.recommended, 8, numeric=True)]
    if with_minors:
        columns.append(Column(p.minors, 12, numeric=True))

    def row(number: str, name: str, recommended: int, minors: int | None) -> tuple[str, ...]:
        cells = (number, name, fmt.integer(recommended))
        return (*cells, fmt.optional(minors)) if with_minors else cells

    sums: tuple[str, ...] = ("", p.total, fmt.integer(sum(line.recommended for line in doc.lines)))
    if with_minors:
        sums = (*sums, fmt.optional(minors_total(doc)))
    table = Table(
        caption=p.caption.format(year=doc.year),
        columns=tuple(columns),
        rows=tuple(row(line.kommunenummer, line.name, line.recommended, line.minors) for line in doc.lines),
        total=sums,
        row_header=False,
    )
    table_intro = p.table_intro
    if any(line.recommended == 0 for line in doc.lines):
        table_intro += " " + p.not_asked.format(year=doc.year)
    return LetterText(
        language=p.language,
        county=doc.county,
        recipient=RECIPIENT,
        references=(
            (p.our_reference, ""),
            (p.your_reference, ""),
            (p.handler, doc.prepared_by),
            (p.date, fmt.long_date(doc.date, doc.malform)),
        ),
        draft=None if doc.is_final else Alert(p.draft, (p.draft_text,)),
        subject=p.subject.format(year=doc.year),
        paragraphs=(
            p.recommend.format(total=total, year=doc.year, minors=minors),
            p.method.format(total=total),
            p.treated if doc.is_final else p.not_treated,
            table_intro,
        ),
        table=table,
        closing=p.closing,
        signature=(doc.prepared_by, p.role, doc.county),
        footer=f"{doc.county} · {p.letter} · {fmt.long_date(doc.date, doc.malform)}",
    )
