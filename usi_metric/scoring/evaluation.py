"""Where the Eval draws happen (docs/eval.md): a survey file against the humans' answers.

A judge answer that is missing or not an option is filled by a seeded draw, so the ORDER in
which entries are visited decides which entry gets which draw. Simulators: one generator
(seed 42) for the human batches in turn (1, 2, 3 for a release; a reference's batch labels
in their order), entries in sorted order of the BASE id (``airline_1`` < ``airline_10`` <
``airline_2``, as strings; a reference of a team's own people: its task keys). The human
ceiling: one generator, the second human's file in its own order, against the first batch.

>>> from usi_metric.io import SurveySet
>>> survey_batches(SurveySet("x", "x.json", {"airline_10_ann2": {}, "airline_1": {}}))["2"]
{'airline_10': {}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

import numpy as np

from usi_metric.aggregation import MeanStd, mean_std
from usi_metric.aggregation.eval_agree import agreements
from usi_metric.io import Session, SessionSet, SurveySet
from usi_metric.io.ids import RELEASE_BATCHES, batch_order, human_base_id, human_batch

EVAL_SEED = 42
BATCHES = (1, 2, 3)  # the release's batches as numbers (the bootstrap's tables)


def human_batches(humans: SessionSet) -> tuple[str, ...]:
    """The batch labels of a human set in scoring order: the set's own (a release: 1, 2, 3;
    a reference: its batches), else its sessions' groups in ``ids.batch_order``.

    >>> from usi_metric.io import load_humans
    >>> from usi_metric.samples import sample_release_dir
    >>> human_batches(load_humans(sample_release_dir() / "data" / "tau_bench_tasks_unified.json"))
    ('1', '2', '3')
    """
    if humans.batches is not None:
        return humans.batches
    return batch_order(s.group for s in humans.sessions)


def batch_pairs(batches: Iterable[str]) -> list[tuple[str, str]]:
    """Every pair of batches, in order: the human ceiling's comparisons.

    >>> batch_pairs(("1", "2", "3"))
    [('1', '2'), ('1', '3'), ('2', '3')]
    """
    return list(combinations(batches, 2))


def covered_sessions(humans: SessionSet, survey: SurveySet) -> list[Session]:
    """Kept human sessions whose instance id is in the survey file, in sorted id order: the
    sessions a survey file can be compared on (the evaluative gap, the survey coverage)."""
    kept = {s.instance_id: s for s in humans.sessions if s.kept}
    return [kept[i] for i in sorted(set(kept) & set(survey.surveys))]


def survey_batches(survey: SurveySet, humans: SessionSet | None = None
                   ) -> dict[str, dict[str, Mapping[str, Any]]]:
    """Split a survey file into batches, each keyed by base id. A survey file is keyed by
    the human sessions' ids: with ``humans``, an id that is a kept human session's goes to
    that session's batch under its base id (others can meet no kept session); without, the
    release's rule: batches 1..3 by the ``_ann2`` / ``_ann3`` suffixes, the base id being
    the id without its suffix. On a release both give the same entries to every kept
    session (the suffix rule maps distinct ids to distinct (batch, base id) pairs)."""
    if humans is None:
        out: dict[str, dict[str, Mapping[str, Any]]] = {b: {} for b in RELEASE_BATCHES}
        for iid, answers in survey.surveys.items():
            out[str(human_batch(iid))][human_base_id(iid)] = answers
        return out
    out = {b: {} for b in human_batches(humans)}
    where = {s.instance_id: (s.group, s.base_id) for s in humans.sessions if s.kept}
    for iid, answers in survey.surveys.items():
        if iid in where:
            group, base = where[iid]
            out.setdefault(group, {})[base] = answers
    return out


def simulator_eval_entries(survey: SurveySet,
                           humans: SessionSet) -> dict[str, list[tuple[str, float]]]:
    """Per batch, ``(task key, agreement)`` of every scored entry, with the draws of the
    simulator's one generator in the order of §7 (the bootstrap resamples these values)."""
    rng = np.random.default_rng(EVAL_SEED)
    by_batch = survey_batches(survey, humans)
    out: dict[str, list[tuple[str, float]]] = {}
    for b in human_batches(humans):
        kept = {s.base_id: s for s in humans.sessions if s.group == b and s.kept}
        answers = by_batch.get(b, {})
        bases = sorted(set(kept) & set(answers))
        values = agreements([kept[x].survey for x in bases], [answers[x] for x in bases],
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
    """``(task key, agreement)`` of the ceiling's scored entries, in the file's order: the
    first batch's kept sessions (a release: batch 1) whose id is in the file."""
    rng = np.random.default_rng(EVAL_SEED)
    batches = human_batches(humans)
    first = batches[0] if batches else None
    kept = {s.instance_id: s for s in humans.sessions if s.group == first and s.kept}
    iids = [iid for iid in human_eval_set.surveys if iid in kept]
    values = agreements([kept[i].survey for i in iids],
                        [human_eval_set.surveys[i] for i in iids], rng)
    return [(kept[i].task_key, a) for i, a in zip(iids, values, strict=True) if a is not None]


def human_eval(human_eval_set: SurveySet | None, humans: SessionSet) -> MeanStd | None:
    """The ceiling's Eval: the first batch's kept entries against the second human, in the
    file's order."""
    if human_eval_set is None:
        return None
    return mean_std([a for _, a in human_eval_entries(human_eval_set, humans)])
