"""The 19 behavioural features of a conversation (USI_SPEC.md §2-3).

``names`` (the vocabulary), ``lexicons`` (the shipped patterns), ``extract`` (one
conversation), ``batch`` (many, on one or several processes); ``anchors`` and ``fastmatch``
make matching fast without changing a result.

>>> featurize([{"role": "user", "content": "ok"}])["ack_only_rate"]
1.0
"""

from usi_metric.features.batch import featurize_many, featurize_rows
from usi_metric.features.extract import SOURCES, featurize, featurize_array, is_mapping
from usi_metric.features.names import (
    COLUMNS,
    DIMENSION_KEYS,
    DIMENSIONS,
    FEATURE_NAMES,
    PERCENT_COLUMNS,
)

__all__ = [
    "COLUMNS",
    "DIMENSIONS",
    "DIMENSION_KEYS",
    "FEATURE_NAMES",
    "PERCENT_COLUMNS",
    "SOURCES",
    "featurize",
    "featurize_array",
    "featurize_many",
    "featurize_rows",
    "is_mapping",
]
