"""The metric's math as pure functions over arrays and maps: rows, Dice, ECE, Eval, USI."""

from usi_metric.aggregation.dice import dice_similarity, dimension_scores
from usi_metric.aggregation.ece import bin_index, difficulty_from_samples, ece
from usi_metric.aggregation.eval_agree import SURVEY_SCALES, agreement, normalised_answer
from usi_metric.aggregation.rows import pooled_row, row_dict, success_pct
from usi_metric.aggregation.usi import MeanStd, mean_std, usi_value

__all__ = [
    "SURVEY_SCALES",
    "MeanStd",
    "agreement",
    "bin_index",
    "dice_similarity",
    "difficulty_from_samples",
    "dimension_scores",
    "ece",
    "mean_std",
    "normalised_answer",
    "pooled_row",
    "row_dict",
    "success_pct",
    "usi_value",
]
