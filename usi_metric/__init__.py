"""usi-metric: the User-Sim Index (USI), how human an LLM user simulator is.

Reference implementation of Zhou et al., *Mind the Sim2Real Gap in User Simulation for
Agentic Tasks*, arXiv:2603.11245 (2026). The definition is USI_SPEC.md.

>>> from usi_metric import load_release, leaderboard, sample_release_dir
>>> rows = leaderboard(load_release(sample_release_dir()))
>>> rows[0].name
'Human (inter-ann.)'
"""

from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS, DIMENSIONS, FEATURE_NAMES, featurize
from usi_metric.hf.evaluate_inputs import evaluate_inputs, group_by_task, release_inputs
from usi_metric.hf.evaluate_metric import evaluate_module_path
from usi_metric.io import load_humans, load_release, load_simulator, load_survey
from usi_metric.samples import new_simulator_dir, sample_release_dir
from usi_metric.scoring import (
    Difficulty,
    human_ceiling,
    leaderboard,
    load_difficulty_map,
    pooled_difficulty,
    score_simulator,
)

__version__ = "0.1.0"

__all__ = [
    "COLUMNS",
    "DIMENSIONS",
    "FEATURE_NAMES",
    "Difficulty",
    "UsiError",
    "__version__",
    "evaluate_inputs",
    "evaluate_module_path",
    "featurize",
    "group_by_task",
    "human_ceiling",
    "leaderboard",
    "load_difficulty_map",
    "load_humans",
    "load_release",
    "load_simulator",
    "load_survey",
    "new_simulator_dir",
    "pooled_difficulty",
    "release_inputs",
    "sample_release_dir",
    "score_simulator",
]
