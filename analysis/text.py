"""Norwegian free text, offline: tokens, bokmål or nynorsk, lemmas without stopwords.

Everything here runs without downloads: nltk's ``RegexpTokenizer`` and Snowball stemmer, simplemma's
``nb``/``nn`` dictionaries and the ``stop-words`` package. Negations are never dropped as stopwords,
because «vi har ikke en plan» and «vi har en plan» must not look alike to anything downstream.

``lemmas`` (and ``sentence_lemmas``, the same per sentence) is what the rest of ``analysis`` reads;
``NorwegianLemmatizer`` wraps it as a stateless scikit-learn transformer (texts in, space-joined lemmas
out) for pipelines, and ``LemmaTfidf`` turns lemmas into the theme classifier's features, fast enough
for 100,000 answers. Everything that is looked up per word is cached per word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise, repeat
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from nltk import redos
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from numpy.typing import NDArray
from simplemma import Lemmatizer
from sklearn.feature_extraction.text import CountVectorizer
from stop_words import get_stop_words

from analysis.estimators import TextTransformer

Language = Literal["nb", "nn"]

# Words, not numbers: tokens are runs of letters and digits, and the ones without a letter are dropped,
# so «B1» and «a2-nivå» survive while years, counts, phone numbers and fødselsnummer do not. Numbers in
# free text are noise to the theme coder and can be personal data. Hyphens and apostrophes split words:
# «NAV-kontoret» gives «nav» and «kontoret», both useful.
_WORD_PATTERN = r"[^\W_]+"


class _TrustedRegexpTokenizer(RegexpTokenizer):  # type: ignore[misc]
    """nltk's ``RegexpTokenizer`` without the per-match time limit, for a pattern we wrote.

    nltk runs caller-supplied patterns under a wall-clock guard against catastrophic backtracking; it
    costs about two thirds of the tokenising time, and our patterns cannot backtrack (single character
    classes, one bounded look-ahead). nltk documents ``timeout=None`` as the switch for trusted patterns;
    ``RegexpTokenizer`` has no parameter for it, hence the override. Should nltk rename the hook, the
    guard simply comes back: slower, never wrong.
    """

    _regexp: Any

    def _check_regexp(self) -> None:
        if self._regexp is None:
            self._regexp = redos.compile(self._pattern, self._flags, timeout=None)


_TOKENIZER = _TrustedRegexpTokenizer(_WORD_PATTERN)
# Words and sentence breaks in one pass: a break is end punctuation before a capital (so «f.eks. at»
# stays one sentence) or a line break (answers are often lists). The look-ahead is bounded, so the
# pattern stays linear on any input; nltk's pattern engine knows \p{Lu}, capitals of any alphabet.
_SEGMENTER = _TrustedRegexpTokenizer(r"[^\W_]+|[.!?](?=[\s«»\"'(\-–]{1,4}\p{Lu})|\n")
_BREAKS = frozenset(".!?\n")

NEGATIONS: frozenset[str] = frozenset(
    {"ikke", "ikkje", "inkje", "ingen", "ingi", "ingenting", "aldri", "uten", "utan"}
)
"""Kept even though the stop-word list has some of them: polarity matters."""

STOPWORDS: frozenset[str] = frozenset(get_stop_words("norwegian")) - NEGATIONS


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


NON_ANSWER: frozenset[str] = NEGATIONS | _word_set(
    """vite usikker uviss kommentar kommentere aktuell relevant ta stilling ennå enno foreløpig førebels
    melde tilføye legge formening meining mening oversikt nei ja ok svar svare ukjent spesiell særskilt"""
)
"""Lemmas of answers that say there is no answer: «Vet ikke», «Eg veit ikkje», «Ingen kommentar»,
«Ikkje aktuelt», «Har ikke tatt stilling til det ennå». An answer of these words alone names no theme."""

# Function words that differ between the two written standards. Content words that differ (skule,
# busetjing) are too many to list and too rare per answer to add much.
_NYNORSK_MARKERS = _word_set(
    """ikkje inkje eg me kva korleis kven kvifor kvar kvart dei deira dykk frå no berre heile desse ein
    eit eitt mykje vere vore fleire gjer høyrer saman òg noko nokon nokre noka medan sidan difor meir
    eigen eige eigne heime hjå sjølv vart verte treng ynskjer ønskjer tilsette skule skular skulen
    vidaregåande tilbod"""
)
_BOKMAL_MARKERS = _word_set(
    """ikke jeg hva hvordan hvem hvorfor hver hvert de deres dere fra nå bare hele disse en et ett mye
    være vært flere gjør hører sammen noe noen mens siden derfor mer egen eget egne hjemme selv ble
    trenger ønsker ansatte skole skoler skolen videregående tilbud"""
)
# Derivational suffixes that give the standard away: -leg/-heit (nynorsk), -lig/-het (bokmål).
_NYNORSK_SUFFIXES = ("leg", "lege", "legt", "heit", "heita", "heiter")
_BOKMAL_SUFFIXES = ("lig", "lige", "ligt", "het", "heten", "heter")

_OTHER: dict[Language, Language] = {"nb": "nn", "nn": "nb"}
_STEMMER = SnowballStemmer("norwegian")


class _SnowballFallback:
    """simplemma's last resort: the Snowball stem instead of the token as it stands.

    simplemma calls this only when neither its dictionaries nor its affix rules know the token in any of
    the languages asked, so known words keep their dictionary lemma and unknown inflected words
    («bosettingsvedtaket», «språkpraksisen») still meet their other forms at a common stem.
    """

    __slots__ = ()

    def get_lemma(self, token: str, lang: str) -> str:
        return str(_STEMMER.stem(token))


# No cache inside simplemma: ``_content_lemma`` below caches the whole decision, stem included.
_LEMMATIZER = Lemmatizer(cache_max_size=0, fallback_lemmatization_strategy=_SnowballFallback())


def _words(text: str) -> list[str]:
    """Lowercase runs of letters and digits, numbers included (``_content_lemma`` drops them)."""
    return _TOKENIZER.tokenize(unicodedata.normalize("NFC", text).lower())  # type: ignore[no-any-return]


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens of ``text``: letters (any alphabet) and digits with at least one letter.

    Punctuation, whitespace and bare numbers are dropped; hyphens and apostrophes split words.
    """
    return [token for token in _words(text) if not token.isnumeric()]


@lru_cache(maxsize=1 << 18)
def _marker(token: str) -> int:
    if token in _NYNORSK_MARKERS or token.endswith(_NYNORSK_SUFFIXES):
        return 1
    if token in _BOKMAL_MARKERS or token.endswith(_BOKMAL_SUFFIXES):
        return -1
    return 0


def _detect(tokens: list[str]) -> Language:
    return "nn" if sum(map(_marker, tokens)) > 0 else "nb"


def detect_language(text: str) -> Language:
    """«nn» when ``text`` has more nynorsk than bokmål markers, otherwise «nb» (also for empty text).

    Markers are function words that differ between the standards (ikkje/ikke, eg/jeg, frå/fra, …) and
    the suffixes -leg/-lig and -heit/-het; each occurrence counts once.
    """
    return _detect(_words(text))


@lru_cache(maxsize=1 << 18)
def _content_lemma(token: str, lang: Language) -> str:
    """The lemma of a content word, or "" for a stopword, a number or a one-letter word.

    Cached on (token, lang): with a few tens of thousands of distinct words in any real corpus, almost
    every call in a large batch is a cache hit.
    """
    if len(token) < 2 or token in STOPWORDS or token.isnumeric():
        return ""
    # The other standard second: a nynorsk answer often uses words only the bokmål dictionary knows.
    lemma = _LEMMATIZER.lemmatize(token, (lang, _OTHER[lang])).lower()
    return "" if lemma in STOPWORDS else lemma


def lemmas(text: str, lang: Language | None = None) -> list[str]:
    """Content-word lemmas of ``text`` in order: stopwords and one-letter words out, negations kept.

    ``lang`` is detected per text when not given. Each token gets simplemma's lemma in that standard,
    then in the other; a token neither knows gets its Snowball stem. A word is a stopword when either
    its surface form or its lemma is on the ``stop-words`` Norwegian list (which has nynorsk forms).
    """
    words = _words(text)
    language = lang if lang is not None else _detect(words)
    return [lemma for lemma in map(_content_lemma, words, repeat(language)) if lemma]


def says_nothing(sentences: Iterable[Iterable[str]]) -> bool:
    """Whether lemmatised text (``lemmas`` or ``sentence_lemmas``) has no content words, or only those of
    a non-answer (``NON_ANSWER``)."""
    return all(lemma in NON_ANSWER for sentence in sentences for lemma in sentence)


def lemmas_batch(texts: Iterable[str], lang: Language | None = None) -> list[list[str]]:
    """``lemmas`` of each text, for a batch (the form the theme and topic models take)."""
    return [lemmas(text, lang) for text in texts]


@lru_cache(maxsize=1 << 18)
def _segment_lemma(token: str, lang: Language) -> str:
    return "\n" if token in _BREAKS else _content_lemma(token, lang)


def sentence_lemmas(text: str, lang: Language | None = None) -> list[list[str]]:
    """``lemmas`` per sentence of ``text``, sentences without content words left out.

    The written standard is detected once, on the whole text. Concatenated, the sentences give
    exactly ``lemmas(text)``.
    """
    tokens = list(map(str.lower, _SEGMENTER.tokenize(unicodedata.normalize("NFC", text))))
    language = lang if lang is not None else _detect(tokens)
    # Joined and split by C string methods rather than a Python loop: this runs on every answer.
    joined = " ".join(map(_segment_lemma, tokens, repeat(language)))
    return [sentence for part in joined.split("\n") if (sentence := part.split())]


def lemma_string(text: str, lang: Language | None = None) -> str:
    """``lemmas`` joined by single spaces: the form vectorizers read."""
    return " ".join(lemmas(text, lang))


class NorwegianLemmatizer(TextTransformer):
    """Texts in, space-joined lemmas out (see ``lemmas``); learns nothing.

    Parameters
    ----------
    lang : {"nb", "nn"} or None, default=None
        The written standard of every text; None detects it per text.

    ``transform`` takes a 1-D sequence of texts and returns a 1-D object array of lemma strings, or a
    2-D array of text columns and returns an array of the same shape. None and NaN cells become "";
    numbers are read as their ``str`` (and so, having no letters, give ""). Fitted on 2-D input, it
    remembers the number of columns (``n_features_in_``) and refuses another shape.
    """

    def __init__(self, lang: Language | None = None) -> None:
        self.lang = lang

    def _check_params(self) -> None:
        if self.lang not in (None, "nb", "nn"):
            raise ValueError(f"lang must be None, 'nb' or 'nn', got {self.lang!r}")

    def _text(self, text: str) -> str:
        return lemma_string(text, self.lang)


# --- Features for the theme classifier -----------------------------------------------------------


class LemmaTfidf:
    """TF-IDF over lemmas (and lemma bigrams) next to TF-IDF over character n-grams inside lemmas.

    Documents come as lists of sentences (``sentence_lemmas``); bigrams never cross a sentence break.
    ``transform`` can weigh each sentence too, from the same counts, for scoring sentence by sentence.

    Built for large batches: a batch is indexed by distinct word in one pass over its tokens; bigrams,
    unigrams and character n-grams then come from integer arrays and sparse products, so the n-grams
    of each distinct word are computed once per batch, not once per occurrence. Each block is
    L2-normalised, with sublinear term frequency and smoothed idf, as scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)`` computes them (a test holds the two equal).
    """

    def __init__(self, *, bigrams: bool, char_ngrams: tuple[int, int] | None) -> None:
        self.bigrams = bigrams
        self.char_ngrams = char_ngrams

    def fit(self, docs: Sequence[Sequence[list[str]]]) -> LemmaTfidf:
        """Learn the vocabularies and idf weights from documents given as lists of sentences."""
        sentences = [sentence for doc in docs for sentence in doc]
        words = sorted({word for sentence in sentences for word in sentence})
        self.vocabulary_ = {word: i for i, word in enumerate(words)}
        self.bigrams_ = (
            sorted({pair for sentence in sentences for pair in pairwise(sentence)}) if self.bigrams else []
        )
        self.chars_: CountVectorizer | None = None
        if self.char_ngrams is not None:
            self.chars_ = CountVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, lowercase=False)
            self.chars_.fit(words)
        blocks = [_by_document(docs) @ counts for counts in self._counts(sentences)]
        self.idf_ = [_idf(counts) for counts in blocks]
        return self

    def transform(self, docs: Sequence[Sequence[list[str]]]) -> sp.csr_matrix:
        """TF-IDF rows, one per document."""
        return self.transform_with_sentences(docs)[0]

    def transform_with_sentences(
        self, docs: Sequence[Sequence[list[str]]]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, NDArray[np.int64]]:
        """Rows per document, rows per sentence, and for each sentence row its document."""
        sentences = [sentence for doc in docs for sentence in doc]
        owners = np.repeat(np.arange(len(docs)), [len(doc) for doc in docs])
        blocks = self._counts(sentences)
        to_docs = _by_document(docs)
        by_doc = [_tfidf(to_docs @ counts, idf) for counts, idf in zip(blocks, self.idf_, strict=True)]
        by_sentence = [_tfidf(counts, idf) for counts, idf in zip(blocks, self.idf_, strict=True)]
        return sp.csr_matrix(sp.hstack(by_doc)), sp.csr_matrix(sp.hstack(by_sentence)), owners

    def _counts(self, sentences: Sequence[list[str]]) -> list[sp.csr_matrix]:
        """Term counts per sentence: [words (+ bigrams), character n-grams]."""
        n_rows = len(sentences)
        batch: dict[str, int] = {}
        index = batch.setdefault
        flat = np.fromiter(
            (index(word, len(batch)) for sentence in sentences for word in sentence), dtype=np.int64
        )
        lengths = np.fromiter((len(sentence) for sentence in sentences), dtype=np.int64, count=n_rows)
        rows = np.repeat(np.arange(n_rows), lengths)
        batch_words = list(batch)
        by_word = sp.csr_matrix((np.ones(len(flat)), (rows, flat)), shape=(n_rows, len(batch_words)))

        # Unigrams: batch word -> vocabulary column, for the words the vocabulary has.
        known = np.array([self.vocabulary_.get(word, -1) for word in batch_words], dtype=np.int64)
        keep = np.flatnonzero(known >= 0)
        to_vocab = sp.csr_matrix(
            (np.ones(len(keep)), (keep, known[keep])), shape=(len(batch_words), len(self.vocabulary_))
        )
        words = [by_word @ to_vocab]
        if self.bigrams:
            words.append(self._bigram_counts(batch, flat, rows, n_rows))
        blocks = [sp.csr_matrix(sp.hstack(words, format="csr"))]
        if self.chars_ is not None:
            n_chars = len(self.chars_.vocabulary_)
            if batch_words:
                blocks.append(sp.csr_matrix(by_word @ self.chars_.transform(batch_words)))
            else:
                blocks.append(sp.csr_matrix((n_rows, n_chars)))
        return blocks

    def _bigram_counts(
        self, batch: dict[str, int], flat: NDArray[np.int64], rows: NDArray[np.int64], n_rows: int
    ) -> sp.csr_matrix:
        shape = (n_rows, len(self.bigrams_))
        width = max(len(batch), 1)
        # Each bigram the vocabulary has, as one integer in this batch's word numbering.
        codes, columns = [], []
        for column, (first, second) in enumerate(self.bigrams_):
            a, b = batch.get(first), batch.get(second)
            if a is not None and b is not None:
                codes.append(a * width + b)
                columns.append(column)
        if not codes or len(flat) < 2:
            return sp.csr_matrix(shape)
        order = np.argsort(codes)
        known_codes, known_columns = np.array(codes)[order], np.array(columns)[order]
        pair_codes = flat[:-1] * width + flat[1:]
        at = np.minimum(np.searchsorted(known_codes, pair_codes), len(known_codes) - 1)
        hit = (rows[:-1] == rows[1:]) & (known_codes[at] == pair_codes)  # within one sentence
        return sp.csr_matrix((np.ones(int(hit.sum())), (rows[:-1][hit], known_columns[at[hit]])), shape=shape)


def _by_document(docs: Sequence[Sequence[list[str]]]) -> sp.csr_matrix:
    """The (documents × sentences) matrix that sums sentence rows into document rows."""
    lengths = np.array([len(doc) for doc in docs], dtype=np.int64)
    n_sentences = int(lengths.sum())
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return sp.csr_matrix(
        (np.ones(n_sentences), np.arange(n_sentences), indptr), shape=(len(docs), n_sentences)
    )


def _idf(counts: sp.csr_matrix) -> NDArray[np.float64]:
    n_docs = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf: NDArray[np.float64] = np.log((1 + n_docs) / (1 + df)) + 1
    return idf


def _tfidf(counts: sp.csr_matrix, idf: NDArray[np.float64]) -> sp.csr_matrix:
    """Sublinear tf times idf, each row scaled to unit length; computed on the sparse data in place."""
    # Counts here come from sparse products and COO conversions: no duplicate entries, so the data can
    # be weighted as it lies (sorting the indices first would cost more than all the rest).
    weighted = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    data = weighted.data
    np.log(data, out=data)
    data += 1
    data *= idf[weighted.indices]
    lengths = np.diff(weighted.indptr)
    squares = np.add.reduceat(data * data, weighted.indptr[:-1][lengths > 0]) if len(data) else np.zeros(0)
    norms = np.ones(weighted.shape[0])
    norms[lengths > 0] = np.sqrt(squares)
    data /= np.repeat(norms, lengths)
    return weighted
