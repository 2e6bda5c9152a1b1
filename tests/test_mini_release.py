"""A 3-task mini release scored by hand: Dice, ECE, Eval, USI (5 and 6 terms), the ceiling.

Three conversation kinds with tidy features (one user turn each; no word of 6+ letters,
so the ID lexicon never matches):
  K1 "ok"                -> short 1, ack 1, frontload 1, words 1, opening 1, uncertain 0
  K2 "no way"            -> short 1, ack 0, frontload 1, words 2, opening 2, uncertain 0
  K3 "i am not sure now" -> short 0, ack 0, frontload 1, words 5, opening 5, uncertain 1
Every other feature is 0 for all three, so its Dice similarity is 1.
Difficulty map (given): airline_0 0.1, airline_1 0.19 (both bin 0), airline_2 0.8 (bin 4).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from usi_metric.cli import main
from usi_metric.io import load_release
from usi_metric.scoring import HUMAN_ROW_NAME, leaderboard

# --- expected values, worked out by hand (see the module docstring) -------------------------

# Batch 1: sim row = avg(run1 [K1,K1,K2], run2 [K3]); human row [K1,K2,K3].
#   short 1/2 vs 2/3 -> 6/7; ack 1/3 vs 1/3 -> 1; words 19/6 vs 8/3 -> 32/35; unc 1/2 vs 1/3 -> 4/5
# Batch 2: sim row as batch 1; human row [K1,K1,K3]:
#   short 6/7; ack 1/3 vs 2/3 -> 2/3; words 19/6 vs 7/3 -> 28/33; unc -> 4/5
# Batch 3 (airline_2_ann3 has keep null): runs overlap {a0, a1}: run1 [K1,K1], run2 [K3];
#   human [K2,K2]: short 1/2 vs 1 -> 2/3; ack 1/2 vs 0 -> 0; words 3 vs 2 -> 4/5; unc 1/2 vs 0 -> 0
DIMS = {
    1: (100 * (6 + 6 / 7) / 7, 100 * (2 + 2 * 32 / 35) / 4, 100 * (4 + 4 / 5) / 5, 100.0),
    2: (100 * (5 + 6 / 7 + 2 / 3) / 7, 100 * (2 + 2 * 28 / 33) / 4, 100 * (4 + 4 / 5) / 5, 100.0),
    3: (100 * (5 + 2 / 3) / 7, 100 * (2 + 2 * 4 / 5) / 4, 100 * 4 / 5, 100.0),
}
# ECE: run 1 rewards {a0 1, a1 1, a2 1}; run 2 {a0 0, a2 1} (keep false dropped, null kept).
#   batch 1 humans {a0 1, a1 0, a2 1}: run1 (2/3)|1-1/2| = 1/3, run2 (1/2)|0-1| = 1/2
#   batch 2 humans {a0 1, a1 1, a2 0}: run1 (1/3)|1-0| = 1/3, run2 1/2 + 1/2 = 1
#   batch 3 humans {a0 0, a1 0}:       run1 |1-0| = 1,        run2 |0-0| = 0
ECE = {1: (1 / 3 + 1 / 2) / 2, 2: (1 / 3 + 1) / 2, 3: (1 + 0) / 2}


def sim_eval_batches() -> list[float]:
    rng = np.random.default_rng(42)
    # batch 1, sorted ids: airline_0 -> fields question_amount (0 vs 0), human_like (1 vs .5)
    a0 = (1 - (0 + 0.5) / 2) * 100
    # airline_1: the human answered nothing valid -> no score, no draw
    # airline_2: efficiency (2/3) judge missing -> draw; reuse (1/2) judge invalid -> draw
    eff = (int(rng.choice([1, 2, 3, 4])) - 1) / 3
    reuse = (int(rng.choice([1, 2, 3, 4, 5])) - 1) / 4
    a2 = (1 - (abs(2 / 3 - eff) + abs(0.5 - reuse)) / 2) * 100
    # batch 2: overall_score equal -> 100; batch 3: task_success .75 vs 0 -> 25
    return [(a0 + a2) / 2, 100.0, 25.0]


def human_eval_entries() -> list[float]:
    rng = np.random.default_rng(42)
    # airline_2 first: efficiency 2/3 vs 1; reuse (1/2) missing in the second survey -> draw
    reuse = (int(rng.choice([1, 2, 3, 4, 5])) - 1) / 4
    a2 = (1 - (abs(2 / 3 - 1) + abs(0.5 - reuse)) / 2) * 100
    # airline_0: question_amount "Too few" (0) vs "About right" (1); human_like equal
    return [a2, 50.0]


# Human pairs: (1,2) rows [K1,K2,K3] vs [K1,K1,K3]; (1,3) [K1,K2] vs [K2,K2];
# (2,3) [K1,K1] vs [K2,K2]
PAIR_DIMS = [
    (100 * (6 + 2 / 3) / 7, 100 * (2 + 2 * 14 / 15) / 4, 100.0, 100.0),
    (100 * 6 / 7, 100 * (2 + 2 * 6 / 7) / 4, 100.0, 100.0),
    (100 * 6 / 7, 100 * (2 + 2 * 2 / 3) / 4, 100.0, 100.0),
]
# (1,2): bin0 (2/3)|1/2-1| + bin4 (1/3)|1-0| = 2/3; (1,3): |1/2-0| = 1/2; (2,3): |1-0| = 1
PAIR_ECE = [2 / 3, 1 / 2, 1.0]

KEYS = ("D1_conv", "D2_info", "D3_clarif", "D4_react")


def by_name(rows: list) -> dict:
    return {r.name: r for r in rows}


def test_simulator_dimensions_ece_and_usi_six_terms(mini: Path) -> None:
    rows = by_name(leaderboard(load_release(mini), str(mini / "difficulty.json")))
    s = rows["s"]
    eval_b = sim_eval_batches()
    assert s.cells["eval_agree"].mean == pytest.approx(np.mean(eval_b), abs=1e-12)
    assert s.cells["eval_agree"].std == pytest.approx(np.std(eval_b), abs=1e-12)
    usis = []
    for b in (1, 2, 3):
        res = s.batches[b - 1]
        for k, want in zip(KEYS, DIMS[b], strict=True):
            assert res.dims[k] == pytest.approx(want, abs=1e-12), (b, k)
        assert res.ece == pytest.approx(ECE[b], abs=1e-12)
        usis.append((sum(DIMS[b]) + np.mean(eval_b) + (1 - ECE[b]) * 100) / 6)
        assert res.usi == pytest.approx(usis[-1], abs=1e-12)
    assert s.cells["usi"].mean == pytest.approx(np.mean(usis), abs=1e-12)
    assert s.cells["usi"].std == pytest.approx(np.std(usis), abs=1e-12)
    assert s.cells["ece"].mean == pytest.approx(np.mean(list(ECE.values())), abs=1e-12)
    assert s.cells["D1_conv"].std == pytest.approx(np.std([DIMS[b][0] for b in (1, 2, 3)]),
                                                   abs=1e-12)


def test_simulator_without_survey_has_five_term_usi(mini: Path) -> None:
    rows = by_name(leaderboard(load_release(mini), str(mini / "difficulty.json")))
    s2 = rows["s2"]
    assert s2.cells["eval_agree"] is None
    usis = [(sum(DIMS[b]) + (1 - ECE[b]) * 100) / 5 for b in (1, 2, 3)]
    assert s2.cells["usi"].mean == pytest.approx(np.mean(usis), abs=1e-12)


def test_human_ceiling(mini: Path) -> None:
    rows = leaderboard(load_release(mini), str(mini / "difficulty.json"))
    human = rows[0]
    assert human.name == HUMAN_ROW_NAME
    he = human_eval_entries()
    assert human.cells["eval_agree"].mean == pytest.approx(np.mean(he), abs=1e-12)
    assert human.cells["eval_agree"].std == pytest.approx(np.std(he), abs=1e-12)
    usis = []
    for res, dims, e in zip(human.batches, PAIR_DIMS, PAIR_ECE, strict=True):
        for k, want in zip(KEYS, dims, strict=True):
            assert res.dims[k] == pytest.approx(want, abs=1e-12), (res.batch, k)
        assert res.ece == pytest.approx(e, abs=1e-12)
        usis.append((sum(dims) + np.mean(he) + (1 - e) * 100) / 6)
    assert human.cells["usi"].mean == pytest.approx(np.mean(usis), abs=1e-12)
    assert human.cells["usi"].std == pytest.approx(np.std(usis), abs=1e-12)


def test_leaderboard_json_contract(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["leaderboard", "--data-dir", str(mini), "--difficulty",
                 str(mini / "difficulty.json"), "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["coverage", "difficulty", "rows"]
    # s and s2: the same runs; 4 kept sessions (keep false and null out) meet the 3 tasks
    assert out["coverage"] == {n: {"sessions_met": 4, "sessions_total": 4, "tasks_met": 3,
                                   "tasks_total": 3} for n in ("s", "s2")}
    names = [r["name"] for r in out["rows"]]
    assert names[0] == HUMAN_ROW_NAME and set(names[1:]) == {"s", "s2"}
    usi = [r["usi"]["mean"] for r in out["rows"][1:]]
    assert usi == sorted(usi, reverse=True)
    keys = {"name", "D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi"}
    for r in out["rows"]:
        assert set(r) == keys
        for k in keys - {"name"}:
            assert r[k] is None or set(r[k]) == {"mean", "std"}
    s2 = next(r for r in out["rows"] if r["name"] == "s2")
    assert s2["eval_agree"] is None
    assert 0 <= s2["ece"]["mean"] <= 1


def test_self_pooled_difficulty_needs_ten_samples(mini: Path) -> None:
    # Two simulators x two runs = at most 4 samples per task: no difficulty, so no ECE/USI.
    rows = by_name(leaderboard(load_release(mini), "self"))
    assert rows["s"].cells["ece"] is None and rows["s"].cells["usi"] is None
    assert rows["s"].cells["D1_conv"] is not None
