"""The demo speaks each municipality's written standard: its register says which, and its synthetic
answers from a nynorsk municipality are written in nynorsk.

The check is Debian's official-norm dictionaries (hunspell nb_NO and nn_NO): a word the nynorsk dictionary
does not know is usually bokmål. Compounds and names the dictionaries lack are listed, each reviewed.
"""

from __future__ import annotations

import random
import re
import subprocess

import pytest

from survey_app.questionnaires import parse
from survey_app.services import demo, register
from tests.factories import SMALL_QUESTIONNAIRE

# Words the dictionaries lack that are right as written: compounds and names.
KNOWN = {
    "nb": {
        "Frivillighetskoordinator",
        "Frivilligsentralen",
        "Minoritetsrådgiveren",
        "kombinasjonsprogram",
        "nettverkssamlinger",
        "samskaping",
        "æresrelatert",
        "tilskuddsordning",
        "busstilbud",
        "Boligsituasjonen",
        "kollektivtransport",
        "kveldstid",
        "trossamfunn",
        "noe",  # standard bokmål, missing from this nb_NO
    },
    "nn": {
        "Frivilligheitskoordinator",
        "Frivilligsentralen",
        "Minoritetsrådgivaren",
        "kombinasjonsprogram",
        "nettverkssamlingar",
        "samskaping",
        "æresrelatert",
        "busstilbod",
        "Bustadsituasjonen",
        "tilskotsordninga",
        "kollektivtransport",
        "kveldstid",
        "trussamfunn",
    },
}
DICTIONARY = {"nb": "nb_NO", "nn": "nn_NO"}


def unknown_words(texts: list[str], lang: str) -> set[str]:
    words = "\n".join(re.findall(r"[^\W\d_]+", " ".join(texts)))
    out = subprocess.run(
        ["hunspell", "-d", DICTIONARY[lang], "-l"], input=words, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split()) - KNOWN[lang] - {"NAV"}


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_the_demos_free_text_is_in_one_written_standard(lang: str) -> None:
    sample, uncovered = demo.FREE_TEXTS[lang]
    texts = [*sample, *uncovered, *demo.ROLES[lang], demo.OTHER_TEXT[lang]]
    assert unknown_words(texts, lang) == set()


def composed_of(text: str, parts: set[str]) -> bool:
    for part in sorted(parts, key=len, reverse=True):
        text = text.replace(part, "")
    return not text.strip()


def test_synthetic_answers_follow_the_municipalitys_written_standard() -> None:
    definition = parse(SMALL_QUESTIONNAIRE)
    for lang in ("nb", "nn"):
        sample, uncovered = demo.FREE_TEXTS[lang]
        own = {*sample, *uncovered, *demo.ROLES[lang], demo.OTHER_TEXT[lang]}
        values = demo.synthetic_answers(definition, random.Random(7), lang=lang)
        texts = [values["kommentar"], values["stilling"]]
        assert all(isinstance(t, str) and composed_of(t, own) for t in texts), (lang, texts)


def test_the_register_file_says_which_municipalities_write_nynorsk() -> None:
    rows = register.parse_register(register.SHIPPED_REGISTER.read_text(encoding="utf-8"))
    assert sorted(r.name for r in rows if r.malform == "nn") == ["Hemsedal", "Hol", "Ål"]
    # Without the column, nothing is guessed from the number: bokmål.
    (row,) = register.parse_register("kommunenummer,name,region\n3043,Ål,Hallingdal\n")
    assert row.malform == "nb"
