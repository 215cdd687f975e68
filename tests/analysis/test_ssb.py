"""Reading SSB statbank downloads: its semicolon CSV and JSON-stat (checked against pyjstat)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ssb import StatbankError, StatTable, read_jsonstat, read_statbank

# As statbank writes «semikolonseparert med overskrift»: a title, a blank line, quoted cells, Windows-1252.
STATBANK_CSV = (
    "07459: Befolkning, etter region, statistikkvariabel og år\r\n"
    "\r\n"
    '"region";"07459: Personer 2023";"07459: Personer 2024"\r\n'
    '"30 Viken (2020-2023)";1271256;".."\r\n'
    '"3001 Halden (2020-2023)";31444;".."\r\n'
    '"3024 Bærum (2020-2023)";129780;".."\r\n'
    '"3101 Halden";"..";31809\r\n'
)

# The shape of a statbank JSON-stat 2 answer (API and «JSON-stat2» download) for table 07459.
JSONSTAT: dict[str, Any] = {
    "class": "dataset",
    "label": "07459: Befolkning, etter region, statistikkvariabel og år",
    "source": "Statistisk sentralbyrå",
    "updated": "2024-02-21T07:00:00Z",
    "note": ["Befolkning per 1. januar."],
    "role": {"time": ["Tid"], "metric": ["ContentsCode"], "geo": ["Region"]},
    "version": "2.0",
    "extension": {"px": {"infofile": "None", "tableid": "07459", "decimals": 0, "language": "no"}},
    "id": ["Region", "ContentsCode", "Tid"],
    "size": [3, 1, 2],
    "dimension": {
        "Region": {
            "extension": {"show": "value"},
            "label": "region",
            "category": {
                "index": {"3001": 0, "3042": 1, "30": 2},
                "label": {
                    "3001": "Halden (2020-2023)",
                    "3042": "Hemsedal (2020-2023)",
                    "30": "Viken (2020-2023)",
                },
            },
        },
        "ContentsCode": {
            "label": "statistikkvariabel",
            "category": {
                "index": {"Personer1": 0},
                "label": {"Personer1": "Personer"},
                "unit": {"Personer1": {"base": "personer", "decimals": 0}},
            },
        },
        "Tid": {
            "label": "år",
            "category": {"index": {"2022": 0, "2023": 1}, "label": {"2022": "2022", "2023": "2023"}},
        },
    },
    "value": [31270, 31444, 2531, None, 1262339, 1271256],
    "status": {"3": ".."},
}


def values(table: StatTable) -> dict[tuple[str, int], float]:
    return {(v.kommunenummer, v.year): v.value for v in table.values}


def test_statbank_csv_with_a_title_line_missing_values_and_windows_1252() -> None:
    table = read_statbank(STATBANK_CSV.encode("cp1252"))
    assert (table.table_id, table.measure) == ("07459", "Personer")
    assert table.title.startswith("07459: Befolkning")
    assert values(table) == {
        ("3001", 2023): 31444,
        ("3024", 2023): 129780,
        ("3101", 2024): 31809,
    }
    assert next(v.name for v in table.values if v.kommunenummer == "3024") == "Bærum"
    assert table.missing == 3 and table.skipped == ["30 Viken (2020-2023)"]


def test_statbank_csv_without_a_title_in_utf8_with_a_bom_and_ssb_symbols() -> None:
    text = '"region";"Andel 2023";"Andel 2024"\n"3005 Drammen";"72,5";":"\n"3049 Lier";"-";"."\n"0 Hele landet";61;62\n'
    table = read_statbank(text.encode("utf-8-sig"))
    assert table.table_id == "" and table.measure == "Andel"
    # «:» withheld and «.» cannot occur are not stored; SSB's «-» is zero.
    assert values(table) == {("3005", 2023): 72.5, ("3049", 2023): 0.0}
    assert table.missing == 2 and table.skipped == ["0 Hele landet"]


def test_statbank_csv_with_the_year_in_a_column() -> None:
    text = '"region";"statistikkvariabel";"år";"07459: Befolkning"\n"3005 Drammen";"Personer";"2024";103291\n'
    table = read_statbank(text.encode())
    assert values(table) == {("3005", 2024): 103291} and table.measure == "Personer"
    assert table.table_id == "07459"


def test_statbank_csv_problems_name_the_line() -> None:
    text = '"region";"Personer 2024"\n"3005 Drammen";"mange"\n"3005 Drammen";5\n"123456 Grunnkrets";1\n'
    with pytest.raises(StatbankError) as caught:
        read_statbank(text.encode())
    assert caught.value.problems == [
        "Linje 2: «mange» i kolonnen «Personer 2024» er ikke et tall.",
        "Linje 4: «123456 Grunnkrets» er ikke en kommune (kommunenummer har fire sifre).",
    ]
    with pytest.raises(StatbankError) as caught:
        read_statbank(b'"region";"Personer 2024"\n"3005 Drammen";1\n"3005 Drammen";2\n')
    assert caught.value.problems == ["Linje 3: 3005 Drammen for 2024 står også på linje 2."]


def test_one_measure_at_a_time() -> None:
    several = '"region";"Personer 2024";"Levendefødte 2024"\n"3005 Drammen";1;2\n'
    with pytest.raises(StatbankError, match="flere statistikkvariabler"):
        read_statbank(several.encode())
    by_sex = '"region";"kjønn";"Personer 2024"\n"3005 Drammen";"Menn";1\n"3005 Drammen";"Kvinner";2\n'
    with pytest.raises(StatbankError, match="«kjønn» har flere verdier"):
        read_statbank(by_sex.encode())


def test_jsonstat2_as_statbank_gives_it() -> None:
    table = read_statbank(json.dumps(JSONSTAT).encode())
    assert (table.table_id, table.measure) == ("07459", "Personer")
    assert values(table) == {("3001", 2022): 31270, ("3001", 2023): 31444, ("3042", 2022): 2531}
    assert table.missing == 1 and table.skipped == ["30 Viken (2020-2023)"]
    assert next(v.name for v in table.values if v.kommunenummer == "3042") == "Hemsedal"


# pyjstat's own writer calls a function it has deprecated.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jsonstat_agrees_with_pyjstat() -> None:
    from pyjstat import pyjstat

    frame = pyjstat.Dataset.read(json.dumps(JSONSTAT)).write("dataframe", naming="id")
    expected = {
        (str(row["Region"]), int(row["Tid"])): float(row["value"])
        for _, row in frame.iterrows()
        if len(str(row["Region"])) == 4 and row["value"] == row["value"]  # municipalities, not NaN
    }
    assert len(expected) == 3 and values(read_jsonstat(JSONSTAT)) == expected


def test_jsonstat_variants_sparse_values_list_index_and_version_1() -> None:
    sparse = copy.deepcopy(JSONSTAT)
    del sparse["extension"]
    sparse["value"] = {"0": 31270, "1": 31444}
    sparse["dimension"]["Region"]["category"]["index"] = ["3001", "3042", "30"]
    table = read_jsonstat(sparse)
    assert table.table_id == "07459"  # from the label
    assert values(table) == {("3001", 2022): 31270, ("3001", 2023): 31444}
    version1 = {"dataset": {k: v for k, v in JSONSTAT.items() if k not in ("id", "size", "version")}}
    version1["dataset"]["dimension"] = {
        **JSONSTAT["dimension"],
        "id": JSONSTAT["id"],
        "size": JSONSTAT["size"],
    }
    assert values(read_jsonstat(version1)) == values(read_jsonstat(JSONSTAT))


def test_jsonstat_with_several_values_of_a_dimension_says_which() -> None:
    by_sex = copy.deepcopy(JSONSTAT)
    by_sex["id"] = ["Region", "Kjonn", "ContentsCode", "Tid"]
    by_sex["size"] = [3, 2, 1, 2]
    by_sex["dimension"]["Kjonn"] = {
        "label": "kjønn",
        "category": {"index": {"1": 0, "2": 1}, "label": {"1": "Menn", "2": "Kvinner"}},
    }
    by_sex["value"] = [1] * 12
    with pytest.raises(StatbankError) as caught:
        read_jsonstat(by_sex)
    assert caught.value.problems == [
        "«kjønn» har flere verdier (Menn, Kvinner). Velg én verdi i statistikkbanken, eller ingen, så summerer "
        "statistikkbanken dem."
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "ikke gyldig JSON"),
        (b'{"version": "2.0"}', "ikke et JSON-stat-datasett"),
        (b"", "Filen er tom."),
        (b"\x00\x01\x02binary", "ser ikke ut som tekst"),
        (b"Bare tekst\nuten tabell\n", "Fant ingen overskriftsrad"),
    ],
)
def test_files_that_are_not_statbank_files_say_so(data: bytes, expected: str) -> None:
    with pytest.raises(StatbankError) as caught:
        read_statbank(data)
    assert expected in caught.value.problems[0]


def test_jsonstat_with_a_wrong_shape_is_an_error_not_a_crash() -> None:
    broken = copy.deepcopy(JSONSTAT)
    broken["value"] = [1, 2]
    with pytest.raises(StatbankError, match="har 2 verdier"):
        read_jsonstat(broken)
    quarterly = copy.deepcopy(JSONSTAT)
    quarterly["dimension"]["Tid"]["category"]["index"] = {"2023K1": 0, "2023K2": 1}
    with pytest.raises(StatbankError, match="ikke et årstall"):
        read_jsonstat(quarterly)
    odd = copy.deepcopy(JSONSTAT)
    odd["dimension"]["Region"]["category"] = "Halden"
    with pytest.raises(StatbankError, match="form Innspill ikke kjenner"):
        read_jsonstat(odd)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(["id", "size", "dimension", "value", "status", "role", "extension", "label"]),
    new=JSON,
)
def test_a_mangled_jsonstat_is_read_or_refused_in_norwegian(key: str, new: object) -> None:
    document = copy.deepcopy(JSONSTAT)
    document[key] = new
    try:
        read_jsonstat(document)
    except StatbankError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(['"region"', '"Personer 2024"', "3001 Halden", "..", "-", "x", "2024", "år", ""])
            | st.text(max_size=6),
            max_size=5,
        ),
        max_size=6,
    )
)
def test_any_semicolon_table_is_read_or_refused_in_norwegian(rows: list[list[str]]) -> None:
    text = "\n".join(";".join(r) for r in rows)
    try:
        read_statbank(text.encode())
    except StatbankError as error:
        assert error.problems
