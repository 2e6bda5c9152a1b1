"""The Eval of a file made by ``usi survey`` equals the Eval of docs/eval.md worked out by
hand on the mini release of ``judge_fixtures`` (answers served by a test server: ``SERVED``).

Normalised values, ``(v - min) / (max - min)``: task_success /4 (1..5), efficiency /3 (1..4),
question_amount_preference /1 (Too many 1, About right 2, Too few 1), answer_effort_time /2,
human_like /2, interaction_flow /3, overall_score /4, reuse /4.

The seeded fill: one ``numpy.random.default_rng(42)``, one ``rng.choice(sorted(set(values)))``
per judge answer that is missing or not an option, over batch 1, 2, 3, entries in sorted
BASE-id order (``airline_10`` < ``airline_2`` < ``retail_1``), fields in the spec's order, and
only for fields the human answered validly. The draws, in that order (checked below):

====  ==========================  =====================  ===========  =====  ==========
draw  entry                       field                  judge gave   pool   drawn
====  ==========================  =====================  ===========  =====  ==========
1     airline_2 (batch 1)         task_success           "Partially"  1..5   1 -> 0
2     airline_2                   human_like             "yes"        1..3   3 -> 1
3     airline_2                   reuse                  " Maybe"     1..5   4 -> 0.75
4     retail_1 (unanswered)       task_success           null         1..5   3 -> 0.5
5     retail_1                    efficiency             null         1..4   2 -> 1/3
6     retail_1                    reuse                  null         1..5   5 -> 1
7     airline_10_ann2 (batch 2)   question_amount_pref.  "A bit too…" 1..2   1 -> 0
8     airline_10_ann2             overall_score          4 (number)   1..5   4 -> 0.75
====  ==========================  =====================  ===========  =====  ==========

Batch 1:
- airline_10, every field valid on both sides: |h - l| = ts |.75-.75| 0, eff |2/3-1| 1/3,
  qap |1-1| 0, aet |1-.5| .5, hl |.5-1| .5, flow |2/3-1| 1/3, overall |.75-1| .25,
  reuse |.75-1| .25; sum 13/6, mean 13/48, score (1 - 13/48) x 100 = 875/12 = 72.9166...
- airline_2, the human answered ts .5, hl 0, overall .25, reuse .5 (efficiency and flow are
  "no answer": no draw): ts |.5-0| .5 (draw 1), hl |0-1| 1 (draw 2), overall
  |.25-.5| .25 ("3 (Acceptable)"), reuse |.5-.75| .25 (draw 3); mean 2/4, score 50.
- retail_1, the human answered ts 1, eff 1, reuse 1; the judge nothing (unreadable twice):
  ts |1-.5| .5 (draw 4), eff |1-1/3| 2/3 (draw 5), reuse |1-1| 0 (draw 6); mean 7/18,
  score 550/9 = 61.111...
- batch 1 = (875/12 + 50 + 550/9) / 3 = 6625/108 = 61.3425...
Batch 2:
- airline_10_ann2, the human: ts 0, qap 0, aet 0, hl 0, overall 0, reuse 0; the judge: ts
  "No - Task failed" 0 -> 0, qap draw 7 -> 0, aet "Low" 1 -> 1, hl "Partially" .5 -> .5,
  overall draw 8 -> .75, reuse "No" .25 -> .25; mean 2.5/6, score 175/3 = 58.333...
- airline_2_ann2: the human answered nothing: no score, no draw.
- batch 2 = 175/3.
Batch 3:
- airline_10_ann3, the human: eff 1/3, hl 1, flow 1/3 (overall "no answer"); the judge:
  eff "Very inefficient - Too many steps" 0, hl "Yes" 1, flow "Not smooth" 0: |1/3|, 0,
  |1/3|; mean 2/9, score 700/9 = 77.777...
Eval = mean(6625/108, 175/3, 700/9) = 21325/324 = 65.8179..., std = population std of the
three.

Over-estimation of human_like (spec §9) on the 6 covered sessions: the judge's valid answers
Yes 1, Partially .5 (airline_10_ann2), Partially .5 (airline_2_ann2, after the re-ask),
Yes 1 (airline_10_ann3) -> 3/4; the humans' Partially .5, No 0, No 0, Yes 1 -> 3/8;
100 x (3/4 - 3/8) = +37.5.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from judge_fixtures import ChatServer, served, write_release

from usi_metric.cli import main
from usi_metric.io import find_human_file, load_humans, load_survey
from usi_metric.report.gap import survey_gap
from usi_metric.scoring.evaluation import simulator_eval


def test_the_draws_of_the_table() -> None:
    rng = np.random.default_rng(42)
    pools = [[1, 2, 3, 4, 5], [1, 2, 3], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4],
             [1, 2, 3, 4, 5], [1, 2], [1, 2, 3, 4, 5]]
    assert [int(rng.choice(p)) for p in pools] == [1, 3, 4, 3, 2, 5, 1, 4]


def test_eval_of_a_produced_file_equals_the_hand_computation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    release = write_release(tmp_path / "rel")
    out = tmp_path / "survey_data" / "survey_comparable_judge.json"
    with ChatServer(served) as srv:
        assert main(["survey", "--data-dir", str(release), "--model", "judge-7b",
                     "--endpoint", srv.url, "--out", str(out), "--date", "2026-03-14"]) == 0
    batches = [6625 / 108, 175 / 3, 700 / 9]
    mean = sum(batches) / 3
    std = math.sqrt(sum((b - mean) ** 2 for b in batches) / 3)
    assert abs(mean - 21325 / 324) < 1e-12

    humans = load_humans(find_human_file(release))
    got, got_batches = simulator_eval(load_survey(out), humans)
    assert got is not None
    assert max(abs(a - b) for a, b in zip(got_batches, batches, strict=True)) < 1e-9
    assert abs(got.mean - mean) < 1e-9 and abs(got.std - std) < 1e-9
    printed = capsys.readouterr().out
    assert (f"Eval of survey_comparable_judge.json against the humans: {mean:.1f} ± "
            f"{std:.1f} (over 3 batches: 61.3, 58.3, 77.8)") in printed
    gap = survey_gap(humans, load_survey(out))["human_like"]
    assert (gap.sim_mean, gap.human_mean, gap.n_sim, gap.n_human) == (0.75, 0.375, 4, 4)
    assert gap.overestimation_pct == 37.5
    assert "+37.5" in printed
