"""A round's answers as files: CSV for Excel, an XLSX workbook with a codebook, and JSON.

The builders take the rows ``results.load_rows`` returns and give bytes (or a JSON-ready dict); the route
decides the file name and who may download. Answers are written as their codes (``ja``, ``3``,
``vet_ikke``); what each code means is in the workbook's «Kodebok» sheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from survey_app.cells import neutralise
from survey_app.forms import Value, keys_of
from survey_app.i18n import t
from survey_app.question_types import kind_of
from survey_app.question_types._options import in_lang
from survey_app.question_types.base import LIST_SEPARATOR
from survey_app.questionnaires import LANGS, Question, QuestionnaireDef
from survey_app.services.results import Row, free_texts

Cell = str | int | float | None

FIXED_COLUMNS = ("kommunenummer", "kommune", "region", "status", "sendt_inn", "godkjent_av", "rolle")
REGION_SEPARATOR = " / "  # as in the register file

# Control characters XML 1.0 cannot carry: openpyxl refuses them, and a pasted text may contain them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel's limit per cell; a longer cell makes Excel «repair» (truncate) the file with a warning.
_XLSX_CELL_LIMIT = 32_767
_TRUNCATED = " … [avkortet]"


def _code(value: Value) -> Cell:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return value


def answer_keys(definition: QuestionnaireDef) -> list[tuple[Question, str]]:
    """Every answer key of the questionnaire in order, with its question."""
    return [(q, key) for q in definition.questions() for key in keys_of(q)]


def answer_table(
    definition: QuestionnaireDef, rows: Sequence[Row], lang: str = "nb"
) -> tuple[list[str], list[list[Cell]]]:
    """One line per municipality: who and when, then each answer key's stored code (hidden questions empty).

    ``lang`` is accepted for symmetry with the other builders; codes and column names do not depend on it.
    """
    keys = answer_keys(definition)
    header = [*FIXED_COLUMNS, *(key for _, key in keys)]
    body: list[list[Cell]] = []
    for row in rows:
        response = row.response
        fixed: list[Cell] = [
            row.municipality.kommunenummer,
            row.municipality.name,
            REGION_SEPARATOR.join(row.regions),
            response.status.value,
            _iso(response.submitted_at) or "",
            response.signed_by_name or "",
            response.signed_by_role or "",
        ]
        answers = [_code(row.values.get(key)) if q.id in row.shown else None for q, key in keys]
        body.append(fixed + answers)
    return header, body


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def to_csv(header: Sequence[str], body: Sequence[Sequence[Cell]], *, delimiter: str = ",") -> bytes:
    """CSV in UTF-8 with a byte order mark, which Norwegian Excel needs to read «æøå» right.

    ``delimiter`` is "," or ";" (Excel with Norwegian settings splits on ";").
    """
    if delimiter not in (",", ";"):
        raise ValueError(f"skilletegnet må være «,» eller «;», ikke «{delimiter}»")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([neutralise(c) for c in header])
    writer.writerows([neutralise(c) for c in line] for line in body)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(definition: QuestionnaireDef, rows: Sequence[Row], lang: str = "nb") -> bytes:
    """A workbook with the sheets «Svar» (the answer table), «Kodebok» and «Fritekst»."""
    header, body = answer_table(definition, rows, lang)
    texts = [
        [
            f.municipality.kommunenummer,
            f.municipality.name,
            REGION_SEPARATOR.join(f.regions),
            f.key,
            f.question.text,
            f.text,
        ]
        for f in free_texts(definition, rows)
    ]
    return workbook(
        [
            ("Svar", header, body),
            ("Kodebok", CODEBOOK_COLUMNS, _codebook(definition)),
            ("Fritekst", ["kommunenummer", "kommune", "region", "spørsmål id", "spørsmål", "tekst"], texts),
        ]
    )


Sheet = tuple[str, Sequence[str], Sequence[Sequence[Cell]]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX file of (title, header, rows) sheets: bold frozen headers, text cells guarded and cleaned."""
    # Write-only mode streams rows to the file instead of building every cell object first.
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, body in sheets:
        ws = book.create_sheet(title)
        ws.freeze_panes = "A2"
        ws.append([_header_cell(ws, name, bold) for name in header])
        for line in body:
            ws.append([_xlsx_cell(c) for c in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header_cell(ws: Any, name: str, font: Any) -> Any:
    cell = WriteOnlyCell(ws, value=_xlsx_cell(name))
    cell.font = font
    return cell


def _xlsx_cell(cell: Cell) -> Cell:
    if not isinstance(cell, str):
        return cell
    text = _ILLEGAL_XML.sub("", cell)
    if len(text) > _XLSX_CELL_LIMIT - 1:  # room for the apostrophe of the guard
        text = text[: _XLSX_CELL_LIMIT - 1 - len(_TRUNCATED)] + _TRUNCATED
    return neutralise(text)


# A round's municipalities write bokmål or nynorsk: the codebook says each text in both.
CODEBOOK_COLUMNS = [
    "nøkkel",
    "spørsmål",
    "spørsmål (nynorsk)",
    "rad",
    "rad (nynorsk)",
    "type",
    "verdier",
    "verdier (nynorsk)",
]


def _codebook(definition: QuestionnaireDef) -> list[list[Cell]]:
    lines: list[list[Cell]] = []
    for question, key in answer_keys(definition):
        kind = kind_of(question)
        texts = [in_lang(question.text, lang) for lang in LANGS]
        if kind.is_other(question, key):  # the «Annet» text behind a choice
            values = [t("code_other_text", lang) for lang in LANGS]
            lines.append([key, *texts, *(t("other", lang) for lang in LANGS), "text", *values])
            continue
        rows = [kind.key_label(question, key, lang) if key != question.id else None for lang in LANGS]
        values = [kind.codebook(definition, question, lang) for lang in LANGS]
        lines.append([key, *texts, *rows, question.type, *values])
    return lines


def to_json(definition: QuestionnaireDef, rows: Sequence[Row]) -> dict[str, Any]:
    """The questionnaire's identity and every response with its shown answers, ready for ``json.dumps``."""
    keys = answer_keys(definition)
    return {
        "questionnaire": {"id": definition.id, "title": definition.title, "version": definition.version},
        "responses": [
            {
                "kommunenummer": row.municipality.kommunenummer,
                "kommune": row.municipality.name,
                "regions": list(row.regions),
                "status": row.response.status.value,
                "submitted_at": _iso(row.response.submitted_at),
                "signed_by": (
                    {"name": row.response.signed_by_name, "role": row.response.signed_by_role}
                    if row.response.signed_by_name
                    else None
                ),
                # Only what the municipality was shown and answered: a hidden question's old answer is stale.
                "answers": {
                    key: row.values[key]
                    for q, key in keys
                    if q.id in row.shown and row.values.get(key) is not None
                },
            }
            for row in rows
        ],
    }
