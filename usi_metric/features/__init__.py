"""The 19 behavioural features of a conversation (docs/features.md).

``names`` (the vocabulary), ``lexicons`` (the shipped patterns), ``extract`` (one
conversation), ``batch`` (many, on one or several processes); ``anchors`` and ``fastmatch``
make matching fast without changing a result.

>>> from usi_metric.features import featurize
>>> featurize([{"role": "user", "content": "ok"}])["ack_only_rate"]
1.0

The names below are imported on first use (PEP 562): the vocabulary comes without numpy
and the lexicons.
"""

from usi_metric.runtime.lazy import lazy_exports

_EXPORTS = {
    "usi_metric.features.batch": ("featurize_many", "featurize_rows"),
    "usi_metric.features.extract": ("SOURCES", "featurize", "featurize_array", "is_mapping"),
    "usi_metric.features.names": ("COLUMNS", "DIMENSION_KEYS", "DIMENSIONS", "FEATURE_NAMES",
                                  "PERCENT_COLUMNS"),
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(n for names in _EXPORTS.values() for n in names)
