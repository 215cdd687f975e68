"""Stated needs: sentences, cues in bokmål and nynorsk, negations, and masking of what is quoted back."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.needs import CUES, NO_THEME, Need, group_by_theme, split_sentences, stated_needs
from analysis.privacy import mask

# --- sentences ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Vi trenger tolk. Det haster! Hva gjør vi? Ingen vet…",
            ["Vi trenger tolk.", "Det haster!", "Hva gjør vi?", "Ingen vet…"],
        ),
        ("Vi trenger f.eks. tolk. Neste setning.", ["Vi trenger f.eks. tolk.", "Neste setning."]),
        (
            "Det gjelder bl.a. Frivilligsentralen og dvs. alle. Slutt.",
            ["Det gjelder bl.a. Frivilligsentralen og dvs. alle.", "Slutt."],
        ),
        (
            "Vi treng t.d. fleire lærarar, m.a. i norsk. Det hastar.",
            ["Vi treng t.d. fleire lærarar, m.a. i norsk.", "Det hastar."],
        ),
        (
            "Det kostet ca. 30 000 kr. i fjor, jf. pkt. 3 og kap. 2.",
            ["Det kostet ca. 30 000 kr. i fjor, jf. pkt. 3 og kap. 2."],
        ),
        ("Vi bruker f. eks. bibliotek. Det fungerer.", ["Vi bruker f. eks. bibliotek.", "Det fungerer."]),
        ("Møtet er 17. mai. Det er 2. gang.", ["Møtet er 17. mai.", "Det er 2. gang."]),
        ("Ta kontakt med K. Nordmann. Hun vet.", ["Ta kontakt med K. Nordmann.", "Hun vet."]),
        ("Vi har bøker, spill osv. Det er bra.", ["Vi har bøker, spill osv.", "Det er bra."]),
        ("Vi har bøker osv. og spill.", ["Vi har bøker osv. og spill."]),
        ("Det kostet 100 kr. Neste år mer.", ["Det kostet 100 kr.", "Neste år mer."]),
        ("«Vi trenger mer.» Sa de.", ["«Vi trenger mer.»", "Sa de."]),
        ("Versjon 2.5 er ute. Bra.", ["Versjon 2.5 er ute.", "Bra."]),
        ("Vi trenger tolk\nVi mangler bolig", ["Vi trenger tolk", "Vi mangler bolig"]),
        ("Vi trenger tolk som\nkan dari", ["Vi trenger tolk som kan dari"]),
        ("Første avsnitt\n\n  Andre   avsnitt  ", ["Første avsnitt", "Andre avsnitt"]),
        ("Vi trenger:\n- tolk\n- bolig\nDet var alt.", ["Vi trenger: - tolk - bolig", "Det var alt."]),
        (
            "- Vi trenger tolk\n- Vi mangler bolig\n1. Vi ønsker kurs",
            ["Vi trenger tolk", "Vi mangler bolig", "Vi ønsker kurs"],
        ),
        ("Windows\r\nLinjer\rMac", ["Windows", "Linjer", "Mac"]),
        ("", []),
        ("  \n \n", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def _no_bullets(words: list[str]) -> list[str]:
    return [w for w in words if not re.fullmatch(r"[-*•–·]|\d{1,2}[.)]|[a-zæøå]\)", w)]


@given(st.text())
def test_split_sentences_loses_no_word_but_list_bullets(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == " ".join(s.split()) for s in sentences)
    assert _no_bullets(" ".join(sentences).split()) == _no_bullets(text.split())


# --- needs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("Vi trenger flere boliger.", "vi trenger"),
        ("I år trenger vi en ny plan for kvalifisering.", "vi trenger"),
        ("Kommunen trenger hjelp med statistikk.", "vi trenger"),
        ("Flyktningene trenger mer oppfølging.", "trenger mer"),
        ("Det trengs flere praksisplasser.", "trengs"),
        ("Det er stort behov for norskopplæring.", "behov for"),
        ("Vi har behov for tolk.", "behov for"),
        ("Behovet for tolk er stort.", "behov for"),
        ("Vi mangler praksisplasser.", "mangler"),
        ("Det er mangel på boliger.", "mangler"),
        ("Vi ønsker et nettverk for minoritetsrådgivere.", "ønsker"),
        ("Det er et ønske om felles kurs.", "ønske om"),
        ("Vi savner oppfølging fra fylket.", "savner"),
        ("Vi skulle gjerne hatt en kontaktperson.", "skulle gjerne hatt"),
        ("Vi vil gjerne ha mer veiledning.", "vil gjerne ha"),
        ("Vi etterlyser bedre rutiner.", "etterlyser"),
        ("Vi må få på plass en plan.", "må få"),
        ("Vi ber om et møte.", "ber om"),
    ],
)
def test_bokmal_cues(sentence: str, cue: str) -> None:
    assert stated_needs(sentence) == [Need(sentence, cue)]


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("Me treng meir samarbeid med fylkeskommunen.", "vi trenger"),
        ("I år treng vi fleire bustader.", "vi trenger"),
        ("Vi har trong for fleire lærarar.", "behov for"),
        ("Det er behov for tolk i kommunen.", "behov for"),
        ("Vi manglar praksisplassar.", "mangler"),
        ("Vi ønskjer eit nettverk.", "ønsker"),
        ("Vi ynskjer betre rutinar.", "ønsker"),
        ("Vi saknar oppfølging frå fylket.", "savner"),
        ("Det er eit ønskje om felles kurs.", "ønske om"),
        ("Vi bed om eit møte.", "ber om"),
    ],
)
def test_nynorsk_cues(sentence: str, cue: str) -> None:
    assert stated_needs(sentence) == [Need(sentence, cue)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Vi trenger ikke flere kurs.",
        "Trenger vi egentlig ikke mer?",
        "Kommunen har ikke behov for mer veiledning.",
        "Det er ingen behov for det.",
        "Vi har ikke noe behov for tolk.",
        "Vi mangler ikke vilje.",
        "Vi ønsker ikke flere møter.",
        "Vi trenger ingen flere planer.",
        "Me treng ikkje fleire kurs.",
        "Vi manglar ikkje vilje.",
        "Det er ikkje behov for meir.",
        "Vi har inga trong for det.",
        "Vi saknar ingenting.",
    ],
)
def test_negated_cues_are_no_needs(sentence: str) -> None:
    assert stated_needs(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("Vi trenger ikke bare boliger, men også jobber.", "vi trenger"),
        ("Me treng ikkje berre bustader.", "vi trenger"),
        ("Vi har ikke nok lærere, og vi trenger flere.", "vi trenger"),
        ("Vi trenger ikke flere kurs, men vi mangler praksisplasser.", "mangler"),
        ("Vi trenger hjelp uten ventetid.", "vi trenger"),
    ],
)
def test_negation_stays_in_its_clause(sentence: str, cue: str) -> None:
    assert stated_needs(sentence) == [Need(sentence, cue)]


@pytest.mark.parametrize(
    "text",
    [
        "Vi ønsker dere velkommen til møtet.",
        "Vi ønsker å takke alle frivillige.",
        "Samarbeidet fungerer godt.",
        "Vi har en plan for integrering.",
        "",
    ],
)
def test_sentences_without_a_need(text: str) -> None:
    assert stated_needs(text) == []


def test_several_needs_in_one_text_in_order() -> None:
    text = (
        "Samarbeidet fungerer godt. Vi trenger likevel flere praksisplasser, f.eks. i helse.\n"
        "Vi trenger ikke flere kurs.\n"
        "- Vi mangler tolk\n"
        "- Me treng fleire bustader\n\n"
        "Det er bl.a. behov for norskopplæring på kveldstid."
    )
    assert stated_needs(text) == [
        Need("Vi trenger likevel flere praksisplasser, f.eks. i helse.", "vi trenger"),
        Need("Vi mangler tolk", "mangler"),
        Need("Me treng fleire bustader", "vi trenger"),
        Need("Det er bl.a. behov for norskopplæring på kveldstid.", "behov for"),
    ]


def test_one_need_per_sentence_with_its_first_cue() -> None:
    assert stated_needs("Vi mangler tolk og ønsker kurs.") == [
        Need("Vi mangler tolk og ønsker kurs.", "mangler")
    ]


def test_quoted_needs_are_masked() -> None:
    text = "Vi trenger mer hjelp. Kontakt rådgiver Kari Nordmann på 412 34 567 eller kari@lier.kommune.no, vi savner svar."
    assert stated_needs(text) == [
        Need("Vi trenger mer hjelp.", "vi trenger"),
        Need("Kontakt rådgiver [navn] på [telefon] eller [e-post], vi savner svar.", "savner"),
    ]


def test_cases_and_word_boundaries() -> None:
    assert stated_needs("VI TRENGER HJELP.") == [Need("VI TRENGER HJELP.", "vi trenger")]
    # «mangler» inside a longer word, «ber om» inside «leber omsorg»: no cue.
    assert stated_needs("Manglerud skole og Leber omsorg.") == []


def test_every_cue_is_tested() -> None:
    assert set(CUES) == {
        "vi trenger",
        "trenger mer",
        "trengs",
        "behov for",
        "mangler",
        "savner",
        "ønsker",
        "ønske om",
        "skulle gjerne hatt",
        "vil gjerne ha",
        "etterlyser",
        "må få",
        "ber om",
    }


@given(st.text())
def test_stated_needs_are_masked_sentences_of_the_text(text: str) -> None:
    sentences = split_sentences(mask(text))
    assert all(need.sentence in sentences and need.cue in CUES for need in stated_needs(text))


@dataclass(frozen=True)
class _Need:
    region: str
    themes: list[str]
    sentence: str


def test_needs_are_grouped_by_region_and_theme() -> None:
    needs = [_Need("Vest", ["samarbeid", "plan"], "a"), _Need("Øst", [], "b"), _Need("Vest", ["plan"], "c")]
    grouped = group_by_theme(needs, lambda n: n.region)
    assert list(grouped) == ["Vest", "Øst"]  # groups sorted
    # Themes in codebook order whatever the order of a need's codes; a two-theme need under both.
    assert {t: [n.sentence for n in found] for t, found in grouped["Vest"].items()} == {
        "plan": ["a", "c"],
        "samarbeid": ["a"],
    }
    assert list(grouped["Vest"]) == ["plan", "samarbeid"]
    assert grouped["Øst"] == {NO_THEME: [needs[1]]}
    assert group_by_theme([], lambda n: "") == {}
