"""The password policy for staff accounts, and temporary passwords for an administrator's reset.

Every place that sets a password asks ``problem()`` (user creation on the users page and in the CLI,
«Min konto», a reset's temporary password), so there is one rule:

- at least ``MIN_LENGTH`` characters, not counting spaces at the ends;
- not mostly one character, not one short piece repeated, not a run along the alphabet, the digits or
  a keyboard row («abcdefghijkl», «123456789012», «qwertyuiopå»);
- not the account's e-mail address or name, or a part of them, with or without digits and symbols
  around it;
- not a common password (``data/common_passwords.txt``: Django's list of 20,000 and Norwegian
  commonplaces). Compared without case, with æ/ø/å and accents folded, whole and with the digits and
  symbols at its ends stripped: «Sommer2024!» is «sommer», and so is «2024sommer».

The password is stored as typed; only the checks ignore the spaces at its ends.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import Counter
from functools import cache
from itertools import pairwise
from pathlib import Path

MIN_LENGTH = 12
# Fewer different characters than this is not a password but a pattern («abababababab»).
MIN_DISTINCT = 5
# A password whose most common character fills more than this share of it is «mostly one character».
MAX_ONE_CHARACTER_SHARE = 0.5
# A password where at least this share of its steps go to a neighbour (next letter or digit, next key
# on a keyboard row or column, or the same character again) is a sequence, not a secret.
MAX_SEQUENCE_SHARE = 0.75
# A common word this short before digits tells little («a» + eleven digits); the sequence check is there.
MIN_COMMON_STEM = 4
# Parts of an e-mail address or a name shorter than this are not compared («ola.li@…» still is whole).
MIN_PERSONAL_PART = 3

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"

# Temporary passwords: four groups of four from letters and digits that cannot be mistaken for each
# other when read aloud or copied by hand (no i, l, o, 0, 1): about 79 bits.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4
TEMPORARY_GROUP_LENGTH = 4

TOO_SHORT = f"Passordet må ha minst {MIN_LENGTH} tegn (mellomrom først og sist teller ikke)."
ONE_CHARACTER = "Passordet består nesten bare av ett og samme tegn. Velg noe som er vanskeligere å gjette."
FEW_CHARACTERS = "Passordet bruker bare noen få forskjellige tegn. Velg noe som er vanskeligere å gjette."
REPEATED = "Passordet gjentar den samme korte biten flere ganger. Velg noe som er vanskeligere å gjette."
SEQUENCE = (
    "Passordet er en enkel rekkefølge (som «abcdef», «123456» eller «qwerty»). "
    "Velg noe som er vanskeligere å gjette."
)
PERSONAL = (
    "Passordet kan ikke være e-postadressen eller navnet til brukeren, heller ikke med tall eller tegn rundt."
)
COMMON = (
    "Passordet er blant de vanligste passordene. Tall eller tegn foran eller bak gjør det ikke tryggere. "
    "Tips: flere ord som ikke hører sammen, er lette å huske og vanskelige å gjette."
)

# Rows and columns of a Norwegian and an American keyboard; neighbours on one count as a step.
_KEYBOARD_LINES = (
    "1234567890+",
    "qwertyuiopå",
    "asdfghjkløæ",
    "<zxcvbnm,.-",
    "qwertyuiop[]",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "1qaz",
    "2wsx",
    "3edc",
    "4rfv",
    "5tgb",
    "6yhn",
    "7ujm",
    "8ik,",
    "9ol.",
    "0pø-",
    "0p;/",
)
_NEIGHBOURS = frozenset((a, b) for line in _KEYBOARD_LINES for a, b in pairwise(line))
# Digits, punctuation, symbols and spaces at the ends: what people add to a word to pass a rule.
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SEPARATORS = re.compile(r"[\W_]+")
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def problem(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """Why ``password`` may not be used for the account with this e-mail and name, or None when it may.

    The answer is a Norwegian sentence for the person choosing it, shown by the password field.
    """
    text = password.strip()
    if len(text) < MIN_LENGTH:
        return TOO_SHORT
    lowered = text.lower()
    counts = Counter(lowered)
    if max(counts.values()) > MAX_ONE_CHARACTER_SHARE * len(lowered):
        return ONE_CHARACTER
    if _repeats(lowered):
        return REPEATED
    if len(counts) < MIN_DISTINCT:
        return FEW_CHARACTERS
    if _is_sequence(lowered):
        return SEQUENCE
    forms = _forms(lowered)
    if forms & _personal(email, full_name):
        return PERSONAL
    if forms & _common():
        return COMMON
    return None


def temporary_password() -> str:
    """A random password for an administrator's reset, readable aloud: «k7mq-x3tp-9hwd-r2fz»."""
    while True:
        candidate = "-".join(
            "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
            for _ in range(TEMPORARY_GROUPS)
        )
        if problem(candidate) is None:  # a chance run like «abcd-efgh-…» is drawn again
            return candidate


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _forms(lowered: str) -> set[str]:
    """The password as compared with the lists: whole, and its stem without digits and symbols at the ends."""
    whole = _fold(lowered)
    forms = {whole, whole.replace(" ", "")}
    stem = _EDGES.sub("", whole)
    if len(stem) >= MIN_COMMON_STEM:
        forms |= {stem, stem.replace(" ", "")}
    return forms


def _repeats(lowered: str) -> bool:
    """One piece shorter than the minimum length written again and again («passordpassord», «abc123abc123»)."""
    n = len(lowered)
    for period in range(1, n // 2 + 1):
        if all(lowered[i] == lowered[i - period] for i in range(period, n)):
            return len(lowered[:period].strip()) < MIN_LENGTH
    return False


def _is_sequence(lowered: str) -> bool:
    steps = list(pairwise(lowered))
    trivial = sum(
        1
        for a, b in steps
        if a == b or abs(ord(a) - ord(b)) == 1 or (a, b) in _NEIGHBOURS or (b, a) in _NEIGHBOURS
    )
    return trivial >= MAX_SEQUENCE_SHARE * len(steps)


def _personal(email: str, full_name: str) -> set[str]:
    """An account's e-mail address and name, whole and in parts, folded as the password is."""
    email = _fold(email.strip())
    local, _, domain = email.partition("@")
    name = _fold(full_name.strip())
    found = {email, local, name, name.replace(" ", ""), _SEPARATORS.sub("", local)}
    found |= set(_SEPARATORS.split(local)) | set(_SEPARATORS.split(name))
    found |= {domain.split(".")[0]} if domain else set()
    return {part for part in found if len(part) >= MIN_PERSONAL_PART}


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))
