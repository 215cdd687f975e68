"""Export files built from a round's rows: the answer table, CSV, XLSX and JSON, on a real database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.questionnaires import QuestionnaireDef
from survey_app.services import exports
from survey_app.services import results as res
from tests.factories import World, make_world
from tests.test_results_service import AAL, DRAMMEN, LIER, answer

KEYS = [
    "politikk",
    "vedtaksar",
    "enighet",
    "tiltak",
    "tiltak.annet",
    "moteplasser.bibliotek",
    "moteplasser.idrett",
    "kommentar",
    "enhet",
    "stilling",
]
FIXED = ["kommunenummer", "kommune", "region", "status", "sendt_inn", "godkjent_av", "rolle"]


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    world = make_world(session, settings)
    answer(session, world, "3005", DRAMMEN, send=True)
    answer(session, world, "3043", AAL, send=True)
    # A pasted control character (vertical tab) that XML, and so XLSX, cannot carry.
    answer(session, world, "3049", {**LIER, "stilling": "Rådgiver\x0b(deltid)"}, send=False)
    return world


@pytest.fixture
def loaded(session: Session, world: World) -> tuple[QuestionnaireDef, list[res.Row]]:
    assert world.round.id is not None
    definition = res.round_definition(session, round_id=world.round.id)
    return definition, res.load_rows(session, round_id=world.round.id, include_in_progress=True)


def test_answer_table(session: Session, world: World, loaded: tuple[QuestionnaireDef, list[res.Row]]) -> None:
    header, body = exports.answer_table(*loaded)
    assert header == FIXED + KEYS
    drammen, aal, lier = body
    sent = world.response(session, "3005").submitted_at
    assert sent is not None
    assert drammen == [
        "3005",
        "Drammen",
        "Drammensregionen",
        "submitted",
        sent.isoformat(),
        "Kari Leder",
        "Kommunalsjef",
        "ja",
        2015,
        4,
        "sprakkafe|annet",
        "Turgruppe for kvinner",
        4,
        "vet_ikke",
        "Vi trenger flere møteplasser på Åssiden.",
        "flyktning",
        '=HYPERLINK("http://x.test")',  # the table is raw; the file writers guard it
    ]
    row = dict(zip(header, aal, strict=True))
    assert row["vedtaksar"] is None  # stored 1999, but hidden for Ål
    assert row["moteplasser.idrett"] is None and row["kommune"] == "Ål"
    row = dict(zip(header, lier, strict=True))
    assert (row["status"], row["sendt_inn"], row["godkjent_av"], row["rolle"]) == ("in_progress", "", "", "")


def test_csv_snapshot_bom_delimiter_and_formula_guard() -> None:
    body: list[list[exports.Cell]] = [
        ["=1+1", 3, None],
        ["+47 99", -2, "x;y"],
        ["-tull", 1.5, "@sum"],
        ["\tfane", 0, "Ål, Øst og Æ"],
    ]
    assert exports.to_csv(["a", "b", "c"], body, delimiter=";") == (
        b"\xef\xbb\xbfa;b;c\r\n"
        b"'=1+1;3;\r\n"
        b'\'+47 99;-2;"x;y"\r\n'
        b"'-tull;1.5;'@sum\r\n"
        b"'\tfane;0;\xc3\x85l, \xc3\x98st og \xc3\x86\r\n"
    )
    assert exports.to_csv(["a"], [["b,c"]]) == b'\xef\xbb\xbfa\r\n"b,c"\r\n'


@pytest.mark.parametrize("delimiter", ["\t", "|", ",,", ""])
def test_csv_refuses_other_delimiters(delimiter: str) -> None:
    with pytest.raises(ValueError):
        exports.to_csv(["a"], [], delimiter=delimiter)


def test_csv_of_the_round_reads_back(loaded: tuple[QuestionnaireDef, list[res.Row]]) -> None:
    data = exports.to_csv(*exports.answer_table(*loaded), delimiter=";")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == FIXED + KEYS and len(lines) == 4
    drammen = dict(zip(lines[0], lines[1], strict=True))
    assert drammen["stilling"] == '\'=HYPERLINK("http://x.test")'
    assert drammen["tiltak"] == "sprakkafe|annet" and drammen["vedtaksar"] == "2015"
    assert dict(zip(lines[0], lines[2], strict=True))["kommune"] == "Ål"


def test_xlsx_sheets(loaded: tuple[QuestionnaireDef, list[res.Row]]) -> None:
    book = load_workbook(io.BytesIO(exports.to_xlsx(*loaded)))
    assert book.sheetnames == ["Svar", "Kodebok", "Fritekst"]

    answers = book["Svar"]
    assert answers.freeze_panes == "A2"
    assert all(cell.font.b for cell in answers[1])
    lines = [list(r) for r in answers.iter_rows(values_only=True)]
    assert list(lines[0]) == FIXED + KEYS and len(lines) == 4
    drammen = dict(zip(lines[0], lines[1], strict=True))
    # Numbers stay numbers; a formula-like text is text, never a formula.
    assert drammen["vedtaksar"] == 2015 and drammen["enighet"] == 4
    assert drammen["stilling"] == '\'=HYPERLINK("http://x.test")'
    assert all(c.data_type != "f" for r in answers.iter_rows() for c in r)
    assert dict(zip(lines[0], lines[2], strict=True))["vedtaksar"] is None

    codebook = [list(r) for r in book["Kodebok"].iter_rows(values_only=True)]
    assert codebook[0] == [
        "nøkkel",
        "spørsmål",
        "spørsmål (nynorsk)",
        "rad",
        "rad (nynorsk)",
        "type",
        "verdier",
        "verdier (nynorsk)",
    ]
    by_key = {line[0]: line for line in codebook[1:]}
    assert list(by_key) == KEYS
    # Each text in bokmål and nynorsk: a round's municipalities read one or the other.
    assert by_key["enighet"] == [
        "enighet",
        "Frivilligheten er godt med i integreringsarbeidet.",
        "Frivilligheita er godt med i integreringsarbeidet.",
        None,
        None,
        "likert",
        "1 = Helt uenig; 2 = Uenig; 3 = Enig; 4 = Helt enig; vet_ikke = Vet ikke",
        "1 = Heilt usamd; 2 = Usamd; 3 = Samd; 4 = Heilt samd; vet_ikke = Veit ikkje",
    ]
    assert by_key["politikk"][6:] == [
        "ja = Ja; delvis = Delvis; nei = Nei; vet_ikke = Vet ikke",
        "ja = Ja; delvis = Delvis; nei = Nei; vet_ikke = Veit ikkje",
    ]
    assert by_key["moteplasser.idrett"][1:6] == [
        "Hvor mye brukes møteplassene?",
        "Kor mykje blir møteplassane brukte?",
        "Idrettslag",
        "Idrettslag",
        "matrix",
    ]
    assert by_key["tiltak"][6:] == [
        "sprakkafe = Språkkafé; leksehjelp = Leksehjelp; annet = Annet (flere valg skilles med «|»)",
        "sprakkafe = Språkkafé; leksehjelp = Leksehjelp; annet = Anna (fleire val er skilde med «|»)",
    ]
    assert by_key["tiltak.annet"][3:6] == ["Annet", "Anna", "text"]
    assert by_key["vedtaksar"][5:] == [
        "integer",
        "heltall, minst 1990, høyst 2030",
        "heiltal, minst 1990, høgst 2030",
    ]

    texts = [list(r) for r in book["Fritekst"].iter_rows(values_only=True)]
    assert texts[0] == ["kommunenummer", "kommune", "region", "spørsmål id", "spørsmål", "tekst"]
    assert texts[1] == [
        "3005",
        "Drammen",
        "Drammensregionen",
        "tiltak.annet",
        "Hvilke tiltak har dere?",
        "Turgruppe for kvinner",
    ]
    assert [t[3] for t in texts[1:]] == [
        "tiltak.annet",
        "kommentar",
        "stilling",
        "kommentar",
        "stilling",
        "kommentar",
        "stilling",
    ]
    assert texts[-1][5] == "Rådgiver(deltid)"  # the control character is dropped, the text kept


def test_xlsx_truncates_what_excel_cannot_hold(
    session: Session, world: World, loaded: tuple[QuestionnaireDef, list[res.Row]]
) -> None:
    definition, rows = loaded
    lier = rows[2]
    long_rows = [
        *rows[:2],
        res.Row(
            lier.response,
            lier.municipality,
            lier.regions,
            {**lier.values, "kommentar": "x" * 40_000},
            lier.shown,
        ),
    ]
    book = load_workbook(io.BytesIO(exports.to_xlsx(definition, long_rows)))
    header = [c.value for c in book["Svar"][1]]
    cell = book["Svar"].cell(row=4, column=header.index("kommentar") + 1).value
    assert isinstance(cell, str) and len(cell) == 32_766 and cell.endswith("[avkortet]")


def test_json_shape(session: Session, world: World, loaded: tuple[QuestionnaireDef, list[res.Row]]) -> None:
    data = exports.to_json(*loaded)
    assert json.loads(json.dumps(data)) == data  # serialisable as is
    assert data["questionnaire"] == {"id": "liten-test", "title": "Liten testundersøkelse", "version": None}
    drammen, aal, lier = data["responses"]
    sent = world.response(session, "3005").submitted_at
    assert sent is not None
    assert {k: v for k, v in drammen.items() if k != "answers"} == {
        "kommunenummer": "3005",
        "kommune": "Drammen",
        "regions": ["Drammensregionen"],
        "status": "submitted",
        "submitted_at": sent.isoformat(),
        "signed_by": {"name": "Kari Leder", "role": "Kommunalsjef"},
    }
    assert drammen["answers"] == DRAMMEN
    assert list(drammen["answers"]) == [k for k in KEYS if k in DRAMMEN]  # questionnaire order
    assert aal["answers"] == {k: v for k, v in AAL.items() if k != "vedtaksar"}  # hidden: left out
    assert (lier["status"], lier["submitted_at"], lier["signed_by"]) == ("in_progress", None, None)


def test_every_csv_the_app_writes_from_a_register_name_keeps_formulas_as_text() -> None:
    import io

    from analysis.settlement import Recommendation, Rules, recommend
    from survey_app.services import invitations, recommendation

    out = io.StringIO()
    invitations.write_csv(out, [{"kommunenummer": "3001", "kommune": '=HYPERLINK("x")', "url": "u"}])
    assert "'=HYPERLINK" in out.getvalue()
    template = recommendation.template_csv([("3001", "+Halden", "@Region")])
    assert ";'+Halden;'@Region;" in template
    units = recommendation.units(
        recommendation.read_figures(
            "kommunenummer,kommune,region,forrige_anmodning,vedtak\n3001,-Halden,=X,10,\n"
        ).rows
    )
    result: Recommendation = recommend(units, total=10, rules=Rules(minimum=0, criteria=()))
    csv_text = recommendation.to_csv(result, Rules(minimum=0, criteria=()))
    assert "3001,'-Halden,'=X,10" in csv_text
