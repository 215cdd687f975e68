"""Norwegian text offline: tokens, bokmål or nynorsk, lemmas, the lemmatiser as a scikit-learn transformer."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from analysis import text
from analysis.text import (
    NEGATIONS,
    STOPWORDS,
    LemmaTfidf,
    NorwegianLemmatizer,
    detect_language,
    lemma_string,
    lemmas,
    sentence_lemmas,
    tokenize,
)

# --- tokens --------------------------------------------------------------------------------------------


def test_tokenize_lowercases_and_drops_punctuation_and_bare_numbers() -> None:
    assert tokenize("Vi trenger 20 boliger, NÅ! Ring 22 33 44 55.") == [
        "vi",
        "trenger",
        "boliger",
        "nå",
        "ring",
    ]


def test_tokenize_keeps_norwegian_and_other_latin_letters() -> None:
    assert tokenize("Møteplass på Ål; Čáhcesuolu og Aurskog-Høland") == [
        "møteplass",
        "på",
        "ål",
        "čáhcesuolu",
        "og",
        "aurskog",
        "høland",
    ]


def test_tokenize_keeps_tokens_with_a_letter_and_splits_hyphens() -> None:
    assert tokenize("Norsk på B1-nivå i 2024, NAV-kontoret") == [
        "norsk",
        "på",
        "b1",
        "nivå",
        "i",
        "nav",
        "kontoret",
    ]


def test_tokenize_treats_composed_and_decomposed_letters_alike() -> None:
    assert tokenize("a\u030a") == tokenize("å") == ["å"]


# --- language ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Vi har ikke en plan for integrering, men vi ønsker å lage en.", "nb"),
        ("Me har ikkje ein plan for integrering, men me ønskjer å laga ein.", "nn"),
        ("Eg veit ikkje kva kommunen gjer no.", "nn"),
        ("Jeg vet ikke hva kommunen gjør nå.", "nb"),
        ("Kommunen treng fleire bustader, og det er mykje som manglar.", "nn"),
        ("Kommunen trenger flere boliger, og det er mye som mangler.", "nb"),
        ("Det er naudsynleg med fridom.", "nn"),  # -leg
        ("Det er nødvendig med frihet.", "nb"),  # -het
        ("Frivilligheita er viktig.", "nn"),  # -heita
        ("", "nb"),
        ("Kommunen.", "nb"),  # no markers at all
        ("ikke ikkje", "nb"),  # a tie goes to bokmål
    ],
)
def test_detect_language(answer: str, expected: str) -> None:
    assert detect_language(answer) == expected


# --- lemmas ------------------------------------------------------------------------------------------------


def test_lemmas_keep_negations_and_drop_stopwords() -> None:
    assert lemmas("Vi har ikke en plan, og ingen har laget den.") == ["ikke", "plan", "ingen", "lage"]
    assert lemmas("Me har ikkje nokon plan utan at dei aldri kjem.") == [
        "ikkje",
        "plan",
        "utan",
        "aldri",
        "kome",
    ]


def test_negations_are_never_stopwords_and_the_list_has_nynorsk_forms() -> None:
    assert not NEGATIONS & STOPWORDS
    assert {"og", "i", "det", "som", "eg", "ikkje"} - NEGATIONS <= STOPWORDS


def test_lemmas_in_both_written_standards_meet() -> None:
    assert lemmas("kommunene") == lemmas("kommunane") == ["kommune"]
    assert lemmas("møteplasser") == lemmas("møteplassar", "nn") == ["møteplass"]


def test_lemmas_fall_back_to_the_snowball_stem_for_unknown_words() -> None:
    # Neither dictionary knows it; the stem still joins its inflected forms.
    assert lemmas("zorblaxene") == lemmas("zorblaxane") == ["zorblax"]


def test_lemma_lookups_are_cached_per_token_and_language() -> None:
    lemmas("Frivilligsentralen driver språkkafé.")
    before = text._content_lemma.cache_info().hits
    lemmas("Frivilligsentralen driver språkkafé.")
    assert text._content_lemma.cache_info().hits >= before + 3


def test_lemma_string_joins_lemmas() -> None:
    assert lemma_string("Vi trenger flere boliger") == "trenge bolig"


def test_sentence_lemmas_split_at_sentence_ends_and_line_breaks_only() -> None:
    answer = "Vi trenger f.eks. flere boliger. Samarbeid er viktig!\n- språkkafé\n1. lærlingplass"
    assert sentence_lemmas(answer) == [
        ["trenge", "eks", "bolig"],
        ["samarbeid", "viktig"],
        ["språkkafé"],
        ["lærlingplass"],
    ]


def test_sentence_splitting_stays_linear_on_hostile_input() -> None:
    assert sentence_lemmas(". " * 50_000 + "Slutt") == [["slutt"]]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcæøå ÆØÅBC.!?,-\n12éx"), max_size=60))
def test_token_and_lemma_invariants(answer: str) -> None:
    tokens = tokenize(answer)
    assert all(token and token == token.lower() and not token.isnumeric() for token in tokens)
    found = lemmas(answer)
    assert not set(found) & STOPWORDS
    assert [lemma for sentence in sentence_lemmas(answer) for lemma in sentence] == found


# --- NorwegianLemmatizer ------------------------------------------------------------------------------

_STRING_OUTPUT = "the output is text, which this check compares as numbers"
EXPECTED_FAILED_CHECKS = {
    "check_fit1d": "a 1-D sequence of texts is this transformer's main input",
    "check_transformer_general": _STRING_OUTPUT,
    "check_transformer_data_not_an_array": _STRING_OUTPUT,
    "check_pipeline_consistency": _STRING_OUTPUT,
    "check_estimators_pickle": _STRING_OUTPUT,
    "check_methods_sample_order_invariance": _STRING_OUTPUT,
    "check_methods_subset_invariance": _STRING_OUTPUT,
    "check_fit_idempotent": _STRING_OUTPUT,
}


@parametrize_with_checks(  # type: ignore[untyped-decorator]
    [NorwegianLemmatizer(), NorwegianLemmatizer(lang="nn")],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_lemmatizer(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


ANSWERS = [
    "Vi har ikke en plan for frivillighet.",
    "Me treng fleire bustader.",
    "",
    "Biblioteket driver språkkafé og leksehjelp.",
]


def test_lemmatizer_turns_texts_into_lemma_strings_without_fitting() -> None:
    out = NorwegianLemmatizer().transform(ANSWERS)
    assert out.shape == (4,)
    assert list(out) == [
        "ikke plan frivillighet",
        "trenge bustad",
        "",
        "bibliotek drive språkkafé leksehjelp",
    ]


def test_lemmatizer_reads_text_columns_and_missing_cells() -> None:
    table = np.array([["Vi trenger boliger", None], [float("nan"), "Språkkafé"]], dtype=object)
    out = NorwegianLemmatizer().fit(table).transform(table)
    assert out.tolist() == [["trenge bolig", ""], ["", "språkkafé"]]


def test_lemmatizer_checks_its_parameter_and_input() -> None:
    with pytest.raises(ValueError, match="lang"):
        NorwegianLemmatizer(lang="sv").transform(ANSWERS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="single string"):
        NorwegianLemmatizer().transform("Vi trenger boliger")


def test_lemmatizer_is_the_same_after_pickling_and_whatever_the_order() -> None:
    lemmatizer = pickle.loads(pickle.dumps(NorwegianLemmatizer().fit(ANSWERS)))
    forward = lemmatizer.transform(ANSWERS)
    assert list(lemmatizer.transform(ANSWERS[::-1])) == list(forward[::-1])
    assert list(lemmatizer.transform(ANSWERS[1:3])) == list(forward[1:3])
    assert list(NorwegianLemmatizer().fit_transform(ANSWERS)) == list(forward)


def test_lemmatizer_feeds_a_vectorizer_in_a_pipeline() -> None:
    pipeline = make_pipeline(NorwegianLemmatizer(), TfidfVectorizer(token_pattern=r"\S+"))
    X = pipeline.fit_transform(ANSWERS)
    assert X.shape[0] == 4
    assert "språkkafé" in pipeline[-1].vocabulary_


# --- LemmaTfidf ---------------------------------------------------------------------------------------


def test_lemma_tfidf_equals_scikit_learns_tfidf() -> None:
    """The fast features are scikit-learn's TF-IDF, word (1–2 grams) and char_wb, just computed by word."""
    docs = [
        sentence_lemmas(answer) for answer in [*ANSWERS, "Kommunen trenger boliger. Boliger mangler!", "12"]
    ]
    features = LemmaTfidf(bigrams=True, char_ngrams=(3, 5)).fit(docs[:4])
    X = features.transform(docs)

    def words_and_bigrams(doc: list[list[str]]) -> list[str]:
        return [w for s in doc for w in s] + [f"{a} {b}" for s in doc for a, b in itertools.pairwise(s)]

    words = TfidfVectorizer(analyzer=words_and_bigrams, sublinear_tf=True).fit(docs[:4])
    joined = [" ".join(w for s in doc for w in s) for doc in docs]
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False)
    chars.fit(joined[:4])
    names = list(features.vocabulary_) + [f"{a} {b}" for a, b in features.bigrams_]
    expected_words = words.transform(docs)[:, [words.vocabulary_[name] for name in names]]
    assert features.chars_ is not None
    char_names = features.chars_.get_feature_names_out()
    expected_chars = chars.transform(joined)[:, [chars.vocabulary_[name] for name in char_names]]
    np.testing.assert_allclose(X[:, : len(names)].toarray(), expected_words.toarray(), atol=1e-12)
    np.testing.assert_allclose(X[:, len(names) :].toarray(), expected_chars.toarray(), atol=1e-12)


def test_lemma_tfidf_weighs_each_sentence_too() -> None:
    docs = [sentence_lemmas("Vi trenger boliger. Språkkafé hjelper."), [], sentence_lemmas("Boliger")]
    features = LemmaTfidf(bigrams=True, char_ngrams=None).fit(docs)
    by_doc, by_sentence, owners = features.transform_with_sentences(docs)
    assert by_doc.shape[0] == 3
    assert owners.tolist() == [0, 0, 2]
    np.testing.assert_allclose(np.linalg.norm(by_sentence.toarray(), axis=1), 1.0)
    assert by_doc[1].nnz == 0
