"""The evaluative gap beside the USI (docs/gap.md; the paper's RQ2/RQ3).

Three comparisons, each a pure function over sessions and survey answers, and
:func:`evaluative_gap` over a whole :class:`~usi_metric.io.Release`:

1. **Survey over-estimation** (:func:`survey_gap`), per survey field of §7. The entries
   compared are the *covered sessions*: ids present in the simulator's
   ``survey_comparable_<sim>.json`` that are kept (``keep`` true) in the human file, matched
   by the full instance id (``airline_7_ann2`` is batch 2's session, as for Eval). Over those:

   - ``sim_mean``: mean normalised answer (§7 scale, ``(v - min)/(max - min)``) of the
     simulator's answers, counting only valid options (``n_sim`` of them);
   - ``human_mean``: the same over the humans' own answers on the same sessions
     (``n_human`` valid ones; the two sets may differ when one side left a field out);
   - ``overestimation_pct`` = ``100 * (sim_mean - human_mean)``: how far the simulator rates
     the session above the human, in % of the field's scale.

   A mean with no valid answer is null, and so is an over-estimation missing either mean.

2. **Success inflation** (:func:`success_inflation`): the agent's success rate with the
   simulator vs with humans, in %. Simulator: every session of every run of its file except
   ``keep: false`` (``keep: null`` counts, as in the run reward maps of §6). Humans: the kept
   sessions (``keep`` true) of all three batches. Success is ``reward > 0`` (a missing or null
   reward is 0). ``inflation_pp`` = simulator % − human %, in percentage points.

3. **Reward vs human judgement** (:func:`reward_vs_judgement`), over the kept human sessions
   (all batches) whose ``task_success`` answer is a valid option; the others are left out
   (counted in ``n_without_answer``). "Judged successful" means an answer at or above
   ``"Yes - Task completed"`` (that or ``"Fully - Exceeded expectations"``).

   - ``reward0_judged_success``: among sessions with reward 0 (success 0: reward ≤ 0,
     missing or null), the share the human judged successful;
   - ``reward1_judged_failure``: among sessions with reward 1 (``reward > 0``), the share the
     human judged unsuccessful (any valid answer below ``"Yes - Task completed"``).

Shares are fractions in [0, 1]; success rates are percents. A quantity with no data is
``None`` (JSON null), never NaN.

>>> from usi_metric.samples import sample_release_dir
>>> from usi_metric.io import load_release
>>> gap = evaluative_gap(load_release(sample_release_dir()))
>>> sorted(gap)
['humans', 'reward_vs_judgement', 'simulators', 'synthetic']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import (
    SURVEY_FIELDS,
    answer_text,
    normalised_answer,
)
from usi_metric.io import (
    Release,
    Session,
    SessionSet,
    SurveySet,
    load_release,
    select_simulators,
)
from usi_metric.samples import is_synthetic
from usi_metric.scoring.difficulty import outcome_sessions
from usi_metric.scoring.evaluation import covered_sessions

SUCCESS_ANSWER = "Yes - Task completed"
#: The normalised ``task_success`` value at or above which the human judged success (0.75).
SUCCESS_THRESHOLD: float = normalised_answer("task_success", SUCCESS_ANSWER)  # type: ignore[assignment]


def _mean(values: Sequence[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


# ----------------------------------------------------------------------------- 1. survey


@dataclass(frozen=True)
class FieldGap:
    """One survey field: simulator vs human mean normalised answer on the covered sessions."""

    field: str
    sim_mean: float | None
    human_mean: float | None
    n_sim: int
    n_human: int

    @property
    def overestimation_pct(self) -> float | None:
        """``100 * (sim_mean - human_mean)``, None when either mean is missing."""
        if self.sim_mean is None or self.human_mean is None:
            return None
        return 100.0 * (self.sim_mean - self.human_mean)

    def as_dict(self) -> dict[str, Any]:
        return {"human_mean": self.human_mean, "n_human": self.n_human, "n_sim": self.n_sim,
                "overestimation_pct": self.overestimation_pct, "sim_mean": self.sim_mean}


def field_gap(field: str, pairs: Iterable[tuple[Any, Any]]) -> FieldGap:
    """Compare ``(human answer, simulator answer)`` pairs of one field; invalid ones drop out.

    >>> g = field_gap("human_like", [("Partially", "Yes"), ("No", "Yes"), (None, "meh")])
    >>> g.sim_mean, g.human_mean, g.overestimation_pct, g.n_sim, g.n_human
    (1.0, 0.25, 75.0, 2, 2)
    """
    sims: list[float] = []
    hums: list[float] = []
    for h, s in pairs:
        hv = normalised_answer(field, answer_text(h))
        sv = normalised_answer(field, answer_text(s))
        if hv is not None:
            hums.append(hv)
        if sv is not None:
            sims.append(sv)
    return FieldGap(field, _mean(sims), _mean(hums), len(sims), len(hums))


def survey_gap(humans: SessionSet, survey: SurveySet) -> dict[str, FieldGap]:
    """Per field of §7 (in the spec's order): the simulator's answers vs the humans' on the
    covered sessions (:func:`covered_sessions`)."""
    covered = covered_sessions(humans, survey)
    return {f: field_gap(f, ((s.survey.get(f), survey.surveys[s.instance_id].get(f))
                             for s in covered))
            for f in SURVEY_FIELDS}


# ----------------------------------------------------------------------------- 2. success


@dataclass(frozen=True)
class SuccessRate:
    """Successes out of sessions; ``pct`` is None when there is no session."""

    n_success: int
    n_sessions: int

    @property
    def pct(self) -> float | None:
        return _pct(self.n_success, self.n_sessions)

    def as_dict(self) -> dict[str, Any]:
        return {"n_sessions": self.n_sessions, "n_success": self.n_success,
                "success_pct": self.pct}


def simulator_success(sim: SessionSet) -> SuccessRate:
    """Every run's sessions except ``keep: false``; success is ``reward > 0``."""
    used = outcome_sessions(sim)
    return SuccessRate(sum(s.success for s in used), len(used))


def human_success(humans: SessionSet) -> SuccessRate:
    """The kept human sessions of all batches; success is ``reward > 0``."""
    used = outcome_sessions(humans)
    return SuccessRate(sum(s.success for s in used), len(used))


def success_inflation(sim: SuccessRate, human: SuccessRate) -> float | None:
    """Simulator success % minus human success % (percentage points), None if either is.

    >>> success_inflation(SuccessRate(3, 4), SuccessRate(1, 2))
    25.0
    """
    if sim.pct is None or human.pct is None:
        return None
    return sim.pct - human.pct


# ----------------------------------------------------------------------------- 3. reward


@dataclass(frozen=True)
class RewardJudgement:
    """Counts behind the reward-vs-judgement shares (kept human sessions only)."""

    n_reward0: int
    n_reward0_judged_success: int
    n_reward1: int
    n_reward1_judged_failure: int
    n_without_answer: int

    @property
    def reward0_judged_success(self) -> float | None:
        return _share(self.n_reward0_judged_success, self.n_reward0)

    @property
    def reward1_judged_failure(self) -> float | None:
        return _share(self.n_reward1_judged_failure, self.n_reward1)

    def as_dict(self) -> dict[str, Any]:
        return {"n_reward0": self.n_reward0,
                "n_reward0_judged_success": self.n_reward0_judged_success,
                "n_reward1": self.n_reward1,
                "n_reward1_judged_failure": self.n_reward1_judged_failure,
                "n_without_answer": self.n_without_answer,
                "reward0_judged_success": self.reward0_judged_success,
                "reward1_judged_failure": self.reward1_judged_failure}


def judged_successful(answer: Any) -> bool | None:
    """True for an answer ≥ "Yes - Task completed", False below, None if not a valid option.

    >>> judged_successful("Fully - Exceeded expectations"), judged_successful("Partially - "
    ...     "Some progress"), judged_successful("yes")
    (True, False, None)
    """
    v = normalised_answer("task_success", answer_text(answer))
    return None if v is None else v >= SUCCESS_THRESHOLD


def reward_vs_judgement(sessions: Iterable[Session]) -> RewardJudgement:
    """Reward (``reward > 0``) against the human's own ``task_success`` answer.

    Only kept sessions count (``keep`` true); those without a valid answer are left out.
    """
    n0 = n0_ok = n1 = n1_bad = missing = 0
    for s in sessions:
        if not s.kept:
            continue
        judged = judged_successful(s.survey.get("task_success"))
        if judged is None:
            missing += 1
        elif s.success:
            n1 += 1
            n1_bad += not judged
        else:
            n0 += 1
            n0_ok += judged
    return RewardJudgement(n0, n0_ok, n1, n1_bad, missing)


# ----------------------------------------------------------------------------- release


def shared_success(sim: SessionSet, humans: SessionSet) -> dict[str, Any]:
    """Success inflation on the tasks both sides have sessions of (``n_tasks`` of them; the
    sessions as :func:`simulator_success` / :func:`human_success` count them), so a run of
    half the tasks is not compared with people on all of them.

    >>> from usi_metric.io import load_release
    >>> from usi_metric.samples import sample_release_dir
    >>> rel = load_release(sample_release_dir())
    >>> shared_success(rel.simulators["synth-terse"], rel.humans)["n_tasks"]
    58
    """
    s_used, h_used = outcome_sessions(sim), outcome_sessions(humans)
    tasks = {s.task_key for s in s_used} & {s.task_key for s in h_used}
    s_rate = SuccessRate(*_count(s for s in s_used if s.task_key in tasks))
    h_rate = SuccessRate(*_count(s for s in h_used if s.task_key in tasks))
    return {"n_tasks": len(tasks), "n_tasks_human": len({s.task_key for s in h_used}),
            "simulator": s_rate.as_dict(), "human": h_rate.as_dict(),
            "inflation_pp": success_inflation(s_rate, h_rate)}


def _count(sessions: Iterable[Session]) -> tuple[int, int]:
    used = list(sessions)
    return sum(s.success for s in used), len(used)


def simulator_gap(sim: SessionSet, humans: SessionSet, survey: SurveySet | None,
                  human_rate: SuccessRate | None = None) -> dict[str, Any]:
    """The gap entry of one simulator: survey fields (null without a survey) and success
    (over every session, the paper's; and on the tasks both sides have, ``shared``)."""
    human_rate = human_rate or human_success(humans)
    sim_rate = simulator_success(sim)
    fields = None
    n_covered = None
    if survey is not None:
        n_covered = len(covered_sessions(humans, survey))
        fields = {f: g.as_dict() for f, g in survey_gap(humans, survey).items()}
    return {"name": sim.name,
            "survey": None if fields is None else {"fields": fields, "n_covered": n_covered},
            "success": {"simulator": sim_rate.as_dict(), "human": human_rate.as_dict(),
                        "inflation_pp": success_inflation(sim_rate, human_rate),
                        "shared": shared_success(sim, humans)}}


def evaluative_gap(release: Release, simulators: Sequence[str] | None = None) -> dict[str, Any]:
    """The whole §9 gap of a release as a JSON-ready dict (no NaN; missing is None).

    ``simulators`` selects and orders the simulators (default: all, sorted by name).
    """
    names = list(simulators) if simulators is not None else list(release.simulators)
    h_rate = human_success(release.humans)
    return {
        "synthetic": is_synthetic(release.root),
        "humans": {"success": h_rate.as_dict()},
        "reward_vs_judgement": reward_vs_judgement(release.humans.sessions).as_dict(),
        "simulators": [simulator_gap(release.simulators[n], release.humans,
                                     release.surveys.get(n), h_rate) for n in names],
    }


def gap_json(gap: Mapping[str, Any]) -> str:
    """Stable JSON text: sorted keys, simulators in the given order, NaN refused."""
    return json.dumps(gap, sort_keys=True, indent=2, allow_nan=False)


def gap_for(data_dir: str | Path, simulators: Sequence[str] | None = None) -> dict[str, Any]:
    """The evaluative gap of a release folder, reading only the simulators asked for."""
    release = load_release(data_dir, only=list(simulators) if simulators else None)
    names = select_simulators(release, simulators)
    return evaluative_gap(release, names)
