"""Sending an archive package to the county's archive: the one interface a county implements.

Innspill does not send anything itself. Sending through KS Fiks IO needs the county's integration (its id and
password in Fiks Forvaltning), its private key for the Fiks IO account, Maskinporten and network access to
KS; the county plugs that in behind ``ArchiveSender`` (docs/archive.md shows how). Nothing here pretends to
have sent: without a sender, the packages are downloaded and handed over by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from survey_app.services.archive.package import ArchivePackage

# The Fiks Arkiv message type of the package, and of the archive's answer to it.
MESSAGE_TYPE = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett"
RECEIPT_TYPE = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.kvittering"


@dataclass(frozen=True)
class Receipt:
    """What the archive answered: the message's id in Fiks IO and, once archived, the archive's references."""

    message_id: str
    # The archive's kvittering (``RECEIPT_TYPE``, schema beside the arkivmelding's): raw XML, kept as sent.
    receipt_xml: bytes | None = None


class ArchiveSender(Protocol):
    """Sends one package (its ``arkivmelding.xml`` and files) to the archive and returns its receipt.

    An implementation raises on failure; Innspill records only what a receipt confirms."""

    def send(self, package: ArchivePackage) -> Receipt: ...
