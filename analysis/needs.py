"""Stated needs in free text: the sentences where a municipality says what it needs.

A need is a sentence with a cue, in bokmål or nynorsk: «vi trenger»/«vi treng», «behov for»/«trong for»,
«mangler»/«manglar», «ønsker»/«ønskjer», «savner»/«saknar», «skulle gjerne hatt», «ber om» and so on
(``CUES`` lists them all). A negated cue is no need: «vi trenger ikke», «har ikke behov for», «manglar
ikkje», «ingen behov for». «ikke bare»/«ikkje berre» is not a negation.

Sentences are masked with ``analysis.privacy.mask`` before they are returned: a stated need is quoted
back to staff and into reports, and free text can hold names and phone numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from analysis.privacy import mask
from analysis.themes import CODES

# --- sentences ----------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations a full stop does not end (compared without their final dot, in lower case). Single
# letters are abbreviations too: initials («K. Nordmann») and spaced forms («f. eks.», «bl. a.»).
ABBREVIATIONS: Final[frozenset[str]] = _words(
    """
    f.eks eks bl.a bl dvs d.v.s osv o.s.v m.m mv m.v m.fl ca evt ev jf jfr jmf nr kr pkt t.d m.a o.l o.a
    mht m.h.t ift i.f.t iht i.h.t pga p.g.a vha v.h.a etc tlf inkl ekskl kl mill mrd stk prof dr adm avd
    vedr ang el p.t fig kap sept okt nov des jan feb aug st ref tilsv henv
    """
)
# These also end sentences, so they split when the next word is capitalised: «… bøker, spill osv. Det
# er viktig.», «Det kostet 100 kr. Neste år …»; «kr. 100» does not split. The others are followed by
# proper nouns mid-sentence: «f.eks. Frivilligsentralen», «jf. Integreringsloven».
_FINAL_ABBREVIATIONS: Final[frozenset[str]] = _words(
    "osv o.s.v m.m mv m.v m.fl etc o.l o.a kr mill mrd stk jan feb aug sept okt nov des"
)

_BOUNDARY = re.compile(r"[.!?…]+[\"»”’')\]]*\s+")
_BULLET = re.compile(r"(?:[-*•–·]|\d{1,2}[.)]|[a-zæøå][)])\s+")


def _lines_to_units(block: str) -> list[str]:
    """A block's lines as units. Answers are typed, not wrapped, so a line break ends a unit, except
    before a line that starts in lower case, and except that a lead-in ending in «:» keeps the list
    that follows it («Vi trenger:» + «- tolk» + «- bolig» is one unit). A unit's own bullet is dropped."""
    units: list[str] = []
    in_list = False
    for line in block.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        bullet = _BULLET.match(stripped)
        if units and bullet and (in_list or units[-1].endswith(":")):
            units[-1] += " " + stripped
            in_list = True
        elif units and not bullet and stripped[0].islower():
            units[-1] += " " + stripped
        else:
            units.append(stripped[bullet.end() :] if bullet else stripped)
            in_list = False
    return units


def _ends_sentence(unit: str, boundary: re.Match[str]) -> bool:
    punctuation = boundary[0].rstrip()
    if "!" in punctuation or "?" in punctuation:
        return True
    before = unit[: boundary.start()].split()
    if not before:
        return True
    token = before[-1].lstrip("(«\"'[").lower()
    next_char = unit[boundary.end() : boundary.end() + 1]
    if token in _FINAL_ABBREVIATIONS:
        return next_char.isupper()
    if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return False
    # An ordinal: «17. mai», «2. klasse».
    return not (token.isdigit() and next_char.islower())


def split_sentences(text: str) -> list[str]:
    """``text`` as sentences, each with its whitespace collapsed to single spaces.

    A sentence ends at «.», «!», «?» or «…» followed by white space, but not after an abbreviation
    («f.eks.», «bl.a.», «dvs.», «t.d.»: ``ABBREVIATIONS``), an initial or an ordinal («17. mai»). Blank
    lines end sentences, and so do line breaks, except before a line that starts in lower case; a
    lead-in ending in «:» keeps the bulleted list below it. A sentence's own leading bullet is dropped.
    """
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        for unit in _lines_to_units(block):
            start = 0
            for boundary in _BOUNDARY.finditer(unit):
                if _ends_sentence(unit, boundary):
                    sentences.append(unit[start : boundary.end()])
                    start = boundary.end()
            sentences.append(unit[start:])
    return [" ".join(s.split()) for s in sentences if s.strip()]


# --- needs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """A sentence that states a need (masked), and the cue that marks it, as listed in ``CUES``."""

    sentence: str
    cue: str


_SUBJECT = r"(?:vi|me|jeg|eg|kommunen|kommunane|kommunene)"
# Each cue: its name (a bokmål form, so both written standards count together) and its forms.
_CUE_FORMS: Final[tuple[tuple[str, str], ...]] = (
    ("vi trenger", rf"{_SUBJECT}\s+(?:trenger|treng)|(?:trenger|treng)\s+{_SUBJECT}"),
    ("trenger mer", r"(?:trenger|treng)\s+(?:mer|meir|flere|fleire|bedre|betre|økt|auka|større|nye?)"),
    ("trengs", r"trengs|trengst"),
    # «behov for», «har behov», «det er (stort) behov», and nynorsk «trong for».
    (
        "behov for",
        r"(?:behov|behovet|trong|trongen)\s+for|(?:har|er|ser|finnes|fins|finst)\s+(?:[\w-]+\s+){0,2}?(?:behov|trong)",
    ),
    ("mangler", r"mangler|manglar|mangel\s+på|manglende|manglande"),
    ("savner", r"savner|saknar|savnar"),
    ("ønsker", r"ønsker|ønskjer|ynskjer"),
    ("ønske om", r"(?:ønske|ønskje|ynske|ynskje)\s+om"),
    ("skulle gjerne hatt", r"skulle\s+gjerne\s+(?:hatt|ha|fått|få)"),
    ("vil gjerne ha", r"(?:vil|ville)\s+gjerne\s+(?:ha|hatt|få|fått)"),
    ("etterlyser", r"etterlyser|etterlyse|etterlyst"),
    ("må få", r"må\s+få"),
    ("ber om", r"(?:ber|bed)\s+om"),
)
CUES: Final[tuple[str, ...]] = tuple(name for name, _ in _CUE_FORMS)
_CUE = re.compile(
    "|".join(rf"(?P<c{i}>\b(?:{forms})\b)" for i, (_, forms) in enumerate(_CUE_FORMS)), re.IGNORECASE
)

# Not ``analysis.text.NEGATIONS``: that list has «uten»/«utan», which near a cue is no negation of it
# («vi trenger hjelp uten ventetid»), and lacks «inga» and «intet».
_NEGATIONS: Final[frozenset[str]] = _words("ikke ikkje inkje ingen inga ingi intet ingenting aldri")
# «ikke bare»/«ikkje berre» adds rather than negates: «vi trenger ikke bare boliger, men også jobber».
_NOT_NEGATING: Final[frozenset[str]] = _words("bare berre kun minst")
# A negation belongs to its own clause: «vi har ikke nok lærere, og vi trenger flere» states a need.
_CLAUSE_BREAK = re.compile(r"[,;:()–]|\b(?:men|og|så|fordi|derfor|mens|eller|samt|då|når)\b", re.IGNORECASE)
_TOKEN = re.compile(r"[\w-]+")
_NOT_A_NEED_AFTER = re.compile(r"\s+(?:(?:[\w-]+\s+)?velkommen|å\s+takke|å\s+takka|lykke)\b", re.IGNORECASE)


def _negated(sentence: str, cue: re.Match[str]) -> bool:
    clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(sentence, 0, cue.start())), default=0)
    clause_end = next((m.start() for m in _CLAUSE_BREAK.finditer(sentence, cue.end())), len(sentence))
    before = _TOKEN.findall(sentence, clause_start, cue.start())[-3:]
    after = _TOKEN.findall(sentence, cue.end(), clause_end)[:2]
    tokens = [t.lower() for t in (*before, *_TOKEN.findall(cue[0]), *after)]
    return any(
        token in _NEGATIONS and (i + 1 == len(tokens) or tokens[i + 1] not in _NOT_NEGATING)
        for i, token in enumerate(tokens)
    )


def _cue(sentence: str) -> str | None:
    for match in _CUE.finditer(sentence):
        if _negated(sentence, match):
            continue
        if _NOT_A_NEED_AFTER.match(sentence, match.end()):
            continue
        return _CUE_FORMS[int(str(match.lastgroup)[1:])][0]
    return None


def stated_needs(text: str) -> list[Need]:
    """The sentences of ``text`` that state a need, in order, masked; one ``Need`` per sentence, with
    the first cue in it that is not negated."""
    needs: list[Need] = []
    for sentence in split_sentences(mask(text)):
        cue = _cue(sentence)
        if cue is not None:
            needs.append(Need(sentence, cue))
    return needs


NO_THEME: Final = ""
"""The theme key of a stated need the classifier gave no theme."""


class Themed(Protocol):
    """Anything with theme codes: a stated need as its caller keeps it."""

    @property
    def themes(self) -> Sequence[str]: ...


ThemedNeed = TypeVar("ThemedNeed", bound=Themed)


def group_by_theme(
    needs: Iterable[ThemedNeed], group: Callable[[ThemedNeed], str]
) -> dict[str, dict[str, list[ThemedNeed]]]:
    """Stated needs per group (a region, a municipality) and theme, groups sorted, themes in ``CODES`` order.

    Each need has ``themes`` (its codes); one with several themes is listed under each, one with none
    under ``NO_THEME`` (last). ``group(need)`` names its group.
    """
    grouped: dict[str, dict[str, list[ThemedNeed]]] = {}
    for need in needs:
        themes = [code for code in CODES if code in need.themes] or [NO_THEME]
        by_theme = grouped.setdefault(group(need), {})
        for theme in themes:
            by_theme.setdefault(theme, []).append(need)
    order = {code: i for i, code in enumerate((*CODES, NO_THEME))}
    return {
        name: dict(sorted(themes.items(), key=lambda item: order[item[0]]))
        for name, themes in sorted(grouped.items())
    }
