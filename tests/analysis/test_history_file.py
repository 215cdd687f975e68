"""Reading settlement history files (long and wide, CSV and XLSX) and mapping numbers across reforms."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from analysis.history_file import HistoryFileError, HistoryRecord, read_history
from analysis.kommunenummer import number_mapper, parse_region, read_successors
from survey_app.services.knowledge import SUCCESSORS_FILE

LONG = (
    "kommunenummer;kommune;år;anbefalt;anmodet;herav enslige mindreårige;vedtak;vedtak_ema;vedtak_gjelder;bosatt;bosatt_ema\n"
    "3001;Halden;2023;40;40;5;35;3;2023–2024;33;2\n"
    "3001;Halden;2024;30;30;;30;;2024;..;\n"
    "301;Oslo;2024;;-;;;;;;\n"
)


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def by_key(records: list[HistoryRecord]) -> dict[tuple[str, int], HistoryRecord]:
    return {(r.kommunenummer, r.year): r for r in records}


def test_long_csv_with_norwegian_headers_and_herav_after_its_measure() -> None:
    found = read_history(LONG.encode("utf-8"))
    assert found.layout == "lang"
    rows = by_key(found.records)
    first = rows[("3001", 2023)]
    assert (first.recommended, first.requested, first.requested_minors) == (40, 40, 5)
    assert (first.decided, first.decided_minors, first.decision_years) == (35, 3, "2023–2024")
    assert (first.settled, first.settled_minors, first.row) == (33, 2, 2)
    # «..» and blank are unknown (None), a dash is zero; Excel's «301» is Oslo's 0301.
    assert rows[("3001", 2024)].settled is None and rows[("3001", 2024)].requested_minors is None
    assert rows[("0301", 2024)].requested == 0
    assert rows[("3001", 2024)].given() == {
        "recommended": 30,
        "requested": 30,
        "decided": 30,
        "decision_years": "2024",
    }


def test_windows_1252_with_comma_separators_decimal_comma_and_3001_halden() -> None:
    text = 'Kommune,Aar,Anmodning,Vedtak,Bosatte\n3001 Halden,2022,"55,0",50,48\n3042 Hemsedal,2022,10,10,9\n'
    rows = by_key(read_history(text.encode("cp1252")).records)
    assert rows[("3001", 2022)].name == "Halden" and rows[("3001", 2022)].requested == 55
    assert rows[("3042", 2022)].settled == 9


def test_wide_form_as_imdi_publishes_it_with_a_title_and_a_sum_row() -> None:
    text = (
        "Bosetting av flyktninger i Viken\n"
        "Kommune;Anmodning 2023;Anmodning 2023 herav EMA;Vedtak 2023;Bosatte 2022;Anmodet om 2024;Merknad\n"
        "3024 Bærum (2020-2023);120;10;100;95;80;se vedtak\n"
        "Sum;120;10;100;95;80;\n"
    )
    found = read_history(text.encode("utf-8"))
    assert found.layout == "bred" and found.skipped_rows == [4] and found.ignored_columns == ["Merknad"]
    rows = by_key(found.records)
    assert set(rows) == {("3024", 2022), ("3024", 2023), ("3024", 2024)}
    assert rows[("3024", 2023)].given() == {"requested": 120, "requested_minors": 10, "decided": 100}
    assert rows[("3024", 2022)].given() == {"settled": 95}
    assert rows[("3024", 2024)].requested == 80 and rows[("3024", 2024)].name == "Bærum"


def test_an_included_ema_is_the_total_not_the_minors() -> None:
    text = "kommunenummer;år;anmodning (inkl. EMA)\n3005;2024;50\n"
    assert read_history(text.encode()).records[0].requested == 50


def test_xlsx_long_and_wide() -> None:
    long = xlsx([["kommunenummer", "kommune", "år", "vedtak", "bosatt"], [3005, "Drammen", 2024, 60.0, 58]])
    assert by_key(read_history(long).records)[("3005", 2024)].given() == {"decided": 60, "settled": 58}
    wide = xlsx(
        [["Rapport fra fylket"], [], ["Kommune", "Vedtak 2025", "Bosatt 2025"], ["3049 Lier", 20, None]]
    )
    record = read_history(wide).records[0]
    assert (record.kommunenummer, record.year, record.decided, record.settled, record.row) == (
        "3049",
        2025,
        20,
        None,
        4,
    )


def test_every_problem_is_listed_with_its_row_number() -> None:
    text = (
        "kommunenummer;år;anmodning;vedtak;vedtak_gjelder\n"
        "3001;2023;40;35;2023\n"
        "3002;2023;20;ti;\n"
        "3003;20x;10;10;\n"
        "Halden;2023;1;1;\n"
        "3001;2023;5;5;\n"
        "3004;2024;-5;5;2025 til 2026\n"
    )
    with pytest.raises(HistoryFileError) as caught:
        read_history(text.encode())
    assert caught.value.problems == [
        "Rad 3: vedtak «ti» er ikke et helt tall.",
        "Rad 4: år «20x» er ikke et årstall (for eksempel 2024).",
        "Rad 5: finner ikke kommunenummeret i «Halden». Skriv det som «3001 Halden», eller ha en egen kolonne "
        "kommunenummer med fire sifre.",
        "Rad 6: kommune 3001 for 2023 står også på rad 2.",
        "Rad 7: anmodning «-5» er ikke et helt tall.",
        "Rad 7: vedtak_gjelder «2025 til 2026» er ikke et år eller en periode (for eksempel 2025 eller 2025–2026).",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("navn;tall\nHalden;3\n", "Fant ingen overskriftsrad"),
        ("kommune;vedtak\n3001 Halden;3\n", "kolonnen «vedtak» mangler år"),
        ("", "Filen er tom."),
        ("kommunenummer;år;vedtak\n", "Filen har ingen rader med tall."),
    ],
)
def test_files_that_cannot_be_read_say_why(text: str, expected: str) -> None:
    with pytest.raises(HistoryFileError) as caught:
        read_history(text.encode())
    assert expected in caught.value.problems[0]


def test_a_broken_xlsx_is_an_error_not_a_crash() -> None:
    with pytest.raises(HistoryFileError) as caught:
        read_history(b"PK\x03\x04 not really a workbook")
    assert "Excel-ark" in caught.value.problems[0]


def test_regions_as_statbank_and_imdi_write_them() -> None:
    assert parse_region("3001 Halden (2020-2023)") == parse_region("K-3001 Halden")
    region = parse_region("K-3001 Halden")
    assert region is not None and (region.kommunenummer, region.name, region.is_municipality) == (
        "3001",
        "Halden",
        True,
    )
    county = parse_region("30 Viken (2020-2023)")
    assert county is not None and not county.is_municipality
    assert parse_region("Hele landet") is None


def test_numbers_map_both_ways_across_the_2024_reform() -> None:
    successors = read_successors(SUCCESSORS_FILE.read_text(encoding="utf-8"))
    assert successors["3001"] == "3101" and len(successors) == 51
    to_2020 = number_mapper(register={"3001", "3024"}, successors=successors)
    assert to_2020("3101") == "3001" and to_2020("3201") == "3024" and to_2020("3001") == "3001"
    assert to_2020("0301") is None and to_2020("3103") is None  # Oslo, and Moss (not in this register)
    to_2024 = number_mapper(register={"3101"}, successors=successors)
    assert to_2024("3001") == "3101"


def test_a_merger_is_followed_forwards_and_never_split_backwards() -> None:
    # 0211 Vestby → 3019 → 3216; 0213 Ski and 0217 Oppegård → 3020 Nordre Follo.
    successors = {"0211": "3019", "3019": "3216", "0213": "3020", "0217": "3020"}
    mapper = number_mapper(register={"3216", "0213"}, successors=successors)
    assert mapper("0211") == "3216"  # two steps forwards
    assert mapper("3020") is None  # Nordre Follo is not Ski alone
    assert number_mapper(register={"0211"}, successors=successors)("3216") == "0211"


HEADERS = [
    "kommunenummer",
    "kommune",
    "år",
    "vedtak",
    "Anmodning 2024",
    "herav EMA",
    "bosatt",
    "vedtak_gjelder",
    "",
]
CELLS = [
    "3001",
    "3001 Halden",
    "301",
    "2024",
    "..",
    "-",
    "ti",
    "12,5",
    "",
    "2025–2026",
    "Sum",
    "30 Viken",
    '"',
    "ø",
]


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6),
    rows=st.lists(st.lists(st.sampled_from(CELLS) | st.text(max_size=8), max_size=7), max_size=6),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_any_table_gives_records_or_norwegian_problems(
    header: list[str], rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    try:
        found = read_history(text.encode(encoding, errors="replace"))
    except HistoryFileError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
    else:
        assert all(len(r.kommunenummer) == 4 and 1900 <= r.year <= 2099 for r in found.records)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_in_norwegian(data: bytes) -> None:
    try:
        read_history(data)
    except HistoryFileError as error:
        assert error.problems
