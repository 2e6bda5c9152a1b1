"""The behaviour diagnosis: which features of a simulator are least like the humans'.

>>> import numpy as np
>>> from usi_metric.features.names import COLUMNS
>>> h = np.zeros(len(COLUMNS)); s = np.zeros(len(COLUMNS)); h[1], s[1] = 29.0, 1.0
>>> feature_diagnosis(h, s)[0].feature
'short_msg_rate'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from usi_metric.aggregation import dice_similarity
from usi_metric.features.names import COLUMNS, FEATURE_NAMES
from usi_metric.report.wording import FEATURE_PHRASES, fmt_feature, ratio_words
from usi_metric.scoring import ScoreRow


@dataclass(frozen=True)
class FeatureDiff:
    """One feature of a simulator against the humans (rows averaged over batches)."""

    feature: str
    human: float
    sim: float
    similarity: float  # the metric's own Sørensen–Dice similarity, 0..1

    @property
    def sentence(self) -> str:
        """E.g. ``polite in 49% of turns vs 15% for humans: 3.2×``."""
        phrase = FEATURE_PHRASES[self.feature].format(v=fmt_feature(self.feature, self.sim))
        if self.human == 0 and self.sim != 0:
            return f"{phrase}; humans never do"
        return (f"{phrase} vs {fmt_feature(self.feature, self.human)} for humans: "
                f"{ratio_words(self.sim, self.human)}")


def mean_batch_rows(row: ScoreRow) -> tuple[np.ndarray, np.ndarray] | None:
    """(human row, simulator row) averaged over the batches that have rows, or None."""
    pairs = [(b.human_row, b.sim_row) for b in row.batches
             if b.human_row is not None and b.sim_row is not None]
    if not pairs:
        return None
    return (np.mean([p[0] for p in pairs], axis=0), np.mean([p[1] for p in pairs], axis=0))


def feature_diagnosis(human_row: np.ndarray, sim_row: np.ndarray) -> list[FeatureDiff]:
    """The 19 features, least similar (by the metric's Dice) first; ties in feature order.

    >>> h = np.zeros(len(COLUMNS)); s = np.zeros(len(COLUMNS)); h[0], s[0] = 15.0, 49.0
    >>> d = feature_diagnosis(h, s)[0]
    >>> d.feature, d.sentence
    ('politeness_rate', 'polite in 49% of turns vs 15% for humans: 3.3×')
    """
    out = []
    for f in FEATURE_NAMES:
        i = COLUMNS.index(f)
        h, s = float(human_row[i]), float(sim_row[i])
        out.append(FeatureDiff(f, h, s, float(dice_similarity(h, s))))
    order = sorted(range(len(out)), key=lambda k: (out[k].similarity, k))
    return [out[k] for k in order]
