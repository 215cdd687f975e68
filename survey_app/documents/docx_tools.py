"""python-docx helpers shared by the case document and the letter: page set-up, styles, tables, fields.

python-docx covers paragraphs, runs, tables and sections; what Word keeps only in the XML (a header row
repeated on every page, cell shading, the document's language, a table's description, page-number fields)
is written here, once, with the element order the WordprocessingML schema asks for.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor

from survey_app.documents.blocks import Alert, Block, NumberedList, Paragraph, Table

# Arial is on every Windows and macOS machine the county opens the file on; LibreOffice shows it with the
# metric-compatible Liberation Sans, so line breaks match.
FONT = "Arial"
TEXT = RGBColor(0x1A, 0x1A, 0x1A)
MUTED = RGBColor(0x44, 0x44, 0x44)
ALERT = RGBColor(0xB3, 0x26, 0x1E)
HEADER_FILL = "E6E6E6"
ALERT_FILL = "FDF0EF"
BORDER = "8A8A8A"

CELL = "Tabelltekst"  # our paragraph styles' names show in Word's style list, so they are Norwegian
CELL_SMALL = "Tabelltekst liten"
NOTE = "Merknad"

KEEP_TOGETHER = 25  # rows; a shorter table is never split across pages

PORTRAIT_MARGINS = (Mm(22), Mm(20), Mm(24), Mm(20))  # left, right, top, bottom
LANDSCAPE_MARGINS = (Mm(16), Mm(16), Mm(20), Mm(16))


def document(*, title: str, subject: str, author: str, language: str, category: str, day: date) -> Any:
    """A new A4 document with our styles and metadata (python-docx's own template is US Letter)."""
    doc = new_docx()
    _styles(doc, language)
    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = author
    props.last_modified_by = author
    props.category = category
    props.language = language
    props.keywords = "bosetting; flyktninger; IMDi"
    props.comments = ""
    props.revision = 1
    # The document's own date, not the moment of export: the same input gives the same metadata.
    props.created = props.modified = datetime.combine(day, time(12))
    page(doc.sections[0], landscape=False)
    return doc


def _set_font(style: Any, size: float, *, bold: bool | None = None, color: RGBColor = TEXT) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.color.rgb = color
    if bold is not None:
        style.font.bold = bold
    # Word's heading styles name theme fonts, which win over w:ascii; drop them so Arial holds everywhere.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:cs"), FONT)
    fonts.set(qn("w:eastAsia"), FONT)


def _styles(doc: Any, language: str) -> None:
    styles = doc.styles
    # The language Word and LibreOffice spell-check in, for every run that does not say otherwise.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), language)

    normal = styles["Normal"]
    _set_font(normal, 10)
    normal.paragraph_format.space_after = Pt(5)
    normal.paragraph_format.line_spacing = 1.15
    for name, size, before in (("Title", 18, 6), ("Heading 1", 14, 16), ("Heading 2", 11.5, 12)):
        style = styles[name]
        _set_font(style, size, bold=True)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(5)
        style.paragraph_format.keep_with_next = True
    # The template's Title has a coloured rule under it; a case document is plain.
    title_ppr = styles["Title"].element.find(qn("w:pPr"))
    if title_ppr is not None:
        for border in title_ppr.findall(qn("w:pBdr")):
            title_ppr.remove(border)
    for name in ("Header", "Footer"):
        _set_font(styles[name], 8, color=MUTED)
    for name, size in ((CELL, 9), (CELL_SMALL, 8), (NOTE, 8.5)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        _set_font(style, size)
        style.paragraph_format.space_after = Pt(0 if name != NOTE else 4)
        style.paragraph_format.line_spacing = 1.0
    styles[NOTE].paragraph_format.space_before = Pt(4)


def page(section: Any, *, landscape: bool) -> None:
    """A4 upright or turned, with margins that leave room for the running header and footer."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    left, right, top, bottom = LANDSCAPE_MARGINS if landscape else PORTRAIT_MARGINS
    section.left_margin, section.right_margin = left, right
    section.top_margin, section.bottom_margin = top, bottom
    section.header_distance = section.footer_distance = Mm(10)


def new_section(doc: Any, *, landscape: bool) -> Any:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    page(section, landscape=landscape)
    return section


def text_width(section: Any) -> int:
    return int(section.page_width - section.left_margin - section.right_margin)


def _shade(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _flag(row: Any, name: str) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement(name))


# The order the schema gives the children of w:tblPr; Word refuses a file whose elements are out of order.
TABLE_PROPERTIES = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
    "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption",
    "tblDescription",
)  # fmt: skip


def _table_property(table: Any, element: Any) -> None:
    """Put ``element`` into the table's properties at its place in the schema's sequence."""
    tbl_pr = table._tbl.tblPr
    name = element.tag.rsplit("}", 1)[1]
    for old in tbl_pr.findall(qn(f"w:{name}")):
        tbl_pr.remove(old)
    later = TABLE_PROPERTIES[TABLE_PROPERTIES.index(name) + 1 :]
    for child in tbl_pr:
        if child.tag.rsplit("}", 1)[1] in later:
            child.addprevious(element)
            return
    tbl_pr.append(element)


def _borders(table: Any, color: str, size: int) -> None:
    """Borders on every edge and between every cell (size in eighths of a point)."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), color)
        borders.append(element)
    _table_property(table, borders)


def _padding(table: Any, *, vertical: int, horizontal: int) -> None:
    """Room inside every cell, in twentieths of a point (Table Grid has none above and below the text)."""
    margins = OxmlElement("w:tblCellMar")
    for edge, size in (("top", vertical), ("left", horizontal), ("bottom", vertical), ("right", horizontal)):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(size))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    _table_property(table, margins)


def _describe(table: Any, caption: str) -> None:
    """The table's title and description, which screen readers announce (Word: Table Properties → Alt Text)."""
    for name in ("w:tblCaption", "w:tblDescription"):
        element = OxmlElement(name)
        element.set(qn("w:val"), caption)
        _table_property(table, element)


def set_widths(table: Any, relative: list[float], width: int) -> list[int]:
    """Fixed column widths scaled to ``width`` (EMU), written where Word reads them (the cells) and where
    LibreOffice does (the grid), and the table's own width."""
    total = sum(relative)
    widths = [int(width * w / total) for w in relative]
    table.autofit = False
    for column, w in zip(table.columns, widths, strict=True):
        column.width = Emu(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Emu(w)
    table_width = OxmlElement("w:tblW")
    table_width.set(qn("w:w"), str(sum(widths) // 635))  # EMU to twentieths of a point
    table_width.set(qn("w:type"), "dxa")
    _table_property(table, table_width)
    return widths


def _keep_with_next(row: Any) -> None:
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True


def _fill(
    cell: Any, text: str, *, style_id: str, width: int, right: bool, bold: bool = False, header: bool = False
) -> None:
    cell.width = Emu(width)
    if header:  # labels of one and two lines end on the same baseline
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    paragraph = cell.paragraphs[0]
    # The style's id straight into the XML: python-docx's by-name setter searches every style each time,
    # which was most of the time spent on a table of 357 municipalities.
    paragraph._p.style = style_id
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(text)
    if bold:
        run.bold = True


def add_table(doc: Any, t: Table, width: int) -> Any:
    """A bordered table whose header row repeats on every page and whose rows never split."""
    style_id = doc.styles[CELL_SMALL if t.small else CELL].style_id
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    widths = set_widths(table, [c.width for c in t.columns], int(width * t.share))
    numeric = [c.numeric for c in t.columns]
    header = table.rows[0]
    _flag(header, "w:cantSplit")
    _flag(header, "w:tblHeader")
    for cell, column, w in zip(header.cells, t.columns, widths, strict=True):
        _fill(cell, column.label, style_id=style_id, width=w, right=column.numeric, bold=True, header=True)
        _shade(cell, HEADER_FILL)
    rows = [(row, False) for row in t.rows]
    if t.total is not None:
        rows.append((t.total, True))
    added = []
    for values, is_total in rows:
        row = table.add_row()
        _flag(row, "w:cantSplit")
        for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            _fill(cell, value, style_id=style_id, width=widths[i], right=numeric[i], bold=is_total)
        added.append(row)
    # Word keeps a table together when every row but the last keeps with the next: do that for short
    # tables, and for long ones at least keep the sum row with the row above it.
    together = [header, *added[:-1]] if len(added) <= KEEP_TOGETHER else added[-2:-1] if t.total else []
    for row in together:
        _keep_with_next(row)
    _borders(table, BORDER, 4)
    _padding(table, vertical=25 if t.small else 45, horizontal=70 if t.small else 85)
    _describe(table, t.caption)
    doc.add_paragraph(style=NOTE)  # Word joins two tables that touch; this also gives air below
    return table


def add_alert(doc: Any, a: Alert, width: int) -> None:
    """A framed, shaded box: one cell, so it stays one piece in Word and LibreOffice alike."""
    table = doc.add_table(rows=1, cols=1)
    set_widths(table, [1], width)
    cell = table.rows[0].cells[0]
    cell.width = Emu(width)
    _shade(cell, ALERT_FILL)
    heading = cell.paragraphs[0]
    heading.paragraph_format.space_before = Pt(3)
    run = heading.add_run(a.heading)
    run.bold = True
    run.font.color.rgb = ALERT
    run.font.size = Pt(11)
    for item in a.items:
        paragraph = cell.add_paragraph(item if len(a.items) == 1 else f"•\u00a0{item}")
        paragraph.paragraph_format.space_after = Pt(3)
    _borders(table, "B3261E", 12)
    _padding(table, vertical=40, horizontal=115)
    _describe(table, a.heading)
    doc.add_paragraph(style=NOTE)


def add_block(doc: Any, block: Block, width: int) -> None:
    if isinstance(block, Paragraph):
        doc.add_paragraph(block.text, style=NOTE if block.small else None)
    elif isinstance(block, NumberedList):
        for number, item in enumerate(block.items, start=1):
            # Typed numbers rather than Word's list numbering: they survive any template and copy-paste.
            paragraph = doc.add_paragraph(f"{number}.\t{item}")
            paragraph.paragraph_format.left_indent = Mm(7)
            paragraph.paragraph_format.first_line_indent = Mm(-7)
            paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(7))
    elif isinstance(block, Alert):
        add_alert(doc, block, width)
    else:
        add_table(doc, block, width)


def _field(paragraph: Any, instruction: str, placeholder: str) -> None:
    """A Word field (PAGE, NUMPAGES) the reader's program fills in when it lays out the pages."""

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def running(section: Any, *, header: str, draft: str | None, footer: str) -> None:
    """The header (with the draft mark) and the footer with «Side n av m», shared by later sections."""
    head = section.header.paragraphs[0]
    if draft:
        run = head.add_run(f"{draft} · " if header else draft)
        run.bold = True
        run.font.color.rgb = ALERT
    head.add_run(header)
    foot = section.footer.paragraphs[0]
    foot.add_run(f"{footer} · Side ")
    _field(foot, "PAGE", "1")
    foot.add_run(" av ")
    _field(foot, "NUMPAGES", "1")


def to_bytes(doc: Any) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
