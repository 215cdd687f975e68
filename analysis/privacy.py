"""Personal data in Norwegian free text, found and masked offline before analysis and export.

Four kinds, each replaced by a placeholder that names what was there:

- ``fnr``: fødselsnummer and D-nummer, 11 digits (``DDMMYYIIIKK``, or ``DDMMYY IIIKK`` with a space or a
  dot), masked only when both mod-11 check digits hold and the first six digits can be a date (the day
  may carry +40 for a D-nummer, the month +40 or +80 for H-numbers and synthetic test numbers);
- ``phone``: Norwegian numbers, eight digits starting 2–9, written ``12345678``, ``12 34 56 78`` or
  ``123 45 678``, optionally after +47/0047, and not when they are part of a longer number or an amount;
- ``email``: e-mail addresses;
- ``name``: person names where that can be done reliably: the capitalised words right after a cue («rådgiver
  Kari Nordmann», «kontaktperson: Ola», «hilsen Per», «v/ Fatima»), or a run of capitalised words that
  starts with a common given name («Kari Nordmann», «Ahmed Ali Hassan»). A lone given name without a cue
  is left alone: «Per» and «Liv» are also words, and one first name rarely identifies anyone.

Names are where the false positives live, so capitalised words that are place names (municipalities,
counties), organisations and their parts («Røde Kors», «Frivilligsentralen», «NAV-kontoret»), role titles,
months, weekdays and function words never count as names.

``find`` reports what was found as (kind, start, end) spans and ``mask`` is built on it. ``mask`` is
idempotent, ``mask(mask(text)) == mask(text)``: every detector looks for its kind in the text with what
has been found so far replaced by a same-length stand-in with a placeholder's brackets, until nothing
more is found, so that it sees each neighbourhood the way a second pass over the masked text would.
``PersonalDataMasker`` wraps ``mask`` as a stateless scikit-learn transformer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal, get_args

from stop_words import get_stop_words

from analysis.estimators import TextTransformer

Kind = Literal["fnr", "phone", "email", "name"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
PLACEHOLDERS: Final[dict[Kind, str]] = {
    "fnr": "[fødselsnummer]",
    "phone": "[telefon]",
    "email": "[e-post]",
    "name": "[navn]",
}


@dataclass(frozen=True)
class Finding:
    """A span of personal data: ``text[start:end]`` is of the given kind."""

    kind: Kind
    start: int
    end: int


def _blank(view: str, start: int, end: int) -> str:
    """``view`` with a finding replaced by a stand-in of the same length, so that offsets hold, and
    with a placeholder's edges, so that the detectors after it see what they will see in masked text."""
    return view[:start] + "[" + "_" * (end - start - 2) + "]" + view[end:]


def _search_all(
    pattern: re.Pattern[str], view: str, accept: Callable[[str, re.Match[str]], bool] = lambda v, m: True
) -> Iterator[tuple[int, int]]:
    """The accepted matches of ``pattern``, each searched for with the ones before it blanked out: a
    match's neighbourhood is then the same in the text as in its masked form, which makes ``mask``
    idempotent («20000000+4720000000» is two phone numbers both times)."""
    pos = 0
    while (m := pattern.search(view, pos)) is not None:
        if accept(view, m):
            yield m.span()
            view = _blank(view, *m.span())
            pos = m.end()
        else:
            pos = m.start() + 1


# --- fødselsnummer and D-nummer ----------------------------------------------------------------------

_FNR_WEIGHTS_1: Final = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_WEIGHTS_2: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

_FNR = re.compile(r"(?<!\d)(\d{6})[ .\u00a0]?(\d{5})(?!\d)")


def _mod11(digits: list[int], weights: tuple[int, ...]) -> int | None:
    """The check digit for ``digits``, or None where none exists (remainder 1 gives 10)."""
    check = (11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11) % 11
    return None if check == 10 else check


def is_fnr(number: str) -> bool:
    """Whether ``number`` (11 digits, separators removed) is a fødselsnummer or D-nummer.

    Both check digits must hold (weights 3 7 6 1 8 9 4 5 2 and 5 4 3 2 7 6 5 4 3 2), and the first six
    digits must be a possible date: day 01–31, or 41–71 for a D-nummer; month 01–12, or +40 (H-number,
    NAV's synthetic numbers) or +80 (Skatteetaten's synthetic numbers). Day and month are not checked
    against each other: a «31st of February» is still masked.
    """
    if len(number) != 11 or not number.isascii() or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    day, month = int(number[0:2]), int(number[2:4])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    if not any(1 <= month - offset <= 12 for offset in (0, 40, 80)):
        return False
    return (
        _mod11(digits[:9], _FNR_WEIGHTS_1) == digits[9] and _mod11(digits[:10], _FNR_WEIGHTS_2) == digits[10]
    )


def _find_fnr(view: str) -> Iterator[tuple[int, int]]:
    return _search_all(_FNR, view, lambda v, m: is_fnr(m[1] + m[2]))


# --- phone numbers -------------------------------------------------------------------------------------

_SP = r"[ \u00a0]"
_PHONE = re.compile(
    # Not glued to another number: «1 234 56 789», «12 34 56 78 90» and «12345678.5» are not phone
    # numbers. A comma does not glue: «41234567,98765432» is two.
    r"(?<!\d)(?<!\d[ \u00a0.])"
    rf"(?:(?:\+|00)47{_SP}?)?"
    rf"(?:[2-9]\d{{7}}|[2-9]\d(?:{_SP}\d\d){{3}}|[2-9]\d\d{_SP}\d\d{_SP}\d{{3}})"
    r"(?!\d)(?![ \u00a0.]\d)"
)
_AMOUNT_BEFORE = re.compile(r"(?:\bkr\.?|\bkroner|\bnok|\bbeløp(?:et)?:?)\s*$", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(r"(?:\s*(?:kr\b|kroner\b|nok\b|mill)|,-|,00\b|\.-)", re.IGNORECASE)


def _is_phone(view: str, m: re.Match[str]) -> bool:
    # Eight-digit amounts («kr 25000000») have the shape of a phone number.
    return not (
        _AMOUNT_BEFORE.search(view, max(0, m.start() - 12), m.start()) or _AMOUNT_AFTER.match(view, m.end())
    )


def _find_phones(view: str) -> Iterator[tuple[int, int]]:
    return _search_all(_PHONE, view, _is_phone)


# --- e-mail addresses ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")


def _find_emails(view: str) -> Iterator[tuple[int, int]]:
    return _search_all(_EMAIL, view)


# --- person names -------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common given names in Norway (SSB's lists over the last decades, with names common among people with
# an immigrant background). Left out on purpose: given names that are also everyday capitalised words or
# place names, such as Mai, Vår, Sol, Ask, Storm.
GIVEN_NAMES: Final[frozenset[str]] = _words(
    """
    Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Anna Solveig Marianne Randi Ida Nina
    Maria Elisabeth Kristin Bente Heidi Silje Hanne Gro Ragnhild Tone Turid Marte Camilla Ellen Unni Hege
    Wenche Grete Grethe Sissel Torill Laila Line Anita Elin Mona Trine Kirsten Ingvild Karin Siri Ruth Gunn
    Lise Mari Linda Monica Monika Tove Åse Aud Sigrid Else Julie Kristine Ann Emma Nora Sara Sofie Thea
    Ingeborg Emilie Maja Olivia Leah Frida Ella Selma Hedda Tiril Amalie Mathilde Vilde Jenny Martine Malin
    Karoline Hanna Hannah Linnea Synnøve Guro Kjersti Torunn Jorunn Gunhild Margrethe Ingunn Eli Lene Stine
    Tonje Veronica Cecilie Charlotte Henriette Therese Helene Mette Ane Marthe Oda Astri Dagny Tuva Signe
    Ragna Oline Aurora Johanne Live Margit Kaja Vigdis Reidun Sunniva Eldbjørg Bodil Merete Janne Irene
    Jan Per Bjørn Ole Lars Kjell Knut Arne Svein Hans Geir Thomas Tor Morten Terje Odd Erik Martin Andreas
    John Anders Rune Trond Tore Jon Harald Olav Kristian Espen Stian Daniel Magnus Jonas Kristoffer Marius
    Even Eirik Øyvind Nils Gunnar Rolf Leif Kåre Einar Helge Frode Atle Petter Christian Fredrik Henrik
    Alexander Sander Mathias Sindre Håkon Emil Tobias Elias Jakob Jacob William Oliver Lucas Lukas Filip
    Noah Isak Aksel Theodor Johannes Sebastian Adrian Mats Vegard Kjetil Steinar Roger Tommy Ivar Vidar
    Arild Ketil Gaute Sverre Sigurd Audun Asbjørn Torbjørn Ola Steffen Jørgen Ove Dag Ragnar Sigmund Ståle
    Trygve Halvor Torstein Eivind Jens Peder Paul Pål Robert Kenneth Glenn Jørn Kai Øystein Simen Sondre
    Torgeir Vebjørn Erlend Amund Henning Hallvard Bård Brage Iver Ulrik Mikkel Magne Oskar Johan Karl Ludvig
    Mohammad Mohammed Muhammad Mohamed Mohamad Ahmed Ahmad Ali Hassan Hussein Husein Omar Abdi Abdullah
    Abdirahman Abdul Yusuf Ibrahim Mustafa Mahmoud Khalid Karim Tariq Bilal Hamza Amir Adam Samir Reza Hamid
    Jamal Nabil Rami Tarek Ayman Yonas Samuel Tesfaye Dawit Yosef Filmon Mahad Farah Nasir Jawad Farid Rahim
    Sayed Mehdi Hussain Imran Usman Arslan Faisal Zakaria Yasin Idris Abdulla Mohammadi Osman Mahmood
    Piotr Tomasz Krzysztof Marek Pawel Paweł Andrzej Jakub Michal Michał Mateusz Kamil Tomas Mantas Darius
    Oleksandr Andrii Dmytro Serhii Volodymyr Mykola Ivan Sergei Aleksandr Viktor Yurii Vasyl
    Fatima Aisha Amina Maryam Mariam Zainab Zahra Leila Layla Noor Nour Yasmin Hana Amal Huda Hodan Samira
    Nadia Rania Sana Sumaya Ikram Khadija Hawa Faduma Fadumo Asma Shirin Parisa Fatemeh Masoumeh Hamida
    Rahima Ayan Asha Hibaq Sahra Hamdi Habiba Aziza Malalai Nasrin Roya Shabnam Tigist Selam Senait Helen
    Agnieszka Katarzyna Magdalena Joanna Malgorzata Małgorzata Ewa Natalia Olga Irina Tatiana Svetlana
    Elena Oksana Yulia Olena Iryna Kateryna Anastasia Viktoria Daria Alina Aida Jelena Ana
    """
)

ROLE_CUES: Final[frozenset[str]] = _words(
    "rådgiver rådgjevar seniorrådgiver seniorrådgjevar spesialrådgiver spesialrådgjevar minoritetsrådgiver "
    "minoritetsrådgjevar programrådgiver integreringsrådgiver kontaktperson kontaktpersonen konsulent "
    "flyktningkonsulent bosettingskonsulent koordinator programkoordinator frivilligkoordinator "
    "saksbehandler saksbehandlar sakshandsamar leder leiar enhetsleder einingsleiar avdelingsleder "
    "avdelingsleiar fagleder fagleiar prosjektleder prosjektleiar virksomhetsleder verksemdsleiar "
    "programleder programleiar kommunalsjef kommunedirektør rådmann ordfører varaordfører veileder "
    "rettleiar lærer lærar sekretær"
)
_OTHER_CUES: Final[tuple[str, ...]] = (
    "daglig leder",
    "dagleg leiar",
    "ta kontakt med",
    "kontakt med",
    "snakk med",
    "snakke med",
    "tal med",
    "kontakt",
    "kontakte",
    "kontakta",
    "ring",
    "ringe",
    "spør",
    "spørre",
    "hilsen",
    "helsing",
    "mvh",
    "navn",
    "namn",
)
_CUE = re.compile(
    r"(?:(?<![\w\[])(?:"
    + "|".join(
        r"\s+".join(map(re.escape, cue.split()))
        for cue in sorted((*ROLE_CUES, *_OTHER_CUES), key=len, reverse=True)
    )
    + r")\b|(?<![\w/])(?:v/|c/o\b))"
    + r"(?:[ \t]*[:,\-–])?\s*",
    re.IGNORECASE,
)

# A cue that ends where a word starts: searched for only before capitalised words, in a window as long
# as any cue with its punctuation, rather than over the whole text (the pattern is long).
_CUE_ENDING = re.compile(f"(?:{_CUE.pattern})\\Z", re.IGNORECASE)
_CUE_WINDOW: Final = 80

_PLACES: Final[frozenset[str]] = _words(
    """
    Oslo Bergen Trondheim Stavanger Drammen Fredrikstad Kristiansand Sandnes Tromsø Sarpsborg Skien Ålesund
    Sandefjord Haugesund Tønsberg Moss Porsgrunn Bodø Arendal Hamar Larvik Halden Lillehammer Molde
    Kongsberg Gjøvik Horten Harstad Askøy Kongsvinger Ringerike Hønefoss Asker Bærum Lillestrøm Lørenskog
    Ullensaker Nittedal Rælingen Enebakk Aurskog-Høland Nes Eidsvoll Nannestad Hurdal Gjerdrum Lunner
    Jevnaker Hole Modum Eiker Lier Flå Nesbyen Gol Hemsedal Ål Hol Sigdal Krødsherad Flesberg Rollag Nore
    Uvdal Frogn Nesodden Ås Vestby Follo Østfold Våler Råde Rakkestad Marker Aremark Skiptvet Hvaler Viken
    Akershus Buskerud Innlandet Vestfold Telemark Agder Rogaland Vestland Trøndelag Nordland Troms Finnmark
    Hallingdal Numedal Romerike Valdres Norge Noreg Norden Europa Ukraina Syria Afghanistan Eritrea
    Somalia Polen Litauen Sverige Danmark Irak Iran
    """
)
_MONTHS_AND_DAYS: Final = _words(
    """
    januar februar mars april mai juni juli august september oktober november desember mandag måndag
    tirsdag tysdag onsdag torsdag fredag lørdag laurdag søndag sundag jul påske pinse
    """
)
_ORGANISATIONS: Final = _words(
    """
    røde kors redd barna kirkens bymisjon norsk norske norges noregs statens nasjonal nasjonalt frelsesarmeen
    caritas husbanken bufetat bufdir imdi statsforvaltaren statsforvalteren fylkesmannen skatteetaten
    politiet kompetanse helse integrering inkludering mangfold frivillighet frivillig frivillige
    introduksjonsprogrammet vennlig venleg beste hilsen helsing mvh nordre søndre indre ytre vestre østre
    øvre nedre
    """
)
_NOT_NAMES: Final[frozenset[str]] = frozenset(
    {p.lower() for p in _PLACES}
    | _MONTHS_AND_DAYS
    | _ORGANISATIONS
    | ROLE_CUES
    | {w for cue in _OTHER_CUES for w in cue.split()}
    | set(get_stop_words("norwegian"))
) - {name.lower() for name in GIVEN_NAMES}
_ORGANISATION_SUFFIX = re.compile(
    r"(?:sentral|sentralen|senter|senteret|sentret|kontor|kontoret|tjeneste|tjenesten|teneste|tenesta|"
    r"skole|skolen|skule|skulen|bibliotek|biblioteket|kommune|kommunen|kommunes|fylke|fylket|etat|etaten|"
    r"vakt|vakten|vakta|stasjon|stasjonen|huset|lag|laget|forening|foreningen|foreininga|forbund|"
    r"forbundet|avdeling|avdelingen|avdelinga|enhet|enheten|eining|eininga|direktorat|direktoratet|"
    r"departement|departementet|rådet|utvalg|utvalget|nettverk|nettverket|program|programmet|gruppa|"
    r"gruppen|kirke|kirken|kyrkje|kyrkja|moské|moskeen|moskéen|bank|banken|klubb|klubben|prosjekt|"
    r"prosjektet|barnehage|barnehagen|sykehus|sykehuset|sjukehus|sjukehuset|opplæring|opplæringen|"
    r"opplæringa|vernet|universitet|universitetet|høgskole|høgskolen|høgskule|høgskulen|institutt|"
    r"instituttet|stiftelse|stiftelsen|misjon|misjonen|folkehjelp|armeen|forvalteren|forvaltaren|regionen)$"
)
# «Rådgiveren», «lærarane», «konsulentene»: a role title inflected is still no name.
_ROLE_INFLECTION = re.compile(r"(?:en|et|a|ne|ane|ene|e|ar|er)$")
# A name followed by one of these is a place: «Sauda kommune», «Grünerløkka bydel».
_PLACE_AFTER = re.compile(r"[ \t\u00a0]+(?:kommune|kommunes|fylkeskommune|fylke|bydel|sentrum|stasjon)\b")

_WORD = re.compile(r"(?<![\w@])[^\W\d_]+(?:[-'’][^\W\d_]+)*(?![\w@])")
_RUN_GAP = re.compile(r"[ \t\u00a0]+")
_MAX_NAME_WORDS: Final = 4


_NAME_PARTS: Final = re.compile(r"[-'’]")


def _is_capitalised(word: str) -> bool:
    """«Kari», «Anne-Lise», «O'Brien»: each part upper-case first and lower-case after, not «NAV»."""
    parts = _NAME_PARTS.split(word)
    return any(c.islower() for c in word) and all(p[0].isupper() and p[1:] == p[1:].lower() for p in parts)


def _is_given_name(word: str) -> bool:
    return word in GIVEN_NAMES or _NAME_PARTS.split(word, maxsplit=1)[0] in GIVEN_NAMES


def _can_be_name(word: str) -> bool:
    """A capitalised word that is not a place, an organisation, a title, a date or a function word."""
    if not _is_capitalised(word):
        return False
    if _is_given_name(word):
        return True
    lower = word.lower()
    return not (
        lower in _NOT_NAMES
        or any(part in _NOT_NAMES for part in _NAME_PARTS.split(lower))
        or _ORGANISATION_SUFFIX.search(lower) is not None
        or _ROLE_INFLECTION.sub("", lower) in ROLE_CUES
    )


def _find_names(view: str) -> Iterator[tuple[int, int]]:
    words = list(_WORD.finditer(view))
    i = 0
    while i < len(words):
        word = words[i]
        if not word[0][0].isupper():  # most words; a name is capitalised (see _can_be_name)
            i += 1
            continue
        after_cue = _CUE_ENDING.search(view, max(0, word.start() - _CUE_WINDOW), word.start()) is not None
        if not (after_cue or _is_given_name(word[0])) or not _can_be_name(word[0]):
            i += 1
            continue
        j = i + 1
        while (
            j < len(words)
            and j - i < _MAX_NAME_WORDS
            and _RUN_GAP.fullmatch(view, words[j - 1].end(), words[j].start())
            and _can_be_name(words[j][0])
        ):
            j += 1
        # Without a cue, a given name needs a second name to be a person: «Per» alone is also a word.
        if (after_cue or j - i >= 2) and not _PLACE_AFTER.match(view, words[j - 1].end()):
            yield word.start(), words[j - 1].end()
            i = j
        else:
            i += 1


# --- putting it together ------------------------------------------------------------------------------

# In the order they run: an e-mail address can hold digits and names, a fødselsnummer has the shape of
# a longer number a phone number must not be part of.
_DETECTORS: Final[tuple[tuple[Kind, Callable[[str], Iterator[tuple[int, int]]]], ...]] = (
    ("email", _find_emails),
    ("fnr", _find_fnr),
    ("phone", _find_phones),
    ("name", _find_names),
)


def _check_kinds(kinds: Collection[str]) -> None:
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds of personal data {sorted(unknown)}; expected some of {list(KINDS)}")


def find(text: str, kinds: Iterable[Kind] = KINDS) -> list[Finding]:
    """The personal data in ``text``, as non-overlapping spans in text order.

    ``kinds`` limits the search (default: all of ``KINDS``). The detectors run in the order e-mail,
    fødselsnummer, phone, name, each on the text with the findings so far blanked out, and run again
    until a round finds nothing more: a finding can change what its neighbours look like («x@y.no»
    followed by digits is no address until the digits are a placeholder).
    """
    wanted = frozenset(kinds)
    _check_kinds(wanted)
    view = text
    findings: list[Finding] = []
    while True:
        before = len(findings)
        for kind, detector in _DETECTORS:
            if kind in wanted:
                for start, end in list(detector(view)):
                    findings.append(Finding(kind, start, end))
                    view = _blank(view, start, end)
        if len(findings) == before:
            return sorted(findings, key=lambda f: (f.start, f.end))


def mask(text: str, kinds: Iterable[Kind] = KINDS) -> str:
    """``text`` with each finding of ``find`` replaced by its placeholder («[fødselsnummer]», «[telefon]»,
    «[e-post]», «[navn]»). Idempotent: ``mask(mask(text)) == mask(text)``."""
    out = text
    for finding in reversed(find(text, kinds)):
        out = out[: finding.start] + PLACEHOLDERS[finding.kind] + out[finding.end :]
    return out


# --- scikit-learn -------------------------------------------------------------------------------------


class PersonalDataMasker(TextTransformer):
    """Texts in, masked texts out (see ``mask``); learns nothing.

    Parameters
    ----------
    kinds : tuple of {"fnr", "phone", "email", "name"}, default=all four
        The kinds of personal data to mask.

    ``transform`` takes a 1-D sequence of texts and returns a 1-D object array of masked texts, or a 2-D
    array of text columns and returns an array of the same shape. None and NaN cells become ""; other
    non-text cells are read as their ``str``. Fitted on 2-D input, it remembers the number of columns
    (``n_features_in_``) and refuses another shape.
    """

    def __init__(self, kinds: tuple[Kind, ...] = KINDS) -> None:
        self.kinds = kinds

    def _check_params(self) -> None:
        if isinstance(self.kinds, str) or not isinstance(self.kinds, Collection):
            raise ValueError(f"kinds must be a tuple of kinds of personal data, got {self.kinds!r}")
        _check_kinds(self.kinds)

    def _text(self, text: str) -> str:
        return mask(text, self.kinds)
