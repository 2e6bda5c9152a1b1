"""Scoring: difficulty yardsticks, the session overlap, the Eval draws, the leaderboard.

Selects sessions and hands arrays and maps to the pure functions of
``usi_metric.aggregation``.

>>> from usi_metric.io import load_release
>>> from usi_metric.samples import sample_release_dir
>>> leaderboard(load_release(sample_release_dir()))[0].name
'Human (inter-ann.)'
"""

from usi_metric.scoring.difficulty import (
    PUBLISHED,
    Difficulty,
    difficulty_from_files,
    human_reward_map,
    load_difficulty_map,
    pooled_difficulty,
    published_difficulty,
    resolve_difficulty,
    run_reward_maps,
)
from usi_metric.scoring.evaluation import (
    BATCHES,
    EVAL_SEED,
    human_eval,
    simulator_eval,
    survey_batches,
)
from usi_metric.scoring.leaderboard import (
    CELL_KEYS,
    HUMAN_ROW_NAME,
    PAIRS,
    BatchResult,
    ScoreRow,
    human_ceiling,
    leaderboard,
    rows_json,
    score_simulator,
    sort_rows,
)
from usi_metric.scoring.overlap import BatchMatch, simulator_rows_vs_batch

__all__ = [
    "BATCHES",
    "CELL_KEYS",
    "EVAL_SEED",
    "HUMAN_ROW_NAME",
    "PAIRS",
    "PUBLISHED",
    "BatchMatch",
    "BatchResult",
    "Difficulty",
    "ScoreRow",
    "difficulty_from_files",
    "human_ceiling",
    "human_eval",
    "human_reward_map",
    "leaderboard",
    "load_difficulty_map",
    "pooled_difficulty",
    "published_difficulty",
    "resolve_difficulty",
    "rows_json",
    "run_reward_maps",
    "score_simulator",
    "simulator_rows_vs_batch",
    "simulator_eval",
    "sort_rows",
    "survey_batches",
]
