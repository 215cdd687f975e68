"""New themes: topics in the answers the codebook covers poorly, for staff to read and perhaps add.

``poorly_covered`` picks the answers whose best theme probability is low; ``discover_topics`` factorises
their lemma TF-IDF with NMF (fixed ``random_state``, so the same answers always give the same topics)
and describes each topic by its top lemmas and the answers that load most on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.text import NEGATIONS, lemmas_batch

MIN_TOPIC_SIZE = 2
"""A topic must be the main topic of at least this many answers: one answer is not a theme."""

_MAX_TERMS = 20_000
_MIN_TERM_SHARE = 0.05


@dataclass(frozen=True)
class Topic:
    """A candidate theme: its top lemmas, the answers that show it best, and how many answers it leads."""

    terms: list[str]
    examples: list[str]
    size: int


def poorly_covered(texts: Sequence[str], proba: ArrayLike, threshold: float = 0.35) -> list[int]:
    """Indices of the non-blank texts whose most probable theme is below ``threshold``.

    ``proba`` is ``ThemeClassifier.predict_proba(texts)``, one row per text.
    """
    scores = np.asarray(proba, dtype=float)
    if len(texts) == 0:
        return []
    if scores.ndim != 2 or scores.shape[0] != len(texts):
        raise ValueError(f"proba must have one row per text: {len(texts)} texts, shape {scores.shape}")
    best = scores.max(axis=1) if scores.shape[1] else np.zeros(len(texts))
    return [i for i, text in enumerate(texts) if best[i] < threshold and text.strip()]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def discover_topics(
    texts: Sequence[str],
    *,
    n_topics: int = 6,
    top_terms: int = 10,
    examples: int = 3,
    random_state: int = 0,
) -> list[Topic]:
    """Up to ``n_topics`` topics in ``texts``, largest first; [] when there is too little to go on.

    Each text is reduced to its content lemmas (negations out too: they say nothing about the topic).
    There are at most ``len(usable texts) // MIN_TOPIC_SIZE`` topics, and a topic that is the main one
    of fewer than ``MIN_TOPIC_SIZE`` answers is dropped. A topic's terms are its ``top_terms`` heaviest
    lemmas, leaving out those weighing under 5 % of the heaviest; its examples are the answers that
    load most on it. On large inputs, lemmas in fewer than two answers or in more than half of them
    are ignored. Deterministic for a given ``random_state``.
    """
    if n_topics < 1 or top_terms < 1 or examples < 0:
        raise ValueError("n_topics and top_terms must be at least 1, examples at least 0")
    tokens = [[lemma for lemma in doc if lemma not in NEGATIONS] for doc in lemmas_batch(texts)]
    usable = [i for i, doc in enumerate(tokens) if doc]
    k = min(n_topics, len(usable) // MIN_TOPIC_SIZE)
    if k < 1:
        return []
    large = len(usable) >= 20
    vectorizer = TfidfVectorizer(
        analyzer=_identity,
        sublinear_tf=True,
        min_df=2 if large else 1,
        max_df=0.5 if large else 1.0,
        max_features=_MAX_TERMS,
    )
    try:
        X = vectorizer.fit_transform([tokens[i] for i in usable])
    except ValueError:  # every lemma pruned by min_df/max_df
        return []
    k = min(k, X.shape[1])
    if k < 1 or X.nnz == 0:
        return []
    model = NMF(n_components=k, init="nndsvda", max_iter=400, random_state=random_state)
    with warnings.catch_warnings():
        # Topics for people to read: a factorisation a little short of the tolerance reads the same.
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    H = model.components_
    terms = vectorizer.get_feature_names_out()

    main = W.argmax(axis=1)
    has_topic = W.max(axis=1) > 0
    topics: list[tuple[int, int, Topic]] = []
    for topic in range(k):
        members = np.flatnonzero(has_topic & (main == topic))
        if len(members) < MIN_TOPIC_SIZE:
            continue
        weights = H[topic]
        order = np.argsort(-weights, kind="stable")[:top_terms]
        # Terms that barely load on the topic are noise to the reader, however few there are.
        top = [str(terms[j]) for j in order if weights[j] >= _MIN_TERM_SHARE * weights[order[0]] > 0]
        shown: list[str] = []
        for member in members[np.argsort(-W[members, topic], kind="stable")]:
            text = texts[usable[member]]
            if len(shown) >= examples:
                break
            if text not in shown:
                shown.append(text)
        topics.append((-len(members), topic, Topic(terms=top, examples=shown, size=len(members))))
    return [topic for _, _, topic in sorted(topics, key=lambda entry: entry[:2])]
