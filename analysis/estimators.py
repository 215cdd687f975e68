"""A base for our scikit-learn text transformers: one text in, one text out, per cell.

``NorwegianLemmatizer`` and ``PersonalDataMasker`` share it. ``transform`` takes a 1-D sequence of texts
and returns a 1-D object array, or a 2-D array of text columns and returns an array of the same shape.
None and NaN cells become ""; other non-text cells are read as their ``str``. Fitted on 2-D input, a
transformer remembers the number of columns (``n_features_in_``) and refuses another shape.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags


class TextTransformer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Subclasses set their parameters in ``__init__`` and implement ``_check_params`` and ``_text``."""

    def _check_params(self) -> None:
        """Raise ``ValueError`` for a parameter that cannot work."""

    def _text(self, text: str) -> str:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> Self:
        """Check the parameters and the input; nothing is learned but the number of text columns."""
        array = self._validate(X)
        # The wording of these errors follows scikit-learn's own, which its estimator checks expect.
        if array.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={array.shape}) while a minimum of 1 is required."
            )
        if array.ndim == 2 and array.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
            )
        if array.ndim == 2:
            self.n_features_in_ = array.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return self

    def transform(self, X: Any) -> NDArray[np.object_]:
        """Apply the transformer's text operation to each text (each cell, for 2-D input)."""
        array = self._validate(X)
        expected = getattr(self, "n_features_in_", None)
        if expected is not None and array.ndim != 2:
            raise ValueError(
                f"Expected 2D array of texts, got 1D array instead; fitted on {expected} text columns. "
                "Reshape your data or fit on a 1-D sequence of texts."
            )
        if expected is not None and array.shape[1] != expected:
            raise ValueError(
                f"X has {array.shape[1]} features, but {type(self).__name__} is expecting {expected} features as input."
            )
        out = np.empty(array.shape, dtype=object)
        flat_out = out.reshape(-1)
        for i, value in enumerate(array.reshape(-1)):
            flat_out[i] = self._text(as_text(value))
        return out

    def _validate(self, X: Any) -> NDArray[Any]:
        self._check_params()
        if isinstance(X, str):
            raise ValueError("Expected a sequence of texts, got a single string; wrap it in a list.")
        if hasattr(X, "tocsr"):
            raise TypeError(f"{type(self).__name__} reads texts, not sparse matrices.")
        array = np.asarray(X, dtype=object)
        if array.ndim not in (1, 2):
            raise ValueError(f"Expected a 1-D sequence or 2-D array of texts, got {array.ndim} dimensions.")
        if any(isinstance(value, complex) for value in array.reshape(-1)):
            raise ValueError("Complex data not supported: expected texts.")
        return array

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags


def as_text(value: object) -> str:
    """A cell as text: None and NaN are empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value if isinstance(value, str) else str(value)
