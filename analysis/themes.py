"""Theme coding that learns: the codebook, a multi-label classifier, and staff–machine agreement.

The seven codes are fixed (``CODES``). ``questionnaires/codebook.yaml`` describes each with seed terms
and example answers; ``train`` fits a ``ThemeClassifier`` on those plus every coding staff have
confirmed, so the suggestions improve as staff work. ``kappa_per_code`` measures how far staff and
machine agree.

Errors::

    ValueError
     └── CodebookError    the codebook file is missing, unreadable or breaks the schema
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import yaml
from numpy.typing import NDArray
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from analysis.text import LemmaTfidf, says_nothing, sentence_lemmas

CODES: tuple[str, ...] = (
    "plan",
    "kvalifisering",
    "sivilsamfunn",
    "bosetting",
    "sosial_kontroll",
    "samarbeid",
    "mangfold",
)
"""The fixed theme codes, in the order of every probability column."""

_BATCH = 2_000
_MIN_ANSWER_LEMMAS = 4
_MIN_CALIBRATION_CASES = 3
_CODE_KEYS = ("code", "label", "description", "seed_terms", "examples")
_TOP_KEYS = ("id", "title", "codes")


# --- The codebook ----------------------------------------------------------------------------------


class CodebookError(ValueError):
    """A codebook that cannot be used; ``problems`` lists each as «FILE:LINE: what is wrong»."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Code:
    """One theme: its code, what staff see, and what the classifier starts from."""

    code: str
    label: str
    description: str
    seed_terms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """The codebook: its codes in ``CODES`` order, whatever the order in the file."""

    id: str
    title: str
    codes: tuple[Code, ...]

    def __getitem__(self, code: str) -> Code:
        for entry in self.codes:
            if entry.code == code:
                return entry
        raise KeyError(code)

    def training_data(self) -> tuple[list[str], list[list[str]]]:
        """Texts and codes to learn from: every example, and every seed term as a short document.

        A text listed under several codes is one document with all of them.
        """
        labelled: dict[str, list[str]] = {}
        for entry in self.codes:
            for text in (*entry.examples, *entry.seed_terms):
                codes = labelled.setdefault(text, [])
                if entry.code not in codes:
                    codes.append(entry.code)
        return list(labelled), list(labelled.values())


def load_codebook(path: Path | str) -> Codebook:
    """Read and check a codebook YAML file; raise ``CodebookError`` listing every problem found.

    The file is ``{id, title, codes: [{code, label, description, seed_terms, examples}]}`` with each of
    ``CODES`` exactly once; ``seed_terms`` and ``examples`` are lists of non-empty strings.
    """
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CodebookError(path, [f"{path}: kan ikke lese kodeboken ({error.strerror})"]) from error
    try:
        loader = yaml.SafeLoader(source)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise CodebookError(path, [f"{where}: ikke gyldig YAML ({error})"]) from error
    return _check_codebook(path, data, node)


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node  # type: ignore[no-any-return]
    return None


def _check_codebook(path: Path, data: Any, node: yaml.Node | None) -> Codebook:
    problems: list[str] = []

    def problem(at: yaml.Node | None, message: str) -> None:
        problems.append(f"{path}:{_line(at)}: {message}")

    if not isinstance(data, dict):
        raise CodebookError(path, [f"{path}:1: kodeboken må være en mapping med id, title og codes"])
    for key in sorted(set(data) - set(_TOP_KEYS), key=str):
        problem(_child(node, str(key)), f"ukjent felt «{key}» (tillatt: {', '.join(_TOP_KEYS)})")
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problem(_child(node, key) or node, f"«{key}» mangler eller er tom")
    entries = data.get("codes")
    codes_node = _child(node, "codes")
    if not isinstance(entries, list):
        problem(codes_node or node, "«codes» må være en liste med de sju kodene")
        raise CodebookError(path, problems)

    found: dict[str, Code] = {}
    item_nodes = codes_node.value if isinstance(codes_node, yaml.SequenceNode) else [None] * len(entries)
    for entry, entry_node in zip(entries, item_nodes, strict=True):
        code = _check_code(entry, entry_node, problem)
        if code is None:
            continue
        if code.code in found:
            problem(entry_node, f"koden «{code.code}» står flere ganger")
        found[code.code] = code
    missing = [code for code in CODES if code not in found]
    if missing:
        problem(codes_node, f"mangler kodene {', '.join(missing)} (alle sju må være med: {', '.join(CODES)})")
    if problems:
        raise CodebookError(path, problems)
    return Codebook(id=data["id"], title=data["title"], codes=tuple(found[code] for code in CODES))


def _check_code(entry: Any, node: yaml.Node | None, problem: Any) -> Code | None:
    if not isinstance(entry, dict):
        problem(node, "hver kode må være en mapping med code, label, description, seed_terms og examples")
        return None
    ok = True
    for key in sorted(set(entry) - set(_CODE_KEYS), key=str):
        problem(_child(node, str(key)), f"ukjent felt «{key}» (tillatt: {', '.join(_CODE_KEYS)})")
        ok = False
    code = entry.get("code")
    if code not in CODES:
        problem(
            _child(node, "code") or node,
            f"ukjent kode {code!r}: kodene er faste ({', '.join(CODES)})",
        )
        ok = False
    for key in ("label", "description"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problem(_child(node, key) or node, f"«{key}» mangler eller er tom for koden {code!r}")
            ok = False
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("seed_terms", "examples"):
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            problem(_child(node, key) or node, f"«{key}» må være en liste med tekster for koden {code!r}")
            ok = False
            continue
        lists[key] = tuple(v.strip() for v in values)
    if not ok:
        return None
    return Code(
        code=str(code),
        label=entry["label"].strip(),
        description=entry["description"].strip(),
        seed_terms=lists["seed_terms"],
        examples=lists["examples"],
    )


# --- The classifier --------------------------------------------------------------------------------


class ThemeClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Multi-label theme coder for Norwegian free text (bokmål and nynorsk).

    Texts are lemmatised sentence by sentence (``analysis.text.sentence_lemmas``) and described by
    TF-IDF over lemmas and lemma bigrams plus TF-IDF over character n-grams inside each lemma (so
    «frivilligsentralen» and «frivilligheita» share evidence). One L2-regularised logistic regression
    per code scores each text; a Platt scaling fitted on cross-validated scores turns the scores into
    probabilities that hold for texts the model has not seen.

    Parameters
    ----------
    C : float, default=10.0
        Inverse regularisation strength of each logistic regression.
    threshold : float, default=0.4
        A code is suggested when its probability is at least this. With calibrated probabilities the
        threshold that maximises F1 is about half the F1 that can be reached, hence below 0.5.
    fallback : float, default=0.2
        When no code reaches ``threshold``, the most probable code is still suggested if its
        probability is at least this; below it the answer gets no code (it is what topic discovery
        looks at). Texts without content words («Nei.», numbers only) never get a code.
    bigrams : bool, default=True
        Add lemma bigrams («sosial kontroll») to the lemma features; they never cross a sentence.
    char_ngrams : tuple (min_n, max_n) or None, default=(3, 5)
        Character n-gram lengths inside lemmas; None leaves them out.
    class_weight : "balanced" or None, default="balanced"
        Passed to each logistic regression: a code's few positive examples weigh as much as its many
        negative ones.
    sentences : bool, default=True
        Also score each sentence, and give a text of several sentences per code the mean of its
        whole-text probability and its best sentence's: a theme raised in one sentence of a long
        answer is not drowned by the rest.
    calibration : "sigmoid" or None, default="sigmoid"
        Fit one Platt scaling, shared by all codes, on ``cv``-fold cross-validated scores of the
        answer-like training texts (four lemmas or more; seed terms always stay in training). None
        keeps the logistic regressions' own probabilities, which are too timid on unseen text.
    cv : int, default=5
        Folds for the calibration.
    classes : tuple of str, default=CODES
        The codes, in column order. A code with no positive training example is kept and never
        suggested.
    random_state : int, default=0
        Seeds the folds and liblinear, so fitting is reproducible.

    Attributes
    ----------
    classes_ : ndarray of str, the codes in column order
    vectorizer_ : ``analysis.text.LemmaTfidf``, the features
    coef_ : ndarray of shape (n_codes, n_features)
    intercept_ : ndarray of shape (n_codes,); −inf for a code never seen, +inf for one always seen
    slope_, offset_ : ndarray of shape (n_codes,), the calibration: p = expit(slope · score + offset)
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        threshold: float = 0.4,
        fallback: float = 0.2,
        bigrams: bool = True,
        char_ngrams: tuple[int, int] | None = (3, 5),
        class_weight: str | None = "balanced",
        sentences: bool = True,
        calibration: Literal["sigmoid"] | None = "sigmoid",
        cv: int = 5,
        classes: tuple[str, ...] = CODES,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.threshold = threshold
        self.fallback = fallback
        self.bigrams = bigrams
        self.char_ngrams = char_ngrams
        self.class_weight = class_weight
        self.sentences = sentences
        self.calibration = calibration
        self.cv = cv
        self.classes = classes
        self.random_state = random_state

    def fit(
        self,
        X: Sequence[str],
        y: Sequence[Iterable[str]],
        sample_weight: Sequence[float] | NDArray[np.float64] | None = None,
    ) -> ThemeClassifier:
        """Learn from texts ``X`` and, per text, the list of its codes ``y`` (possibly empty)."""
        texts = _check_texts(X)
        labels = [list(codes) for codes in y]
        if len(labels) != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {len(labels)} code lists")
        if not texts:
            raise ValueError("Found 0 texts; at least one is required to fit.")
        unknown = sorted({code for codes in labels for code in codes} - set(self.classes))
        if unknown:
            raise ValueError(f"unknown codes {unknown}; the classifier knows {list(self.classes)}")
        self.classes_ = np.array(self.classes, dtype=object)
        Y = MultiLabelBinarizer(classes=list(self.classes)).fit_transform(labels)
        docs = [sentence_lemmas(text) for text in texts]
        if not any(docs):
            raise ValueError("No text has a content word; nothing to learn from.")
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.slope_, self.offset_ = self._calibrate(docs, Y, weights)
        self.vectorizer_, self.coef_, self.intercept_ = self._fit_linear(docs, Y, weights)
        return self

    def _fit_linear(
        self, docs: Sequence[list[list[str]]], Y: NDArray[np.int64], weights: NDArray[np.float64] | None
    ) -> tuple[LemmaTfidf, NDArray[np.float64], NDArray[np.float64]]:
        vectorizer = LemmaTfidf(bigrams=self.bigrams, char_ngrams=self.char_ngrams).fit(docs)
        features = vectorizer.transform(docs)
        coef = np.zeros((Y.shape[1], features.shape[1]))
        intercept = np.zeros(Y.shape[1])
        for k in range(Y.shape[1]):
            column = Y[:, k]
            if column.min() == column.max():
                # One class only: liblinear cannot fit it, and the answer is known anyway.
                intercept[k] = math.inf if column[0] else -math.inf
                continue
            model = LogisticRegression(
                C=self.C, solver="liblinear", class_weight=self.class_weight, random_state=self.random_state
            )
            model.fit(features, column, sample_weight=weights)
            coef[k] = model.coef_[0]
            intercept[k] = model.intercept_[0]
        return vectorizer, coef, intercept

    def _calibrate(
        self, docs: Sequence[list[list[str]]], Y: NDArray[np.int64], weights: NDArray[np.float64] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """One Platt scaling for all codes, fitted on cross-validated scores of the answer-like documents.

        Texts the model has not seen are what it will meet, and their scores differ from those of the
        texts it was trained on (fewer known words), so the regressions' own probabilities are too
        timid. Only documents of ``_MIN_ANSWER_LEMMAS`` or more lemmas are held out: seed terms always
        stay in training, and are not what answers look like. One scaling rather than one per code:
        two parameters fitted on all codes' scores are stable, while per-code offsets learned from a
        few dozen examples shift each code's threshold by noise. Where there is too little to fit,
        scores pass unchanged.
        """
        n_codes = Y.shape[1]
        slope, offset = np.ones(n_codes), np.zeros(n_codes)
        answers = np.flatnonzero([sum(map(len, doc)) >= _MIN_ANSWER_LEMMAS for doc in docs])
        if self.calibration is None or len(answers) < 2 * self.cv:
            return slope, offset
        held_out = np.full((len(answers), n_codes), np.nan)
        folds = KFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        for _, test in folds.split(answers):
            train_rows = np.setdiff1d(np.arange(len(docs)), answers[test])
            vectorizer, coef, intercept = self._fit_linear(
                [docs[i] for i in train_rows],
                Y[train_rows],
                None if weights is None else weights[train_rows],
            )
            features = vectorizer.transform([docs[i] for i in answers[test]])
            held_out[test] = features @ coef.T + intercept
        truth = Y[answers]
        finite = np.isfinite(held_out)
        scores, column = held_out[finite], truth[finite]
        if min(column.sum(), (1 - column).sum()) < _MIN_CALIBRATION_CASES:
            return slope, offset
        # Platt's targets: (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) instead of 1 and 0, so a small training set
        # cannot make the scaling overconfident. Each score enters once as each class, weighted.
        positives, negatives = column.sum(), len(column) - column.sum()
        target = np.where(column == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
        platt = LogisticRegression(C=1e4).fit(
            np.r_[scores, scores][:, None],
            np.r_[np.ones(len(scores)), np.zeros(len(scores))],
            sample_weight=np.r_[target, 1 - target],
        )
        if platt.coef_[0, 0] > 0:  # a calibration must keep the order of the scores
            slope[:], offset[:] = platt.coef_[0, 0], platt.intercept_[0]
        return slope, offset

    def decision_function(self, X: Sequence[str]) -> NDArray[np.float64]:
        """The log-odds of ``predict_proba``; −inf for a text without content words."""
        scores: NDArray[np.float64] = logit(self.predict_proba(X))
        return scores

    def predict_proba(self, X: Sequence[str]) -> NDArray[np.float64]:
        """Probability per text and code, shape (n_texts, n_codes), columns in ``classes_`` order.

        With ``sentences``, a text of several sentences gets per code the mean of the whole text's
        probability and its best sentence's, so a theme raised in one sentence of a long answer is not
        drowned by the rest. A text without content words (empty, numbers only, only stopwords), or one
        that only says there is no answer («Vet ikke», «Ingen kommentar», ``text.NON_ANSWER``), gets 0 for
        every code.
        """
        check_is_fitted(self, "coef_")
        texts = _check_texts(X)
        proba = np.zeros((len(texts), len(self.classes_)))
        # In slices, so that memory stays flat however many answers come in.
        for start in range(0, len(texts), _BATCH):
            docs = [sentence_lemmas(text) for text in texts[start : start + _BATCH]]
            by_doc, by_sentence, owners = self.vectorizer_.transform_with_sentences(docs)
            part = proba[start : start + len(docs)]
            part[:] = self._calibrated(by_doc)
            if self.sentences:
                several = np.array([len(doc) > 1 for doc in docs], dtype=bool)
                rows = np.flatnonzero(several[owners])
                if len(rows):
                    sentence_proba = self._calibrated(by_sentence[rows])
                    # The best sentence per document: rows are grouped by document, in order.
                    firsts = np.flatnonzero(np.r_[True, owners[rows][1:] != owners[rows][:-1]])
                    best = np.maximum.reduceat(sentence_proba, firsts, axis=0)
                    docs_with_several = owners[rows][firsts]
                    part[docs_with_several] = (part[docs_with_several] + best) / 2
            part[[says_nothing(doc) for doc in docs]] = 0.0
        return proba

    def _calibrated(self, features: sp.csr_matrix) -> NDArray[np.float64]:
        raw = features @ self.coef_.T + self.intercept_
        proba: NDArray[np.float64] = expit(raw * self.slope_ + self.offset_)
        return proba

    def predict(self, X: Sequence[str]) -> list[list[str]]:
        """The suggested codes per text (see ``threshold`` and ``fallback``), in ``classes_`` order."""
        return self.codes_from_proba(self.predict_proba(X))

    def codes_from_proba(self, proba: NDArray[np.float64]) -> list[list[str]]:
        """Apply the ``threshold``/``fallback`` rule to probabilities from ``predict_proba``."""
        check_is_fitted(self, "coef_")
        chosen = proba >= self.threshold
        best = proba.argmax(axis=1) if proba.shape[0] else np.zeros(0, dtype=int)
        rows = np.arange(proba.shape[0])
        rescue = ~chosen.any(axis=1) & (proba[rows, best] >= self.fallback) & (proba[rows, best] > 0)
        chosen[rows[rescue], best[rescue]] = True
        return [[str(code) for code in self.classes_[row]] for row in chosen]

    def score(
        self, X: Sequence[str], y: Sequence[Iterable[str]], sample_weight: Sequence[float] | None = None
    ) -> float:
        """Subset accuracy: the share of texts whose suggested codes are exactly ``y``'s."""
        binarizer = MultiLabelBinarizer(classes=list(self.classes_)).fit([])
        truth = binarizer.transform([list(codes) for codes in y])
        guess = binarizer.transform(self.predict(X))
        exact = (truth == guess).all(axis=1).astype(float)
        return float(np.average(exact, weights=sample_weight))

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.two_d_labels = True
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = True
        return tags


def _check_texts(X: Sequence[str]) -> list[str]:
    if isinstance(X, str):
        raise ValueError("Expected a sequence of texts, got a single string; wrap it in a list.")
    texts = list(X)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"Expected texts (str), got {type(text).__name__}")
    return texts


# --- Training and agreement ------------------------------------------------------------------------


def train(
    codebook: Codebook,
    confirmed: Iterable[tuple[str, Sequence[str]]] = (),
    *,
    classifier: ThemeClassifier | None = None,
) -> ThemeClassifier:
    """A classifier fitted on the codebook (examples and seed terms) plus staff-confirmed codings.

    ``confirmed`` holds (text, codes) pairs; an empty code list is a confirmed «no theme». When the
    same text was confirmed more than once, the last coding counts (a correction), and a confirmed
    coding replaces the codebook's for the same text. ``classifier`` gives other hyper-parameters (it
    is cloned, never changed).
    """
    texts, labels = codebook.training_data()
    coding = dict(zip(texts, labels, strict=True))
    for text, codes in confirmed:
        if text.strip():
            coding[text] = list(codes)
    model = clone(classifier) if classifier is not None else ThemeClassifier()
    return model.fit(list(coding), list(coding.values()))


def kappa_per_code(
    machine: Sequence[Iterable[str]], staff: Sequence[Iterable[str]]
) -> dict[str, float | None]:
    """Cohen's kappa between machine and staff codings of the same answers, per code in ``CODES``.

    Each code is a yes/no judgement per answer. Kappa is None when it is undefined: no answers, or
    both sides giving the same single verdict on every answer (chance agreement is then 1).
    """
    if len(machine) != len(staff):
        raise ValueError(f"{len(machine)} machine codings but {len(staff)} staff codings")
    machine_sets = [set(codes) for codes in machine]
    staff_sets = [set(codes) for codes in staff]
    unknown = sorted(set().union(*machine_sets, *staff_sets) - set(CODES))
    if unknown:
        raise ValueError(f"unknown codes {unknown}; the codes are {list(CODES)}")
    n = len(machine_sets)
    result: dict[str, float | None] = {}
    for code in CODES:
        if n == 0:
            result[code] = None
            continue
        a = np.array([code in codes for codes in machine_sets])
        b = np.array([code in codes for codes in staff_sets])
        observed = float(np.mean(a == b))
        pa, pb = float(a.mean()), float(b.mean())
        expected = pa * pb + (1 - pa) * (1 - pb)
        result[code] = None if expected == 1.0 else (observed - expected) / (1 - expected)
    return result
