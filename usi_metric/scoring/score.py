"""The one public scoring function: a simulator's runs against a human reference
(docs/usi.md). The command line, the ``evaluate`` module, the Space and the training reward
all call :func:`score`.

>>> from usi_metric.reference import HumanReference
>>> from usi_metric.samples import sample_release_dir
>>> runs = sample_release_dir() / "eval_results" / "eval_results_synth-terse.json"
>>> result = score(runs, HumanReference.synthetic())
>>> result.name, result.difficulty.source, result.cells["eval_agree"], result.usi > 0
('synth-terse', 'published', None, True)
>>> result.coverage["tasks_met"] <= result.coverage["tasks_total"]
True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from usi_metric.aggregation import MeanStd
from usi_metric.errors import UsiError, UsiWarning
from usi_metric.io import SessionSet, SurveySet
from usi_metric.reference import HumanReference
from usi_metric.scoring.difficulty import (
    PUBLISHED,
    Difficulty,
    load_difficulty_map,
    map_values,
    pooled_difficulty,
    published_difficulty,
)
from usi_metric.scoring.leaderboard import CELL_KEYS, ScoreRow, score_simulator

# What a library caller can pass when a score has no USI for want of a yardstick.
HOW_LIBRARY = ("pass difficulty='self' (pooled over the runs scored), a {task: difficulty} "
               "map or the path of one, or store a map in the reference when building it")


@dataclass(frozen=True)
class UsiScore:
    """A simulator's score against a reference: the seven cells, what it covers, the
    yardstick, and the leaderboard row behind them."""

    name: str
    cells: Mapping[str, MeanStd | None]
    coverage: Mapping[str, int]
    difficulty: Difficulty
    row: ScoreRow = field(repr=False)
    reason: str | None = None  # why there is no USI (None when there is one)

    @property
    def usi(self) -> float | None:
        """The USI's mean over the human batches, or None."""
        cell = self.cells.get("usi")
        return None if cell is None else cell.mean

    def as_dict(self) -> dict[str, Any]:
        """A stable JSON-able dict: the cells (each ``{"mean", "std"}`` or None), the
        coverage, the yardstick's source and the no-USI reason."""
        out: dict[str, Any] = {k: (None if self.cells.get(k) is None
                                   else self.cells[k].as_dict())  # type: ignore[union-attr]
                               for k in CELL_KEYS}
        out["name"] = self.name
        out["coverage"] = dict(sorted(self.coverage.items()))
        out["difficulty"] = self.difficulty.source
        out["reason"] = self.reason
        return dict(sorted(out.items()))


def as_reference(reference: HumanReference | str | os.PathLike[str]) -> HumanReference:
    """A :class:`HumanReference` as it is, or read from its file."""
    if isinstance(reference, HumanReference):
        return reference
    if isinstance(reference, str | os.PathLike):
        return HumanReference.load(reference)
    raise UsiError(f"must be a HumanReference or the path of a reference file, got "
                   f"{type(reference).__name__}", field="reference")


def as_runs(runs: SessionSet | str | os.PathLike[str] | Sequence[Any],
            name: str | None) -> SessionSet:
    """A simulator's sessions: a set as it is (renamed to ``name``), or read from files."""
    if isinstance(runs, SessionSet):
        return runs if name is None or name == runs.name else replace(runs, name=name)
    from usi_metric.io.release import load_simulator_files

    paths = [runs] if isinstance(runs, str | os.PathLike) else list(runs)
    if not paths or not all(isinstance(p, str | os.PathLike) for p in paths):
        raise UsiError("must be a SessionSet, a results file's path or a list of paths",
                       field="runs")
    return load_simulator_files(paths, name, conversations=False)


def default_difficulty(reference: HumanReference) -> Difficulty:
    """The yardstick by default: the map stored in the reference, else the published one."""
    if reference.difficulty is not None:
        return Difficulty(dict(reference.difficulty), {}, "map stored in the reference")
    return published_difficulty()


def resolve(difficulty: Any, runs: SessionSet, reference: HumanReference) -> Difficulty:
    """The yardstick: None = the reference's stored map if it has one, else the published
    map; ``"published"``; ``"self"`` (pooled over the runs scored); a path to a map; a
    ``{task: d}`` dict; a :class:`Difficulty`.

    >>> ref = HumanReference.synthetic()
    >>> resolve(None, SessionSet("x", "llm", "", [], None, None), ref).source
    'published'
    """
    if isinstance(difficulty, Difficulty):
        return difficulty
    if difficulty is None:
        return default_difficulty(reference)
    if difficulty == PUBLISHED:
        return published_difficulty()
    if difficulty == "self":
        return pooled_difficulty([runs], "self-pooled")
    if isinstance(difficulty, Mapping):
        if not difficulty:
            return Difficulty({}, {}, "given map")
        values, sims = map_values(difficulty, "<difficulty>")
        return Difficulty(values, {}, "given map", sims)
    if isinstance(difficulty, str | os.PathLike):
        if not Path(difficulty).exists():
            raise UsiError(f"{str(difficulty)!r} is neither 'published' nor 'self', and no "
                           "such map file", field="difficulty")
        return load_difficulty_map(difficulty)
    raise UsiError(f"must be 'published', 'self', a {{task: difficulty}} map, the path of one "
                   f"or a Difficulty, got {type(difficulty).__name__}", field="difficulty")


NO_SURVEY_COVER = "no id of the survey file is a kept human session"
SURVEY_IDS = "its ids are the people's session ids, like 'airline_7' or 'airline_7_ann2'"


def survey_notes(survey: SurveySet, humans: SessionSet) -> list[str]:
    """What to say about a survey file: it meets no kept human session (no Eval), it looks
    like a runs file, or it holds seeded fills only.

    >>> from usi_metric.io import SurveySet
    >>> humans = HumanReference.synthetic().humans()
    >>> survey_notes(SurveySet("x", "x.json", {"nobody": {}}), humans)[0].split(" (")[0]
    'x.json: no id of the survey file is a kept human session'
    """
    from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
    from usi_metric.scoring.evaluation import covered_sessions
    from usi_metric.scoring.explain import any_valid_answer, survey_coverage, those

    covered = covered_sessions(humans, survey)
    n_kept = sum(s.kept for s in humans.sessions)
    if not survey.n_conversations and covered and 2 * len(covered) >= n_kept:
        # the common case, said in nothing: only a file without one valid answer is named
        if any_valid_answer(survey, covered):
            return []
        return [f"{survey.path}: none of its {len(covered) * len(SURVEY_FIELDS)} answers on "
                "the human sessions is one of the options, so its Eval is made of seeded "
                "fills only (is it a survey file?)"]
    c = survey_coverage(survey, humans)
    fills = c["n_answers"] - c["n_valid"]
    if survey.n_conversations:
        cost = (f"{fills} of its {c['n_answers']} answers on the human sessions are seeded "
                "fills in its Eval" if c["n_covered"] else
                f"{NO_SURVEY_COVER}, so there is no Eval")
        return [f"{survey.path}: {survey.n_conversations} of its {c['n_entries']} entries "
                "hold a conversation: it looks like a runs file, not a survey file "
                f"(survey_comparable_*.json, {{id: {{\"survey\": {{...}}}}}}); {cost}"]
    if c["n_covered"] == 0:
        return [f"{survey.path}: {NO_SURVEY_COVER} ({SURVEY_IDS}), so there is no Eval"]
    if 2 * c["n_covered"] < c["n_kept_human_sessions"]:  # a --limit'ed survey, say
        n, fills = c["n_compared"], c["n_filled"]
        share = f" ({100.0 * fills / n:.0f}%)" if n else ""
        return [f"{survey.path}: covers only {c['n_covered']} of the "
                f"{c['n_kept_human_sessions']} kept human sessions, so the Eval rests on "
                f"{those(c['n_covered'])}: of its {n} compared answers, {fills}{share} are "
                "seeded fills"]
    return []  # not reached: the cases above cover every file the common case does not


def input_notes(sim: SessionSet, humans: SessionSet, survey: SurveySet | None) -> list[str]:
    """Everything a score of ``sim`` should say about its inputs, one line each: its
    sessions without features (``io.featureless``) and its survey file (:func:`survey_notes`).
    :func:`score` gives each as a ``UsiWarning``; the Space shows them on the page."""
    from usi_metric.io.featureless import featureless_line

    notes = []
    line = featureless_line(sim.path, sim.featureless, sum(s.kept for s in sim.sessions))
    if line is not None:
        notes.append(line)
    if survey is not None:
        notes += survey_notes(survey, humans)
    return notes


def coverage_of(runs: SessionSet, humans: SessionSet) -> dict[str, int]:
    """``tasks_met`` of ``tasks_total`` (the people's tasks), ``sessions_met`` of
    ``sessions_total`` (the runs' kept sessions) that meet a kept human session."""
    from usi_metric.scoring.explain import coverage

    c = coverage(runs, humans)
    return {"tasks_met": c["n_tasks_matched"], "tasks_total": c["n_human_tasks"],
            "sessions_met": c["n_sessions_matched"], "sessions_total": c["n_kept_sessions"]}


def score(runs: SessionSet | str | os.PathLike[str] | Sequence[Any],
          reference: HumanReference | str | os.PathLike[str], *,
          survey: SurveySet | str | os.PathLike[str] | None = None,
          difficulty: Any = None, name: str | None = None) -> UsiScore:
    """Score a simulator's runs against a human reference (all six terms of docs/usi.md).

    ``runs``: a :class:`~usi_metric.io.SessionSet` of the simulator's sessions, or the path
    (or list of paths) of its results files in any format ``usi score`` reads.
    ``reference``: a :class:`HumanReference` or the path of a reference file.
    ``survey``: the simulator's survey answers on the people's sessions (a ``SurveySet`` or
    a path), for the Eval term. ``difficulty``: the ECE's yardstick (see :func:`resolve`).
    When there is no USI, :attr:`UsiScore.reason` says why (also given as a
    :class:`~usi_metric.errors.UsiWarning`).
    """
    from usi_metric.scoring.explain import no_usi_reason

    ref = as_reference(reference)
    sim = as_runs(runs, name)
    humans = ref.humans()
    if survey is not None and not isinstance(survey, SurveySet):
        from usi_metric.io.release import load_survey

        survey = load_survey(survey, sim.name)
    for note in input_notes(sim, humans, survey):
        warnings.warn(note, UsiWarning, stacklevel=2)
    diff = resolve(difficulty, sim, ref)
    row = score_simulator(sim, humans, diff, survey)
    reason = no_usi_reason(row, diff, sim, HOW_LIBRARY)
    if reason is not None:
        warnings.warn(f"{sim.name}: {reason}", UsiWarning, stacklevel=2)
    return UsiScore(name=sim.name, cells=dict(row.cells), coverage=coverage_of(sim, humans),
                    difficulty=diff, row=row, reason=reason)
