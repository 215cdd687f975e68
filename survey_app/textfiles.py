"""Text files as Excel and Windows editors write them: the one reader for register, rules and figures files.

Excel saves «CSV UTF-8» with a byte-order mark, plain «CSV» in Windows-1252 (where «ø» is the byte 0xf8),
and «Unicode-tekst» as UTF-16 with a byte-order mark; Notepad saves UTF-8. All of them are read here, so a
file that one command reads, every command reads. A file that is none of them (an XLSX workbook, a PDF)
is refused with its name and what to do.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from analysis.problems import ProblemsError


class TextFileError(ProblemsError):
    """The file is not text Innspill can read; the problem names the file and how to save it instead."""


def decode(data: bytes, *, source: str = "filen") -> str:
    """The text of ``data``: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TextFileError([_not_text(source)]) from None
    if data.startswith(b"PK\x03\x04"):
        raise TextFileError(
            [f"{source} er en Excel-arbeidsbok (XLSX), ikke tekst. Lagre den som «CSV UTF-8» i Excel."]
        )
    if b"\x00" in data:
        raise TextFileError([_not_text(source)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined: neither encoding, so not a file we can read right.
        raise TextFileError([_not_text(source)]) from None


def read_text(path: Path) -> str:
    """The text of the file at ``path`` (see ``decode``); ``OSError`` when it cannot be read at all."""
    return decode(path.read_bytes(), source=str(path))


def _not_text(source: str) -> str:
    return (
        f"{source} er verken UTF-8- eller Windows-1252-tekst. Åpne den i Excel eller en tekstredigerer "
        "og lagre den som «CSV UTF-8»."
    )
