"""Where the Eval draws happen (docs/eval.md): a survey file against the humans' answers.

A judge answer that is missing or not an option is filled by a seeded draw, so the ORDER in
which entries are visited decides which entry gets which draw. Simulators: one generator
(seed 42) for batch 1, 2, 3 in turn, entries in sorted order of the BASE id
(``airline_1`` < ``airline_10`` < ``airline_2``, as strings). The human ceiling: one
generator, the second human's file in its own order.

>>> from usi_metric.io import SurveySet
>>> survey_batches(SurveySet("x", "x.json", {"airline_10_ann2": {}, "airline_1": {}}))[2]
{'airline_10': {}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from usi_metric.aggregation import MeanStd, mean_std
from usi_metric.aggregation.eval_agree import agreements
from usi_metric.io import Session, SessionSet, SurveySet
from usi_metric.io.ids import human_base_id, human_batch

EVAL_SEED = 42
BATCHES = (1, 2, 3)


def covered_sessions(humans: SessionSet, survey: SurveySet) -> list[Session]:
    """Kept human sessions whose instance id is in the survey file, in sorted id order: the
    sessions a survey file can be compared on (the evaluative gap, the survey coverage)."""
    kept = {s.instance_id: s for s in humans.sessions if s.kept}
    return [kept[i] for i in sorted(set(kept) & set(survey.surveys))]


def survey_batches(survey: SurveySet) -> dict[int, dict[str, Mapping[str, Any]]]:
    """Split a survey file into batches 1..3 by the ``_ann2`` / ``_ann3`` suffixes,
    each keyed by base id (the id without the suffix)."""
    out: dict[int, dict[str, Mapping[str, Any]]] = {b: {} for b in BATCHES}
    for iid, answers in survey.surveys.items():
        out[human_batch(iid)][human_base_id(iid)] = answers
    return out


def simulator_eval_entries(survey: SurveySet,
                           humans: SessionSet) -> dict[int, list[tuple[str, float]]]:
    """Per batch, ``(task key, agreement)`` of every scored entry, with the draws of the
    simulator's one generator in the order of §7 (the bootstrap resamples these values)."""
    rng = np.random.default_rng(EVAL_SEED)
    by_batch = survey_batches(survey)
    out: dict[int, list[tuple[str, float]]] = {}
    for b in BATCHES:
        kept = {s.base_id: s for s in humans.sessions if s.group == str(b) and s.kept}
        bases = sorted(set(kept) & set(by_batch[b]))
        values = agreements([kept[x].survey for x in bases], [by_batch[b][x] for x in bases],
                            rng)  # entry by entry's draws, for the batch at once
        out[b] = [(kept[x].task_key, a) for x, a in zip(bases, values, strict=True)
                  if a is not None]
    return out


def simulator_eval(survey: SurveySet | None, humans: SessionSet) -> tuple[MeanStd | None,
                                                                          list[float]]:
    """A simulator's Eval: (mean, std) over batch scores, and the batch scores."""
    if survey is None:
        return None, []
    batch_scores: list[float] = []
    for entries in simulator_eval_entries(survey, humans).values():
        if entries:
            batch_scores.append(float(np.mean([a for _, a in entries])))
    return mean_std(batch_scores), batch_scores


def human_eval_entries(human_eval_set: SurveySet,
                       humans: SessionSet) -> list[tuple[str, float]]:
    """``(task key, agreement)`` of the ceiling's scored entries, in the file's order."""
    rng = np.random.default_rng(EVAL_SEED)
    kept = {s.instance_id: s for s in humans.sessions if s.group == "1" and s.kept}
    iids = [iid for iid in human_eval_set.surveys if iid in kept]
    values = agreements([kept[i].survey for i in iids],
                        [human_eval_set.surveys[i] for i in iids], rng)
    return [(kept[i].task_key, a) for i, a in zip(iids, values, strict=True) if a is not None]


def human_eval(human_eval_set: SurveySet | None, humans: SessionSet) -> MeanStd | None:
    """The ceiling's Eval: batch 1's kept entries against the second human, file order."""
    if human_eval_set is None:
        return None
    return mean_std([a for _, a in human_eval_entries(human_eval_set, humans)])
