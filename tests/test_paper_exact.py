"""The project's command line against an independent reference of the paper's scorer.

``paper_reference.py`` (plain Python + numpy + ``re``, importing nothing from ``usi_metric``)
scores releases written by ``release_gen.py``; the project is reached only through its
command line. Every cell (mean and std) must agree to 1e-9, and None must be None. Five
hand-built releases then pin paper behaviours that a scorer easily gets wrong.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from paper_reference import CELLS, HUMAN_ROW, conversation_features, score_release
from release_gen import make_release

SEEDS = tuple(range(8))
TOL = 1e-9


def usi(*args: str) -> dict:
    """``python -m usi_metric ARGS``: must exit 0; its stdout parsed as JSON."""
    env = {k: v for k, v in os.environ.items() if k != "USI_WORKERS"}
    proc = subprocess.run([sys.executable, "-m", "usi_metric", *args], capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 0, f"usi {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}"
    return json.loads(proc.stdout)


def leaderboard(data_dir: Path, difficulty: Path | None = None) -> list[dict]:
    """The leaderboard on the given map, else pooled over the simulators scored ('self',
    the paper's table; the default yardstick is the published map)."""
    args = ["leaderboard", "--data-dir", str(data_dir), "--format", "json",
            "--difficulty", "self" if difficulty is None else str(difficulty)]
    return usi(*args)["rows"]


def row_of(rows: list[dict], name: str) -> dict:
    hits = [r for r in rows if r["name"] == name]
    assert len(hits) == 1, f"{len(hits)} rows named {name!r} in {[r['name'] for r in rows]}"
    return hits[0]


def disagreements(ref_rows: list[dict], cli_rows: list[dict]) -> list[str]:
    """Every cell where the project differs from the reference, as readable lines."""
    out = []
    ref = {r["name"]: r for r in ref_rows}
    got = {r["name"]: r for r in cli_rows}
    if len(got) != len(cli_rows):
        out.append(f"duplicate row names: {[r['name'] for r in cli_rows]}")
    if set(ref) != set(got):
        out.append(f"row names: reference {sorted(ref)}, project {sorted(got)}")
    for name in sorted(set(ref) & set(got)):
        for cell in CELLS:
            want, have = ref[name][cell], got[name].get(cell, "<missing>")
            if want is None or have is None:
                if want is not None or have is not None:
                    out.append(f"{name} {cell}: reference {want}, project {have}")
                continue
            for part, w in zip(("mean", "std"), want, strict=True):
                h = have.get(part) if isinstance(have, dict) else None
                if not isinstance(h, (int, float)) or not math.isclose(h, w, rel_tol=0,
                                                                        abs_tol=TOL):
                    out.append(f"{name} {cell}.{part}: reference {w!r}, project {h!r}")
    return out


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, Path]]:
    out = {}
    for seed in SEEDS:
        root = tmp_path_factory.mktemp(f"release{seed}")
        diff = make_release(root, seed)
        diff_file = root / "difficulty_map.json"
        diff_file.write_text(json.dumps(diff), encoding="utf-8")
        out[seed] = (root, diff_file)
    return out


@pytest.mark.parametrize("mode", ["self", "map"])
@pytest.mark.parametrize("seed", SEEDS)
def test_generated_release_cell_by_cell(releases, seed: int, mode: str) -> None:
    root, diff_file = releases[seed]
    given = diff_file if mode == "map" else None
    ref_rows = score_release(root, given)
    assert any(r["usi"] is not None for r in ref_rows[1:])  # the release exercises the USI
    problems = disagreements(ref_rows, leaderboard(root, given))
    assert not problems, f"seed {seed}, difficulty {mode}:\n" + "\n".join(problems)


FEATURE_SCALE_1 = ("verbosity_cv", "id_density", "user_words_per_turn", "opening_words")


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_generated_session_features(releases, seed: int) -> None:
    """A diagnostic under the cells: every session's features (``usi features``, 0..1 rates)."""
    root, _ = releases[seed]
    files = [root / "data" / "tau_bench_tasks_unified.json",
             *sorted((root / "eval_results").glob("*.json"))]
    problems = []
    for path in files:
        source = "human" if path.parent.name == "data" else "llm"
        data = json.loads(path.read_text(encoding="utf-8"))
        for rec in usi("features", str(path), "--format", "json")["rows"]:
            want = conversation_features(data[rec["instance_id"]]["conversation"], source)
            if want is None:
                if rec["politeness_rate"] is not None:
                    problems.append(f"{path.name} {rec['instance_id']}: project has features")
                continue
            for k, w in want.items():
                h = rec.get(k)
                if h is None or not math.isclose(h, w, rel_tol=0, abs_tol=TOL):
                    problems.append(f"{path.name} {rec['instance_id']} {k}: reference {w}, "
                                    f"project {h}")
    assert not problems, "\n".join(problems[:40])


# --- five paper behaviours, on tiny hand-built releases ----------------------------------------

def _conv(*user_turns: str) -> list[dict]:
    conv = [{"role": "assistant", "content": "Hello, how can I help you today?"}]
    for text in user_turns:
        conv += [{"role": "user", "content": text},
                 {"role": "assistant", "content": "Sure, one moment please."}]
    return conv


def _entry(iid: str, reward: float = 1.0, survey: dict | None = None,
           conv: list[dict] | None = None) -> dict:
    e = {"instance_id": iid, "agent_id": "agent", "reward": reward, "keep": True,
         "conversation": conv or _conv("I want to cancel my flight please", "ok")}
    if survey is not None:
        e["survey"] = {k: {"answer": v} for k, v in survey.items()}
    return e


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _release(root: Path, humans: dict, sims: dict[str, dict], surveys: dict[str, dict],
             difficulty: dict[str, float]) -> Path:
    _write(root / "data" / "tau_bench_tasks_unified.json", humans)
    for name, data in sims.items():
        _write(root / "eval_results" / f"eval_results_{name}.json", data)
    for name, data in surveys.items():
        _write(root / "survey_data" / f"survey_comparable_{name}.json", data)
    return _write(root / "difficulty.json", difficulty)


def test_eval_draws_in_base_id_string_order(tmp_path: Path) -> None:
    """Batch 2 holds airline_1_ann2 (human_like Yes) and airline_10_ann2 (human_like No); the
    simulator answered neither, so both get a seeded draw. rng(42).choice([1, 2, 3]) gives 1,
    then 3. Base ids in string order: airline_1 first, then airline_10.
      airline_1:  human Yes = 3 -> 1.0; draw 1 -> 0.0; |1 - 0| = 1 -> agreement 0
      airline_10: human No  = 1 -> 0.0; draw 3 -> 1.0; |0 - 1| = 1 -> agreement 0
    Batch 2 = 0; batches 1 and 3 have no human answers -> Eval = (0.0, 0.0).
    (Drawing airline_10 first would give 100.0: each draw would land on the human's answer.)
    """
    rng = np.random.default_rng(42)
    assert [int(rng.choice([1, 2, 3])), int(rng.choice([1, 2, 3]))] == [1, 3]
    humans = {"airline_1": _entry("airline_1"), "airline_10": _entry("airline_10"),
              "airline_1_ann2": _entry("airline_1_ann2", survey={"human_like": "Yes"}),
              "airline_10_ann2": _entry("airline_10_ann2", survey={"human_like": "No"})}
    sim = {"airline_10": _entry("airline_10"), "airline_1": _entry("airline_1")}
    survey = {"airline_10_ann2": {"survey": {}}, "airline_1_ann2": {"survey": {}}}
    diff = _release(tmp_path, humans, {"sim": sim}, {"sim": survey},
                    {"airline_1": 0.5, "airline_10": 0.5})
    row = row_of(leaderboard(tmp_path, diff), "sim")
    assert row["eval_agree"] == {"mean": 0.0, "std": 0.0}
    assert row_of(score_release(tmp_path, diff), "sim")["eval_agree"] == (0.0, 0.0)


def test_no_ece_when_no_run_shares_ids(tmp_path: Path) -> None:
    """A <= 170-entry file is one run with ids as they are: airline_1_1 and airline_10_1 share
    no id with the humans, so no batch yields anything -- no Dice, no ECE, no USI -- even
    though the ECE reward maps (third number = run 1) would match airline_1 and airline_10."""
    humans = {i: _entry(i, reward=0.0) for i in ("airline_1", "airline_10", "airline_1_ann2")}
    sim = {i: _entry(i) for i in ("airline_1_1", "airline_10_1")}
    diff = _release(tmp_path, humans, {"sim": sim}, {}, {"airline_1": 0.5, "airline_10": 0.5})
    row = row_of(leaderboard(tmp_path, diff), "sim")
    assert row["ece"] is None
    assert row["usi"] is None
    assert row["D1_conv"] is None
    ref = row_of(score_release(tmp_path, diff), "sim")
    assert (ref["ece"], ref["usi"], ref["D1_conv"]) == (None, None, None)


def test_repeat_rate_counts_lowercased_trigrams(tmp_path: Path) -> None:
    """6 x "I need help" + 6 x "i need help": trigram (i, need, help) 12 times > 10 -> 1.0.
    5 + 5 = 10 is not more than 10 -> 0.0. ``usi features`` prints rates as 0..1."""
    sim = {"airline_1": _entry("airline_1", conv=_conv(*(["I need help"] * 6
                                                          + ["i need help"] * 6))),
           "airline_2": _entry("airline_2", conv=_conv(*(["I need help"] * 5
                                                          + ["i need help"] * 5)))}
    path = _write(tmp_path / "eval_results_sim.json", sim)
    rows = {r["instance_id"]: r for r in usi("features", str(path), "--format", "json")["rows"]}
    assert rows["airline_1"]["short_msg_rate"] == 1.0  # the 0..1 scale
    assert rows["airline_1"]["repeat_rate"] == 1.0
    assert rows["airline_2"]["repeat_rate"] == 0.0


def test_survey_entry_without_answers_is_unanswered(tmp_path: Path) -> None:
    """airline_1's judge entry is {} (no ``survey`` key), airline_2's answer is the number 3:
    both unanswered, both drawn (1, then 3), and the simulator keeps its 6-term USI.
      airline_1: human Yes -> 1.0, draw 1 -> 0.0: agreement 0
      airline_2: human Yes -> 1.0, draw 3 -> 1.0: agreement 100
    Eval = (50.0, 0.0). The conversations are identical, so D1..D4 = 100, and the rewards
    agree, so ECE = 0: USI = (4 x 100 + 50 + 100) / 6 = 91.666... (5 terms would give 100)."""
    humans = {i: _entry(i, survey={"human_like": "Yes"}) for i in ("airline_1", "airline_2")}
    sim = {i: _entry(i) for i in ("airline_1", "airline_2")}
    survey = {"airline_1": {}, "airline_2": {"survey": {"human_like": {"answer": 3}}}}
    diff = _release(tmp_path, humans, {"sim": sim}, {"sim": survey},
                    {"airline_1": 0.5, "airline_2": 0.5})
    row = row_of(leaderboard(tmp_path, diff), "sim")
    assert row["eval_agree"] == {"mean": 50.0, "std": 0.0}
    for cell in ("D1_conv", "D2_info", "D3_clarif", "D4_react"):
        assert row[cell] == {"mean": 100.0, "std": 0.0}, cell
    assert row["ece"] == {"mean": 0.0, "std": 0.0}
    assert math.isclose(row["usi"]["mean"], 550 / 6, rel_tol=0, abs_tol=TOL)
    assert row["usi"]["std"] == 0.0
    ref = row_of(score_release(tmp_path, diff), "sim")
    assert ref["eval_agree"] == (50.0, 0.0)
    assert math.isclose(ref["usi"][0], 550 / 6, rel_tol=0, abs_tol=TOL)


def test_telecom_human_task_key(tmp_path: Path) -> None:
    """The task key of a human id is taken from its BASE id: telecom_4_ann2 -> telecom_4."""
    humans = {i: _entry(i) for i in ("telecom_4", "telecom_4_ann2", "airline_7_ann3")}
    path = _write(tmp_path / "tau_bench_tasks_unified.json", humans)
    out = usi("features", str(path), "--format", "json")
    keys = {r["instance_id"]: r["task_key"] for r in out["rows"]}
    assert keys == {"telecom_4": "telecom_4", "telecom_4_ann2": "telecom_4",
                    "airline_7_ann3": "airline_7"}
    assert out["source"] == "human"


def test_reference_is_the_paper_on_the_hand_cases() -> None:
    """The reference itself on two hand cases (so it cannot drift with the project)."""
    feats = conversation_features(_conv(*(["I need help"] * 6 + ["i need help"] * 6)), "llm")
    assert feats is not None and feats["repeat_rate"] == 1.0
    assert conversation_features([{"role": "user", "content": " /stop "}], "human") is None
    assert conversation_features([{"role": "user", "content": " /stop "}], "llm") is not None
    assert HUMAN_ROW == "Human (inter-ann.)"


def test_telecom_runs_of_a_multi_run_file(tmp_path: Path) -> None:
    """In a multi-run file (> 170 entries) telecom_4_2 is run 2 of telecom_4 (``rsplit``), for
    the rows and for the ECE, like retail_12_2 is run 2 of retail_12 (spec §1: other domains
    with the same rule). Runs 1-3 each hold airline_1 ("ok", reward 1) and telecom_4 (a 7-word
    polite turn, reward 0), plus 57 filler tasks; the humans did "ok" on both, reward 1.
      sim row: polite 50, short 50, ack 50, frontload 100, id_density 1.5 (cancel, reservation,
               please), words 4, opening 4; human row: short 100, ack 100, frontload 100,
               id 0, words 1, opening 1.
      D1 = (0 + 2/3 + 1 + 2/3 + 1 + 1 + 1) / 7 = 16/21; D2 = (1 + 0 + 2/5 + 2/5) / 4 = 0.45
      ECE per run: one bin, |mean(1, 0) - mean(1, 1)| = 0.5
      USI = (100 * 16/21 + 45 + 100 + 100 + 50) / 5
    """
    text = "I want to cancel my reservation please"
    humans = {"airline_1": _entry("airline_1", conv=_conv("ok")),
              "telecom_4": _entry("telecom_4", conv=_conv("ok"))}
    sim = {}
    for run in "123":
        sim[f"airline_1_{run}"] = _entry(f"airline_1_{run}", conv=_conv("ok"))
        sim[f"telecom_4_{run}"] = _entry(f"telecom_4_{run}", reward=0.0, conv=_conv(text))
        for i in range(200, 257):
            sim[f"airline_{i}_{run}"] = _entry(f"airline_{i}_{run}", conv=_conv("ok"))
    diff = _release(tmp_path, humans, {"sim": sim}, {}, {"airline_1": 0.5, "telecom_4": 0.5})
    want = {"D1_conv": 100 * 16 / 21, "D2_info": 45.0, "D3_clarif": 100.0, "D4_react": 100.0,
            "ece": 0.5, "usi": (100 * 16 / 21 + 45 + 100 + 100 + 50) / 5}
    ref = row_of(score_release(tmp_path, diff), "sim")
    row = row_of(leaderboard(tmp_path, diff), "sim")
    for cell, value in want.items():
        assert math.isclose(ref[cell][0], value, rel_tol=0, abs_tol=TOL), ("reference", cell)
        assert row[cell] is not None, f"project: {cell} is null"
        assert math.isclose(row[cell]["mean"], value, rel_tol=0, abs_tol=TOL), (cell, row[cell])
