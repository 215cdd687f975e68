"""The case documents: the saksframlegg and the letter to IMDi, as DOCX and PDF, read back as a reader would.

No database: each test builds a ``CaseDocument`` for Viken's 51 municipalities (synthetic, plausible numbers),
renders it, and opens the bytes with python-docx or pypdf.
"""

from __future__ import annotations

import dataclasses
import io
import re
import socket
from datetime import UTC, date, datetime
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from survey_app.documents import (
    CaseDocument,
    MunicipalityLine,
    OverrideLine,
    RegionLine,
    SourceLine,
    letter_docx,
    letter_pdf,
    saksframlegg_docx,
    saksframlegg_pdf,
)
from survey_app.documents import formatting as fmt
from survey_app.documents import pdf as pdf_module

# kommunenummer, name, region (first regional council where there are two; blank: none), inhabitants
VIKEN = """
3001 Halden | Søndre Viken | 31444
3002 Moss | Mosseregionen | 50290
3003 Sarpsborg | Søndre Viken | 58116
3004 Fredrikstad | Søndre Viken | 83892
3005 Drammen | Drammensregionen | 102273
3006 Kongsberg | Kongsbergregionen | 27984
3007 Ringerike | Ringeriksregionen | 31329
3011 Hvaler | Søndre Viken | 4752
3012 Aremark | | 1330
3013 Marker | Indre Østfold regionråd | 3571
3014 Indre Østfold | Indre Østfold regionråd | 45737
3015 Skiptvet | Indre Østfold regionråd | 3896
3016 Rakkestad | Indre Østfold regionråd | 8333
3017 Råde | Mosseregionen | 7619
3018 Våler (Viken) | Mosseregionen | 5829
3019 Vestby | Folloregionen | 18496
3020 Nordre Follo | Folloregionen | 61287
3021 Ås | Folloregionen | 21337
3022 Frogn | Folloregionen | 16207
3023 Nesodden | Folloregionen | 20208
3024 Bærum | | 128233
3025 Asker | | 95411
3026 Aurskog-Høland | Nedre Romerike (SNR) | 17619
3027 Rælingen | Nedre Romerike (SNR) | 18876
3028 Enebakk | Folloregionen | 11160
3029 Lørenskog | Nedre Romerike (SNR) | 46846
3030 Lillestrøm | Nedre Romerike (SNR) | 89360
3031 Nittedal | Nedre Romerike (SNR) | 25153
3032 Gjerdrum | Gardermoregionen (Øvre Romerike) | 7079
3033 Ullensaker | Gardermoregionen (Øvre Romerike) | 41128
3034 Nes | Gardermoregionen (Øvre Romerike) | 23573
3035 Eidsvoll | Gardermoregionen (Øvre Romerike) | 26323
3036 Nannestad | Gardermoregionen (Øvre Romerike) | 15192
3037 Hurdal | Gardermoregionen (Øvre Romerike) | 2857
3038 Hole | Ringeriksregionen | 6936
3039 Flå | Hallingdal | 1047
3040 Nesbyen | Hallingdal | 3292
3041 Gol | Hallingdal | 4636
3042 Hemsedal | Hallingdal | 2555
3043 Ål | Hallingdal | 4691
3044 Hol | Hallingdal | 4491
3045 Sigdal | Kongsbergregionen | 3493
3046 Krødsherad | Ringeriksregionen | 2283
3047 Modum | Ringeriksregionen | 14566
3048 Øvre Eiker | Drammensregionen | 20118
3049 Lier | Drammensregionen | 27323
3050 Flesberg | Kongsbergregionen | 2731
3051 Rollag | Kongsbergregionen | 1393
3052 Nore og Uvdal | Kongsbergregionen | 2432
3053 Jevnaker | Ringeriksregionen | 7022
3054 Lunner | Hadeland | 9226
"""

YEAR = 2026
NO_COUNCIL = "Uten regionråd"
OVERRIDES = {
    "3042": (14, "Kommunestyret i Hemsedal har vedtatt 14 for 2026 og har ledige boliger i sentrum."),
    "3005": (
        90,
        "Drammen har bedt om et lavere tall mens nytt introduksjonssenter bygges; avtalt i dialogmøte.",
    ),
}
WARNING = (
    "Integreringsindeksen fra kommuneundersøkelsen har fått vekt 10 % i dette scenarioet. Når svarene "
    "påvirker tallet, kan kommunene få grunn til å svare taktisk."
)


def _municipalities() -> list[tuple[str, str, str, int]]:
    rows = []
    for line in VIKEN.strip().splitlines():
        head, region, people = (part.strip() for part in line.split("|"))
        number, name = head.split(" ", 1)
        rows.append((number, name, region or NO_COUNCIL, int(people)))
    return rows


def case_document(**changes: Any) -> CaseDocument:
    """A plausible recommendation: last year about 0.9 per 1 000 inhabitants (0 below 2 000, else at least
    10), this year 12 % more, shared by largest remainder of the baseline, with two overrides."""
    rows = _municipalities()
    last = {n: (0 if people < 2000 else max(10, round(people * 0.0009))) for n, _, _, people in rows}
    last_total = sum(last.values())
    total = round(last_total * 1.12)
    factor = total / last_total
    baseline = {n: last[n] * factor for n in last}
    recommended = {n: int(baseline[n]) for n in last}
    for n, (number, _) in OVERRIDES.items():
        recommended[n] = number
    free = [n for n in last if n not in OVERRIDES and last[n] > 0]
    rest = total - sum(recommended.values())
    step = 1 if rest > 0 else -1
    by_remainder = sorted(free, key=lambda n: (-(baseline[n] % 1), n) if step > 0 else (baseline[n] % 1, n))
    for n in by_remainder[: abs(rest)]:
        recommended[n] += step
    assert sum(recommended.values()) == total
    minors = {n: (recommended[n] // 12 if recommended[n] >= 36 else None) for n in last}

    lines = []
    for index, (number, name, region, people) in enumerate(rows):
        change = recommended[number] - last[number]
        decision = None if index % 7 == 3 else last[number] + (5 if index % 3 == 0 else 0)
        settled = tuple(
            (year, None if (index + year) % 11 == 0 else max(0, last[number] - 2 + (index + year) % 5))
            for year in (YEAR - 3, YEAR - 2, YEAR - 1)
        )
        if number in OVERRIDES:
            explanation = (
                f"Anbefalt {recommended[number]}, satt manuelt av fylkeskommunen: {OVERRIDES[number][1]}"
            )
        elif last[number] == 0:
            explanation = f"Anbefalt 0: {name} ble ikke anmodet i fjor og har under 2 000 innbyggere."
        else:
            explanation = (
                f"Anbefalt {recommended[number]}, {fmt.signed(change)} fra fjorårets anmodning ({last[number]}). "
                f"Grunnlaget for {name} er {fmt.decimal1(baseline[number])}, fjorårets anmodning ganget med "
                f"den felles faktoren; tallet er rundet slik at summen blir {fmt.integer(total)}."
            )
        lines.append(
            MunicipalityLine(
                kommunenummer=number,
                name=name,
                region=region,
                last_request=last[number],
                baseline=baseline[number],
                recommended=recommended[number],
                change=change,
                per_1000=None if number == "3054" else recommended[number] / people * 1000,
                decision=decision,
                settled=settled,
                minors=minors[number],
                explanation=explanation,
            )
        )
    regions: dict[str, list[MunicipalityLine]] = {}
    for line in lines:
        regions.setdefault(line.region, []).append(line)
    values: dict[str, Any] = {
        "county": "Viken fylkeskommune",
        "title": "Hovedscenario etter dialogmøtene",
        "year": YEAR,
        "total": total,
        "minors": sum(m for m in minors.values() if m is not None),
        "last_total": last_total,
        "factor": factor,
        "method": (
            "Utgangspunktet er hver kommunes anmodning fra i fjor. Den skaleres med en felles faktor, totalen "
            "delt på summen av fjorårets anmodninger, slik at alle kommuner endres like mye i prosent.",
            "Tallene rundes til hele tall med største rest-metoden, slik at summen blir nøyaktig totalen. "
            "Kommunestyrets vedtak er et tak, og fjorårets anmodning er et gulv.",
        ),
        "rules": (
            ("Kommunestyrets vedtak er taket", "ja"),
            ("Fjorårets anmodning er gulvet (om ikke vedtaket er lavere)", "ja"),
            ("Minstetall for en kommune som anmodes", "10"),
            ("Største endring fra i fjor", "20 % av fjorårets anmodning"),
            ("Kriterium: Integreringsindeks (integreringsindeks)", "vekt 10 %, høyt er best"),
        ),
        "lines": tuple(lines),
        "regions": tuple(
            RegionLine(
                name=name,
                last_request=sum(m.last_request for m in members),
                recommended=sum(m.recommended for m in members),
                change=sum(m.change for m in members),
            )
            for name, members in sorted(regions.items())
        ),
        "overrides": (
            OverrideLine(
                "3042",
                "Hemsedal",
                14,
                OVERRIDES["3042"][1],
                "Kari Nordmann",
                datetime(2026, 2, 3, 9, 15, tzinfo=UTC),
            ),
            OverrideLine(
                "3005",
                "Drammen",
                90,
                OVERRIDES["3005"][1],
                "Ola Hansen",
                datetime(2026, 2, 10, 13, 40, tzinfo=UTC),
            ),
        ),
        "sources": (
            SourceLine(
                "Anmodninger 2025", "IMDis anmodninger til kommunene for 2025, fra imdi.no", date(2025, 1, 20)
            ),
            SourceLine(
                "Kommunestyrevedtak",
                "Vedtak om bosetting i 2026, innhentet fra kommunene",
                date(2025, 12, 15),
            ),
            SourceLine("Folketall", "SSB tabell 07459, folkemengde 1. januar 2025", date(2025, 2, 21)),
            SourceLine("Bosatte flyktninger", "IMDis tall for bosatte per kommune 2023–2025", None),
        ),
        "warnings": (WARNING,),
        "malform": "nb",
        "prepared_by": "Kari Nordmann",
        "date": date(2026, 3, 4),
        "is_final": True,
    }
    values.update(changes)
    return CaseDocument(**values)


@pytest.fixture(scope="module")
def case() -> CaseDocument:
    return case_document()


@pytest.fixture(scope="module")
def draft() -> CaseDocument:
    return case_document(is_final=False)


# --- reading the files back -------------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """Every piece of text in the file (body, tables, headers and footers), whitespace made plain."""
    document = docx.Document(io.BytesIO(data))
    parts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in document.element.body.iter(qn("w:p"))]
    for section in document.sections:
        for part in (section.header, section.footer):
            parts.extend(p.text for p in part.paragraphs)
    return plain(" ".join(parts))


def docx_paragraphs(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [plain(p.text) for p in document.paragraphs]


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, plain(" ".join(page.extract_text() for page in reader.pages))


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def table_by_header(data: bytes, first_cells: tuple[str, ...]) -> list[list[str]]:
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        rows = [[plain(c.text) for c in row.cells] for row in table.rows]
        if tuple(rows[0][: len(first_cells)]) == first_cells:
            return rows
    raise AssertionError(f"no table starts with {first_cells}")


# --- formatting ------------------------------------------------------------------------------------


def test_numbers_and_dates_are_norwegian() -> None:
    assert fmt.integer(12345) == "12\u00a0345"
    assert fmt.integer(-7) == "\u22127"
    assert fmt.signed(5) == "+5" and fmt.signed(-5) == "\u22125" and fmt.signed(0) == "±0"
    assert fmt.decimal1(3.456) == "3,5" and fmt.decimal1(12) == "12,0"
    assert fmt.optional(None) == "–" and fmt.optional1(None) == "–"
    assert fmt.factor(1.12) == "1,120"
    assert fmt.long_date(date(2026, 3, 4)) == "4. mars 2026"
    assert fmt.long_date(date(2026, 1, 4), "nn") == "4. januar 2026"
    assert fmt.moment(datetime(2026, 2, 3, 9, 15, tzinfo=UTC)) == "3.\u00a0februar 2026 kl.\u00a010:15"


# --- the saksframlegg as DOCX ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_docx(case: CaseDocument) -> bytes:
    return saksframlegg_docx(case)


def test_docx_holds_title_total_proposal_and_sections(case: CaseDocument, case_docx: bytes) -> None:
    text = docx_text(case_docx)
    total = fmt.integer(case.total).replace("\u00a0", " ")
    assert "Anbefaling til IMDi om bosetting av flyktninger i 2026" in text
    assert f"til sammen {total} personer, herav {case.minors} enslige mindreårige" in text
    assert f"= {fmt.factor(case.factor)}" in text
    assert WARNING in text
    paragraphs = docx_paragraphs(case_docx)
    for heading in (
        "Saken gjelder",
        "Forslag til vedtak",
        "Bakgrunn",
        "Metode",
        "Reglene som er brukt",
        "Anbefaling per kommune",
        "Regioner",
        "Begrunnelse per kommune",
        "Overstyringer",
        "Kilder",
    ):
        assert heading in paragraphs, heading
    for paragraph in case.method:
        assert paragraph in text


def test_docx_main_table_has_each_municipality_with_its_numbers(case: CaseDocument, case_docx: bytes) -> None:
    rows = table_by_header(case_docx, ("Nr.", "Kommune", "Region", "Anmodet i fjor"))
    header = rows[0]
    assert header[-3:] == ["Bosatt 2023", "Bosatt 2024", "Bosatt 2025"]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:-1]}
    assert len(by_number) == 51
    for line in case.lines:
        row = by_number[line.kommunenummer]
        assert row["Kommune"] == line.name
        assert row["Region"] == line.region
        assert row["Anmodet i fjor"] == str(line.last_request)
        assert row["Grunnlag"] == fmt.decimal1(line.baseline)
        assert row["Anbefalt"] == fmt.integer(line.recommended).replace("\u00a0", " ")
        assert row["Endring"] == fmt.signed(line.change)
        assert row["Per 1 000 innb."] == fmt.optional1(line.per_1000)
        assert row["Vedtak"] == fmt.optional(line.decision)
        assert row["Herav EM"] == fmt.optional(line.minors)
        for year, settled in line.settled:
            assert row[f"Bosatt {year}"] == fmt.optional(settled)
    drammen = by_number["3005"]
    assert drammen["Anbefalt"] == "90" and drammen["Endring"].startswith("\u2212")
    hemsedal = by_number["3042"]
    assert hemsedal["Endring"] == "+4" and hemsedal["Per 1 000 innb."] == "5,5"
    assert by_number["3054"]["Per 1 000 innb."] == "–"
    total = rows[-1]
    assert total[1] == "Sum" and total[5] == fmt.integer(case.total).replace("\u00a0", " ")


def test_docx_regions_explanations_overrides_and_sources(case: CaseDocument, case_docx: bytes) -> None:
    regions = table_by_header(case_docx, ("Region", "Anmodet i fjor", "Anbefalt", "Endring"))
    assert {row[0] for row in regions[1:-1]} == {r.name for r in case.regions}
    hallingdal = next(r for r in case.regions if r.name == "Hallingdal")
    assert [
        "Hallingdal",
        str(hallingdal.last_request),
        str(hallingdal.recommended),
        fmt.signed(hallingdal.change),
    ] in regions

    explanations = table_by_header(case_docx, ("Kommune", "Anbefalt", "Begrunnelse"))
    assert len(explanations) == 52
    for line in case.lines:
        assert [
            f"{line.name} ({line.kommunenummer})",
            fmt.integer(line.recommended).replace("\u00a0", " "),
            plain(line.explanation),
        ] in explanations

    overrides = table_by_header(case_docx, ("Kommune", "Antall", "Begrunnelse", "Satt av", "Tidspunkt"))
    assert overrides[1] == [
        "Hemsedal (3042)",
        "14",
        OVERRIDES["3042"][1],
        "Kari Nordmann",
        "3. februar 2026 kl. 10:15",
    ]
    assert overrides[2][2] == OVERRIDES["3005"][1]

    sources = table_by_header(case_docx, ("Kilde", "Beskrivelse", "Dato"))
    assert ["Folketall", "SSB tabell 07459, folkemengde 1. januar 2025", "21. februar 2025"] in sources
    assert ["Bosatte flyktninger", "IMDis tall for bosatte per kommune 2023–2025", "ukjent dato"] in sources


def test_docx_without_overrides_says_none() -> None:
    data = saksframlegg_docx(case_document(overrides=()))
    paragraphs = docx_paragraphs(data)
    at = paragraphs.index("Overstyringer")
    assert paragraphs[at + 1].startswith("Ingen")


def test_docx_is_a_real_word_document(case: CaseDocument, case_docx: bytes) -> None:
    document = docx.Document(io.BytesIO(case_docx))
    props = document.core_properties
    assert props.title == "Anbefaling til IMDi om bosetting av flyktninger i 2026"
    assert props.author == "Kari Nordmann" and props.language == "nb-NO"
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Heading 2"} <= styles
    main = next(t for t in document.tables if t.rows[0].cells[0].text == "Nr.")
    assert main._tbl.tblPr.find(qn("w:tblBorders")) is not None
    assert main.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert main.style.name == "Table Grid"
    orientations = [s.page_width > s.page_height for s in document.sections]
    assert orientations == [False, True, False]
    assert all(
        abs(s.page_width.mm - (297 if wide else 210)) < 1
        for s, wide in zip(document.sections, orientations, strict=True)
    )
    footer = document.sections[0].footer._element.xml
    assert "NUMPAGES" in footer and " PAGE " in footer
    lang = (
        document.styles.element.find(qn("w:docDefaults"))
        .find(qn("w:rPrDefault"))
        .find(qn("w:rPr"))
        .find(qn("w:lang"))
    )
    assert lang.get(qn("w:val")) == "nb-NO"


def test_docx_says_utkast_only_when_not_final(case: CaseDocument, draft: CaseDocument) -> None:
    final_text = docx_text(saksframlegg_docx(case))
    draft_data = saksframlegg_docx(draft)
    draft_text = docx_text(draft_data)
    assert "UTKAST" not in final_text and "Endelig anbefaling" in final_text
    assert "UTKAST" in draft_text and "Dette er et utkast" in draft_text
    header = docx.Document(io.BytesIO(draft_data)).sections[0].header.paragraphs[0].text
    assert header.startswith("UTKAST")


def test_docx_without_minors_has_no_minors_column() -> None:
    lines = tuple(dataclasses.replace(line, minors=None) for line in case_document().lines)
    data = saksframlegg_docx(case_document(minors=None, lines=lines))
    header = table_by_header(data, ("Nr.", "Kommune"))[0]
    assert "Herav EM" not in header
    assert "enslige mindreårige" not in docx_text(data)


# --- the saksframlegg as PDF -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_pdf(case: CaseDocument) -> bytes:
    return saksframlegg_pdf(case)


def test_pdf_holds_the_same_key_facts(case: CaseDocument, case_pdf: bytes) -> None:
    reader, text = pdf_text(case_pdf)
    assert len(reader.pages) >= 2
    assert "Anbefaling til IMDi om bosetting av flyktninger i 2026" in text
    assert f"til sammen {fmt.integer(case.total).replace(chr(160), ' ')} personer" in text
    hemsedal = next(line for line in case.lines if line.kommunenummer == "3042")
    assert f"3042 Hemsedal Hallingdal {hemsedal.last_request} {fmt.decimal1(hemsedal.baseline)} 14 " in text
    assert "Folketall SSB tabell 07459, folkemengde 1. januar 2025 21. februar 2025" in text
    assert OVERRIDES["3005"][1] in text
    assert WARNING in text
    assert "UTKAST" not in text
    assert f"Side 1 av {len(reader.pages)}" in text


def test_pdf_turns_the_pages_of_the_wide_table(case_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(case_pdf))
    wide = [float(page.mediabox.width) > float(page.mediabox.height) for page in reader.pages]
    assert not wide[0] and any(wide) and not wide[-1]
    first_wide = wide.index(True)
    assert "Anbefaling per kommune" in reader.pages[first_wide].extract_text()
    # The header row is repeated on each turned page of the table.
    for index, is_wide in enumerate(wide):
        if is_wide and "3054" not in reader.pages[index - 1].extract_text():
            assert "Anmodet i fjor" in plain(reader.pages[index].extract_text())


def test_pdf_draft_says_utkast(draft: CaseDocument) -> None:
    reader, text = pdf_text(saksframlegg_pdf(draft))
    assert "UTKAST" in text and "Dette er et utkast" in text
    assert all("UTKAST" in page.extract_text() for page in reader.pages)


def test_pdf_metadata(case_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(case_pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "Anbefaling til IMDi om bosetting av flyktninger i 2026"
    assert reader.metadata.author == "Kari Nordmann"
    root = reader.trailer["/Root"]
    # Tagged, with its language, so a screen reader reads the tables as tables and in Norwegian.
    assert root["/Lang"] == "nb-NO" and "/StructTreeRoot" in root


# --- the letter ------------------------------------------------------------------------------------

NYNORSK_PHRASES = (
    "Vi tilrår",
    "kommunane",
    "busetjing",
    "flyktningar",
    "Dykkar referanse",
    "Med venleg helsing",
    "einslege mindreårige",
)
BOKMAL_ONLY = (
    "ikke",
    "anbefaling",
    "anbefaler",
    "bosetting",
    "kommunene",
    "flyktninger",
    "hilsen",
    "herav",
    "enslige",
    "Deres",
    "hver",
    "fra",
    "tallet",
)
BOKMAL_PHRASES = (
    "Vi anbefaler",
    "kommunene",
    "bosetting",
    "flyktninger",
    "Deres referanse",
    "Med vennlig hilsen",
    "enslige mindreårige",
)
NYNORSK_ONLY = (
    "ikkje",
    "tilråding",
    "tilrår",
    "busetjing",
    "kommunane",
    "flyktningar",
    "helsing",
    "einslege",
    "Dykkar",
    "kvar",
    "frå",
    "talet",
)


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÆØÅæøå]+", text)}


@pytest.mark.parametrize("render", [letter_docx, letter_pdf], ids=["docx", "pdf"])
def test_nynorsk_letter_is_entirely_nynorsk(render: Any) -> None:
    data = render(case_document(malform="nn", is_final=False))
    text = docx_text(data) if data[:2] == b"PK" else pdf_text(data)[1]
    for phrase in NYNORSK_PHRASES:
        assert phrase in text, phrase
    assert "Fylkeskommunen si tilråding om busetjing av flyktningar i 2026" in text
    assert "Dette er eit utkast" in text and "UTKAST" in text
    assert not {w.lower() for w in BOKMAL_ONLY} & words(text)


@pytest.mark.parametrize("render", [letter_docx, letter_pdf], ids=["docx", "pdf"])
def test_bokmal_letter_is_entirely_bokmal(render: Any, case: CaseDocument) -> None:
    data = render(case)
    text = docx_text(data) if data[:2] == b"PK" else pdf_text(data)[1]
    for phrase in BOKMAL_PHRASES:
        assert phrase in text, phrase
    assert "Fylkeskommunens anbefaling om bosetting av flyktninger i 2026" in text
    assert "UTKAST" not in text
    assert not {w.lower() for w in NYNORSK_ONLY} & words(text)


def test_letter_docx_table_and_sum(case: CaseDocument) -> None:
    data = letter_docx(case)
    rows = table_by_header(data, ("Kommunenummer", "Kommune", "Anbefalt", "Herav enslige mindreårige"))
    assert len(rows) == 53
    assert ["3042", "Hemsedal", "14", "–"] in rows
    assert rows[-1] == ["", "Sum", fmt.integer(case.total).replace("\u00a0", " "), str(case.minors)]
    text = docx_text(data)
    assert "Integrerings- og mangfoldsdirektoratet (IMDi)" in text
    assert "Vår referanse" in text and "4. mars 2026" in text
    assert "Kari Nordmann" in text and "Viken fylkeskommune" in text
    assert "anmodes om bosetting i 2026" in text  # three small municipalities are not asked
    document = docx.Document(io.BytesIO(data))
    assert document.core_properties.language == "nb-NO"


def test_letter_in_nynorsk_declares_its_language_and_drops_minors_when_not_asked() -> None:
    lines = tuple(dataclasses.replace(line, minors=None) for line in case_document().lines)
    data = letter_docx(case_document(malform="nn", minors=None, lines=lines))
    assert docx.Document(io.BytesIO(data)).core_properties.language == "nn-NO"
    header = table_by_header(data, ("Kommunenummer", "Kommune", "Tilrådd"))[0]
    assert header == ["Kommunenummer", "Kommune", "Tilrådd"]
    assert "av dei" not in docx_text(data)


def test_letter_pdf_opens(case: CaseDocument) -> None:
    reader, text = pdf_text(letter_pdf(case))
    assert len(reader.pages) >= 1
    assert "3042 Hemsedal 14" in text and "Med vennlig hilsen Kari Nordmann rådgiver" in text
    assert (
        reader.metadata is not None
        and reader.metadata.title == "Fylkeskommunens anbefaling om bosetting av flyktninger i 2026"
    )


# --- nothing is fetched ----------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a socket is recorded and fails, so a fetch cannot succeed by accident."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_the_fetcher_refuses_every_url(no_network: list[object]) -> None:
    fetcher = pdf_module.RefusingFetcher()
    html = """<!DOCTYPE html><html lang="nb"><head>
      <link rel="stylesheet" href="https://example.org/style.css">
      <style>@import url("http://example.org/more.css"); body { background: url(http://example.org/bg.png) }
      @font-face { font-family: Web; src: url(https://fonts.example.org/web.woff2) }</style>
      </head><body><p style="font-family: Web">Tekst</p><img src="http://example.org/logo.png" alt="logo">
      <img src="file:///etc/hostname" alt="fil"></body></html>"""
    data = pdf_module.html_to_pdf(html, fetcher=fetcher)
    assert data.startswith(b"%PDF")
    assert {
        "https://example.org/style.css",
        "http://example.org/more.css",
        "http://example.org/logo.png",
        "file:///etc/hostname",
    } <= set(fetcher.refused)
    assert no_network == []
    with pytest.raises(ValueError):
        fetcher.fetch("https://example.org/")


def test_text_with_markup_is_printed_not_fetched(
    monkeypatch: pytest.MonkeyPatch, no_network: list[object]
) -> None:
    refused: list[str] = []

    def record(self: object, url: str, headers: object = None) -> None:
        refused.append(url)
        raise ValueError(url)

    monkeypatch.setattr(pdf_module.RefusingFetcher, "fetch", record)
    first, *rest = case_document().lines
    sneaky = dataclasses.replace(first, explanation='Se <img src="http://example.org/x.png"> for mer.')
    text = pdf_text(saksframlegg_pdf(case_document(lines=(sneaky, *rest))))[1]
    assert '<img src="http://example.org/x.png">' in text
    assert refused == [] and no_network == []


def test_text_pasted_from_word_renders() -> None:
    """A manual line break from Word (vertical tab) and other control characters cannot go into XML."""
    first, *rest = case_document().lines
    pasted = dataclasses.replace(first, explanation="Første linje\x0bandre linje\x00.")
    override = dataclasses.replace(case_document().overrides[0], reason="Vedtak\x0bi februar")
    doc = case_document(lines=(pasted, *rest), overrides=(override,))
    assert "Første linje andre linje." in docx_text(saksframlegg_docx(doc))
    assert "Vedtak i februar" in pdf_text(saksframlegg_pdf(doc))[1]
