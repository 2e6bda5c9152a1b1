"""The file layout of a release (``cmu-lti/tau-usi``): names and where files are found.

>>> simulator_name("eval_results/eval_results_gpt-5.1.json")
'gpt-5.1'
"""

from __future__ import annotations

from pathlib import Path

from usi_metric.errors import UsiError

HUMAN_FILE = "tau_bench_tasks_unified.json"
SIM_PREFIX = "eval_results_"
SURVEY_PREFIX = "survey_comparable_"
HUMAN_EVAL_NAME = "human-eval-100"
# A simulator file with more entries than this holds several runs (ids suffixed _1/_2/_3).
MULTI_RUN_THRESHOLD = 170
# The Hub dataset of the paper's release.
REPO_ID = "cmu-lti/tau-usi"


def simulator_name(path: str | Path) -> str:
    """Simulator name from a file name: ``eval_results_gpt-5.json`` -> ``gpt-5``.

    >>> simulator_name("eval_results/eval_results_gpt-5.1.json")
    'gpt-5.1'
    """
    stem = Path(path).name
    stem = stem[:-5] if stem.endswith(".json") else stem
    return stem[len(SIM_PREFIX):] if stem.startswith(SIM_PREFIX) else stem


def survey_name(path: str | Path) -> str:
    """Simulator name of a survey file: ``survey_comparable_gpt-5.json`` -> ``gpt-5``.

    >>> survey_name("survey_data/survey_comparable_human-eval-100.json")
    'human-eval-100'
    """
    return Path(path).name.removesuffix(".json").removeprefix(SURVEY_PREFIX)


def find_human_file(data_dir: str | Path) -> Path:
    """``<dir>/tau_bench_tasks_unified.json`` or ``<dir>/data/tau_bench_tasks_unified.json``."""
    root = Path(data_dir)
    if not root.is_dir():
        raise UsiError("not a folder", file=str(root))
    for cand in (root / HUMAN_FILE, root / "data" / HUMAN_FILE):
        if cand.is_file():
            return cand
    raise UsiError(f"no {HUMAN_FILE} here or in data/: not a tau-usi release folder",
                   file=str(root))


def _find(root: Path, sub: str, prefix: str) -> list[Path]:
    """Files ``prefix*.json`` in ``root/sub``, ``root`` and ``root/data``; first place wins."""
    found: dict[str, Path] = {}
    for folder in (root / sub, root, root / "data"):
        if folder.is_dir():
            for p in sorted(folder.glob(f"{prefix}*.json")):
                found.setdefault(p.name, p)
    return [found[k] for k in sorted(found)]


def release_files(data_dir: str | Path) -> tuple[Path, list[Path], list[Path]]:
    """``(human file, simulator files, survey files)`` of a release folder, sorted."""
    root = Path(data_dir)
    return (find_human_file(root), _find(root, "eval_results", SIM_PREFIX),
            _find(root, "survey_data", SURVEY_PREFIX))
