"""usi-metric: the User-Sim Index (USI), how human an LLM user simulator is.

Reference implementation of Zhou et al., *Mind the Sim2Real Gap in User Simulation for
Agentic Tasks*, arXiv:2603.11245 (2026). The definition is docs/index.md.

>>> from usi_metric import load_release, leaderboard, sample_release_dir
>>> rows = leaderboard(load_release(sample_release_dir()))
>>> rows[0].name
'Human (inter-ann.)'

The names below are imported on first use (PEP 562), so ``import usi_metric`` (and the
``usi`` command) starts without numpy.
"""

from usi_metric.runtime.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "usi_metric.errors": ("UsiError", "UsiWarning"),
    "usi_metric.features.names": ("COLUMNS", "DIMENSIONS", "FEATURE_NAMES"),
    "usi_metric.features.extract": ("featurize",),
    "usi_metric.hf.evaluate_inputs": ("evaluate_inputs", "group_by_task", "release_inputs"),
    "usi_metric.hf.evaluate_metric": ("evaluate_module_path",),
    "usi_metric.reference.model": ("HumanReference",),
    "usi_metric.io.release": ("load_humans", "load_release", "load_simulator",
                              "load_simulator_files", "load_survey"),
    "usi_metric.samples": ("new_simulator_dir", "sample_release_dir"),
    "usi_metric.scoring.difficulty": ("Difficulty", "load_difficulty_map",
                                      "pooled_difficulty"),
    "usi_metric.scoring.leaderboard": ("human_ceiling", "leaderboard", "score_simulator"),
    "usi_metric.scoring.score": ("UsiScore", "score"),
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(["__version__", *(n for names in _EXPORTS.values() for n in names)])
