"""Task difficulty, the ECE's yardstick (docs/ece-and-yardsticks.md): pooled, frozen, or published.

The reference, in order of precedence: a given ``{task: difficulty}`` map (``MAP.json`` or
``published``, the paper's frozen yardstick shipped in the package); given simulator files;
else the simulators scored together (``self``, which reproduces the paper's table).

>>> d = published_difficulty()
>>> d.source, len(d.values), round(d.values["airline_0"], 4)
('published', 165, 0.7164)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from usi_metric.aggregation import difficulty_from_samples
from usi_metric.aggregation.ece import MIN_SAMPLES
from usi_metric.errors import UsiError
from usi_metric.io import Release, Session, SessionSet, load_simulator, read_json
from usi_metric.io.validate import is_number

PUBLISHED = "published"
PUBLISHED_FILE = "published_difficulty.json"


@dataclass(frozen=True)
class Difficulty:
    """A task difficulty map with where it came from (``source``: its name in outputs)."""

    values: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)
    source: str = "map"
    simulators: tuple[str, ...] = ()
    pooled: bool = False  # pooled from simulator runs here (a task needs MIN_SAMPLES), not a map

    def provenance(self) -> dict[str, Any]:
        """What the map was pooled from, for a frozen map file."""
        return {"source": self.source, "simulators": list(self.simulators),
                "samples_per_task": dict(self.counts), "min_samples": MIN_SAMPLES,
                "n_tasks_with_difficulty": len(self.values)}

    def coverage(self, tasks: Iterable[str]) -> tuple[int, int]:
        """``(tasks with a difficulty, tasks given)``: how much of a run the yardstick covers.

        >>> Difficulty({"airline_1": 0.5}).coverage(["airline_1", "airline_2"])
        (1, 2)
        """
        tasks = set(tasks)
        return len(tasks & set(self.values)), len(tasks)


def outcome_sessions(sset: SessionSet) -> list[Session]:
    """The sessions whose reward counts in outcome statistics (the one home of this rule).

    Humans: the kept sessions (``keep`` true or absent; ``keep: null`` is out). Simulators:
    every run's sessions except ``keep: false`` (``keep: null`` still counts, the paper's
    scorer).
    """
    if sset.source == "human":
        return [s for s in sset.sessions if s.kept]
    return [s for s in sset.sessions if s.keep is not False]


def run_reward_maps(sim: SessionSet) -> dict[int, dict[str, int]]:
    """``{run index: {task: success}}`` of a simulator; the last entry of a task wins."""
    maps: dict[int, dict[str, int]] = {}
    for s in outcome_sessions(sim):
        maps.setdefault(s.ece_run, {})[s.task_key] = s.success
    return dict(sorted(maps.items()))


def human_reward_map(humans: SessionSet, batch: int | str) -> dict[str, int]:
    """``{task: success}`` of a human batch's kept sessions (``keep: null`` is left out)."""
    g = str(batch)
    return {s.task_key: s.success for s in outcome_sessions(humans) if s.group == g}


def pooled_difficulty(sims: Iterable[SessionSet], source: str = "self-pooled") -> Difficulty:
    """Mean success per task pooled over every run of every simulator (>= 10 samples)."""
    sims = list(sims)
    samples = [(task, succ) for sim in sims for rmap in run_reward_maps(sim).values()
               for task, succ in rmap.items()]
    values, counts = difficulty_from_samples(samples)
    return Difficulty(values, counts, source, tuple(s.name for s in sims), pooled=True)


def difficulty_from_files(paths: Sequence[str | Path]) -> Difficulty:
    """Difficulty pooled over the given simulator files."""
    return pooled_difficulty((load_simulator(p) for p in paths), source="simulator files")


def map_values(data: Any, path: str) -> tuple[dict[str, float], tuple[str, ...]]:
    """Check a ``{task: d}`` map (or ``{"difficulty": {...}, ...}``): values and simulators."""
    sims: Any = ()
    if isinstance(data, Mapping) and isinstance(data.get("difficulty"), Mapping):
        prov = data.get("provenance")
        sims = data.get("baselines") or (prov.get("simulators", ()) if isinstance(
            prov, Mapping) else ())
        data = data["difficulty"]
    if not isinstance(data, Mapping):
        raise UsiError("a difficulty map must be a JSON object {task: difficulty}", file=path)
    values: dict[str, float] = {}
    for task, d in data.items():
        if not is_number(d) or not 0.0 <= d <= 1.0:  # numpy's numbers count (datasets)
            raise UsiError(f"difficulty must be a number in [0, 1], got {d!r}",
                           file=path, id=task, field="difficulty")
        values[task] = float(d)
    if not values:
        raise UsiError("the difficulty map is empty", file=path)
    return values, tuple(str(s) for s in sims) if isinstance(sims, list | tuple) else ()


def load_difficulty_map(path: str | Path) -> Difficulty:
    """Read a frozen map: ``{task: d}`` or ``usi difficulty``'s ``{"difficulty": {...}, ...}``."""
    path = str(path)
    values, sims = map_values(read_json(path), path)
    return Difficulty(values, {}, f"map {path}", sims)


def published_difficulty() -> Difficulty:
    """The paper's frozen yardstick: per-task success pooled over the 31 published simulators.

    Shipped as package data (frozen by the paper's authors; see ``docs/yardsticks.md``).
    """
    import json

    text = resources.files("usi_metric").joinpath("data", PUBLISHED_FILE).read_text("utf-8")
    values, sims = map_values(json.loads(text), PUBLISHED_FILE)
    return Difficulty(values, {}, PUBLISHED, sims)


def resolve_difficulty(release: Release | None, spec: str | Difficulty | None = "self",
                       extra: Sequence[SessionSet] = ()) -> Difficulty:
    """The difficulty reference named by ``spec``.

    ``published`` (the paper's frozen yardstick), ``self`` (the simulators scored together:
    the release's plus ``extra``), ``release`` (the release's own simulators only), or the
    path of a map file. A :class:`Difficulty` is returned as it is.
    """
    if isinstance(spec, Difficulty):
        return spec
    if spec == PUBLISHED:
        return published_difficulty()
    sims = list(release.simulators.values()) if release is not None else []
    if spec in (None, "self"):
        return pooled_difficulty([*sims, *extra], "self-pooled")
    if spec == "release":
        return pooled_difficulty(sims, "release simulators")
    if isinstance(spec, str) and not Path(spec).exists():
        raise UsiError(f"{spec!r} is none of published, release, self, and no such map file",
                       field="difficulty")
    return load_difficulty_map(spec)
