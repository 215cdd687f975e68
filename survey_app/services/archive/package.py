"""An archive package: one arkivmelding.xml with the PDF/A files it names, as one ZIP, or many in one ZIP.

The layout is what a Fiks Arkiv message carries (``arkivmelding.xml`` and its files side by side, the files
named as ``referanseDokumentfil`` says), plus a short LESMEG.txt in Norwegian for the person who opens the ZIP
by hand. A round's ZIP holds one such folder per submitted response.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from survey_app.dates import format_datetime
from survey_app.services.archive.arkivmelding import FILENAME

README = "LESMEG.txt"
# A fixed time for every entry: the same package gives the same ZIP, byte for byte.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ArchiveFile:
    name: str  # the name in the package (ASCII: referanseDokumentfil)
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class ArchivePackage:
    """One journal entry ready for the archive: its arkivmelding and the documents it names."""

    name: str  # the package's folder and ZIP name, ASCII
    title: str  # what it is, in Norwegian, for the README and the pages
    arkivmelding: bytes
    files: tuple[ArchiveFile, ...]
    made_at: datetime
    notes: tuple[str, ...] = field(default_factory=tuple)

    def readme(self) -> str:
        lines = [
            self.title,
            "",
            f"Laget av Innspill {format_datetime(self.made_at)}.",
            f"{FILENAME} er en arkivmelding etter KS Fiks Arkiv V1 (no.ks.fiks.arkiv.v1.arkivering.arkivmelding"
            ".opprett), kontrollert mot KS' skjema før pakken ble laget.",
            "Dokumentene er PDF/A-2b:",
            *(f"  {f.name}  (SHA-256 {f.sha256})" for f in self.files),
            *self.notes,
            "",
        ]
        return "\n".join(lines)

    def entries(self) -> list[tuple[str, bytes]]:
        """The package's files: the arkivmelding, its documents and the README."""
        return [
            (FILENAME, self.arkivmelding),
            *((f.name, f.content) for f in self.files),
            (README, self.readme().encode("utf-8")),
        ]

    def zip(self) -> bytes:
        """The package as one ZIP, its files at the top."""
        return _zip(self.entries())


def round_zip(packages: list[ArchivePackage], *, readme: str) -> bytes:
    """Many packages in one ZIP, one folder each, with a README at the top."""
    entries = [(README, readme.encode("utf-8"))]
    for package in packages:
        entries += [(f"{package.name}/{name}", content) for name, content in package.entries()]
    return _zip(entries)


def _zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def ascii_name(text: str) -> str:
    """``text`` as a file name without Norwegian letters or spaces: «Bø i Telemark» → «bo-i-telemark».

    KS's schema: the name in the message «vil normalt ikke inneholde tegn som komma, æøå etc.»."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "dokument"
