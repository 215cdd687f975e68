"""Text files as Excel and Windows editors write them, read by one reader (``analysis.tabular.decode``).

The analysis library reads SSB and history files with it too, so a file one command or page reads, every
command and page reads: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252.
"""

from __future__ import annotations

from pathlib import Path

from analysis.tabular import TextFileError, decode

__all__ = ["TextFileError", "decode", "read_text"]


def read_text(path: Path) -> str:
    """The text of the file at ``path`` (see ``decode``); ``OSError`` when it cannot be read at all."""
    return decode(path.read_bytes(), source=str(path))
