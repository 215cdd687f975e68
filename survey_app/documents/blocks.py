"""What a document is made of, before it is DOCX or HTML: sections of paragraphs, lists, boxes and tables.

Each document is worded once, into these blocks, and the two renderers walk the same blocks; that is how the
DOCX and the PDF hold the same text. Every string here is final text: the renderers add layout only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Paragraph:
    text: str
    small: bool = False  # a note under a table
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class NumberedList:
    items: tuple[str, ...]
    kind: Literal["numbered"] = "numbered"


@dataclass(frozen=True)
class Alert:
    """A framed box that must not be overlooked (warnings, the draft marking)."""

    heading: str
    items: tuple[str, ...]
    kind: Literal["alert"] = "alert"


@dataclass(frozen=True)
class Column:
    label: str
    width: float  # relative; the renderer scales the columns to the page
    numeric: bool = False  # right-aligned, so digits line up


@dataclass(frozen=True)
class Table:
    caption: str  # said to screen readers in the PDF, and used as the DOCX table's description
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None  # a bold sum row at the end
    row_header: bool = True  # the first cell names the row
    small: bool = False  # the wide table gets a smaller type size
    share: float = 1.0  # of the text width; a table of four short columns reads better narrow
    kind: Literal["table"] = "table"


Block = Paragraph | NumberedList | Alert | Table


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]
    level: Literal[1, 2] = 1
    landscape: bool = False  # wide tables; consecutive landscape sections share the turned pages


def runs(sections: tuple[Section, ...]) -> list[tuple[bool, tuple[Section, ...]]]:
    """Consecutive sections grouped by orientation: each group starts on a new page when it turns."""
    groups: list[tuple[bool, tuple[Section, ...]]] = []
    for section in sections:
        if groups and groups[-1][0] == section.landscape:
            groups[-1] = (section.landscape, (*groups[-1][1], section))
        else:
            groups.append((section.landscape, (section,)))
    return groups
