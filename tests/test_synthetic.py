"""The SYNTHETIC sample generator (``usi_metric.samples.synthetic``) and the bundled sample it made.

The sample is checked with plain ``json`` and ``re`` against docs/index.md (§1 layout, §2
meta messages, §7 survey options), not with the library that reads it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from usi_metric.samples import new_simulator_dir, sample_release_dir
from usi_metric.samples.synthetic import (
    DEFAULT_SIMULATORS,
    EDGES,
    SimSpec,
    benchmark_simulators,
    generate_new_simulator_runs,
    generate_release,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sample_release_dir()
NEW = new_simulator_dir()
LEXICONS = json.loads((ROOT / "usi_metric" / "data" / "lexicons.json").read_text("utf-8"))
SPEC_OPTIONS = {  # docs/eval.md, copied here on purpose (not imported from the generator)
    "task_success": {"No - Task failed",
                     "No - Due to a policy issue, which the agent clearly explained",
                     "Partially - Some progress", "Yes - Task completed",
                     "Fully - Exceeded expectations"},
    "efficiency": {"Very inefficient - Too many steps", "Somewhat inefficient", "About right",
                   "Very efficient"},
    "question_amount_preference": {"Too many", "About right", "Too few"},
    "answer_effort_time": {"High", "Medium", "Low"},
    "human_like": {"No", "Partially", "Yes"},
    "interaction_flow": {"Not smooth", "OK", "Smooth", "Excellent"},
    "overall_score": {"1 (Very poor)", "2 (Poor)", "3 (Acceptable)", "4 (Good)",
                      "5 (Excellent)"},
    "reuse": {"Absolutely no", "No", "Maybe", "Yes", "Absolutely yes"},
}
HUMAN_FILE = "data/tau_bench_tasks_unified.json"
HUMAN_EVAL_FILE = "survey_data/survey_comparable_human-eval-100.json"


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def load(rel: str) -> Any:
    return json.loads((SAMPLE / rel).read_text("utf-8"))


def sim_files() -> dict[str, dict[str, Any]]:
    return {p.name.removeprefix("eval_results_").removesuffix(".json"):
            json.loads(p.read_text("utf-8")) for p in sorted(SAMPLE.glob("eval_results/*.json"))}


def all_entries() -> list[tuple[str, dict[str, Any]]]:
    """(source, entry) of every session of the sample and of the new simulator."""
    out = [("human", e) for e in load(HUMAN_FILE).values()]
    out += [("llm", e) for data in sim_files().values() for e in data.values()]
    runs = json.loads((NEW / "runs.json").read_text("utf-8"))["results"]
    return out + [("llm", e) for e in runs]


def user_turns() -> list[str]:
    return [m["content"] for _, e in all_entries() for m in e["conversation"]
            if m["role"] == "user"]


# ----------------------------------------------------------------------------- determinism


def test_generation_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate_release(tmp_path / name / "rel")
        generate_new_simulator_runs(tmp_path / name / "new")
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert a == b and len(a) == 15


def test_bundled_sample_equals_a_fresh_generation(tmp_path: Path) -> None:
    """Nobody edits the sample by hand: the script, run again, writes the very same bytes."""
    out = tmp_path / "synthetic_tau_usi"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_synthetic_sample.py"),
                           str(out)], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert files(out) == files(SAMPLE)
    assert files(tmp_path / "synthetic_new_simulator") == files(NEW)


def test_sample_is_small() -> None:
    total = sum(len(b) for root in (SAMPLE, NEW) for b in files(root).values())
    assert total < 2.5 * 1024 * 1024


def test_readmes_say_synthetic() -> None:
    for root in (SAMPLE, NEW):
        text = (root / "README.md").read_text("utf-8")
        assert "SYNTHETIC" in text and "NOT the paper's data" in text
        assert "scripts/make_synthetic_sample.py" in text


# ----------------------------------------------------------------------------- layout


def test_layout_of_spec_section_1() -> None:
    names = set(files(SAMPLE))
    want = {HUMAN_FILE, HUMAN_EVAL_FILE, "README.md"}
    want |= {f"eval_results/eval_results_{s.name}.json" for s in DEFAULT_SIMULATORS}
    want |= {f"survey_data/survey_comparable_{s.name}.json"
             for s in DEFAULT_SIMULATORS if s.has_survey}
    assert names == want
    assert all(s.name.startswith("synth-") for s in DEFAULT_SIMULATORS)
    assert sum(not s.has_survey for s in DEFAULT_SIMULATORS) == 1
    assert sum(s.n_runs == 1 for s in DEFAULT_SIMULATORS) == 1


def test_human_file() -> None:
    humans = load(HUMAN_FILE)
    tasks = [f"{d}_{i}" for d in ("airline", "retail") for i in range(29)]
    assert set(humans) == {t + s for t in tasks for s in ("", "_ann2", "_ann3")}
    for iid, e in humans.items():
        assert e["instance_id"] == iid and isinstance(e["agent_id"], str)
        assert isinstance(e["survey"], dict) and e["reward"] in (0.0, 1.0)
        assert all(set(m) == {"role", "content"} for m in e["conversation"])


def test_simulator_files_and_run_suffixes() -> None:
    tasks = {f"{d}_{i}" for d in ("airline", "retail") for i in range(29)}
    sizes = {}
    for name, data in sim_files().items():
        sizes[name] = len(data)
        for iid, e in data.items():
            assert e["instance_id"] == iid and e["reward"] in (0.0, 1.0)
            assert 1 <= len(e["conversation"]) <= 11
        if len(data) > 170:
            assert set(data) == {f"{t}_{r}" for t in tasks for r in (1, 2, 3)}
        else:
            assert set(data) == tasks
    assert sorted(sizes.values()) == [58, 174, 174, 174, 174]


def test_survey_files_cover_human_ids() -> None:
    humans = load(HUMAN_FILE)
    for p in sorted(SAMPLE.glob("survey_data/*.json")):
        data = json.loads(p.read_text("utf-8"))
        assert set(data) <= set(humans), p.name
        assert all(e["instance_id"] == iid and isinstance(e["survey"], dict)
                   for iid, e in data.items())
    he = load(HUMAN_EVAL_FILE)
    assert 0 < len(he) <= 100 and not any(i.endswith(("_ann2", "_ann3")) for i in he)
    ann = json.loads((SAMPLE / "survey_data/survey_comparable_synth-polite-xl.json").read_text())
    assert any(i.endswith("_ann2") for i in ann) and any(i.endswith("_ann3") for i in ann)


def test_every_task_gets_a_difficulty_and_every_bin_is_used() -> None:
    pooled: dict[str, list[int]] = {}
    for data in sim_files().values():
        for iid, e in data.items():
            if e.get("keep", True) is not False:
                task = re.match(r"(airline|retail)_\d+", iid).group(0)  # type: ignore[union-attr]
                pooled.setdefault(task, []).append(int(e["reward"] > 0))
    assert len(pooled) == 58 and min(len(v) for v in pooled.values()) >= 10
    bins = {min(int(sum(v) / len(v) * 5), 4) for v in pooled.values()}
    assert bins == {0, 1, 2, 3, 4}


# ----------------------------------------------------------------------------- content


@pytest.mark.parametrize("name", [k for k in LEXICONS if not k.startswith("_")])
def test_every_lexicon_matches_a_user_turn(name: str) -> None:
    lex = LEXICONS[name]
    pat = re.compile(lex["pattern"], re.DOTALL if lex["flags"] == "DOTALL" else 0)
    lowered = lex["applied_to"] == "lowered"
    hits = 0
    for text in user_turns():
        t = text.lower() if lowered else text
        hits += bool(pat.match(t.strip()) if name == "ACK" else pat.search(t))
    assert hits >= 2, name


def test_humans_are_noisy() -> None:
    turns = [m["content"] for e in load(HUMAN_FILE).values() for m in e["conversation"]
             if m["role"] == "user"]
    short = sum(len(t.split()) <= 3 for t in turns) / len(turns)
    assert 0.15 < short < 0.6
    assert any("—" in t or "–" in t for t in turns)
    assert sum(t.strip().lower() in ("ok", "yes", "sure") for t in turns) >= 10


JUDGE_FILES = sorted(p for p in SAMPLE.glob("survey_data/*.json")
                     if not p.name.endswith("human-eval-100.json")) + [NEW / "survey.json"]


def test_judge_surveys_look_like_real_judge_output() -> None:
    # About a third of the judge's answers are "no answer", a few are free text that is no
    # option; every answered field carries its question text; no file is all valid.
    for p in JUDGE_FILES:
        answers = [(iid, f, v) for iid, e in json.loads(p.read_text("utf-8")).items()
                   for f, v in e["survey"].items()]
        no_answer = sum(v["answer"] == "no answer" for _, _, v in answers)
        other = sum(v["answer"] != "no answer" and v["answer"] not in SPEC_OPTIONS[f]
                    for _, f, v in answers)
        assert 0.25 <= no_answer / len(answers) <= 0.42, (p.name, no_answer, len(answers))
        assert 0 < other / len(answers) <= 0.08, (p.name, other)
        assert all(isinstance(v.get("question"), str) and v["question"].endswith(("?", ")"))
                   for _, _, v in answers), p.name


def test_survey_answers_are_spec_options_or_deliberate_edge_cases() -> None:
    # Judge files also hold the judge-style noise checked above ("no answer", free text);
    # beyond that, every answer is an option unless the id is a deliberate edge case.
    noise = {"no answer", "Yes, mostly", "N/A", "4", "Somewhat efficient", "about right"}
    surveys = [("human", iid, e["survey"], False) for iid, e in load(HUMAN_FILE).items()]
    for p in sorted(SAMPLE.glob("survey_data/*.json")) + [NEW / "survey.json"]:
        surveys += [(p.name, iid, e["survey"], p in JUDGE_FILES) for iid, e in
                    json.loads(p.read_text("utf-8")).items()]
    deliberate = {iid for d in EDGES.values() for iid, edge in d.items()
                  if edge.startswith("survey-")}
    empty = missing = invalid = 0
    for where, iid, survey, judge in surveys:
        empty += survey == {}
        missing += 0 < len(survey) < len(SPEC_OPTIONS)
        assert set(survey) <= set(SPEC_OPTIONS), (where, iid)
        for field, value in survey.items():
            if value["answer"] not in SPEC_OPTIONS[field] and not (
                    judge and value["answer"] in noise):
                invalid += 1
                assert iid in deliberate, (where, iid, field, value)
        if survey == {} or len(survey) < len(SPEC_OPTIONS):
            assert iid in deliberate, (where, iid)
    assert empty >= 3 and missing >= 3 and 3 <= invalid <= 6


def test_edge_cases_are_present() -> None:
    entries = all_entries()
    keeps = [e.get("keep", "absent") for _, e in entries]
    assert 3 <= keeps.count(False) <= 10 and keeps.count(None) >= 2
    assert keeps.count("absent") >= 1
    human = [m["content"] for s, e in entries if s == "human" for m in e["conversation"]]
    llm = [m["content"] for s, e in entries if s == "llm" for m in e["conversation"]]
    assert any(c.startswith("\\tau ") for c in human) and any(c.startswith("\\reward")
                                                               for c in human)
    for marker in ("<|canvas|>", "<|highlight|>", "<|survey|>"):
        assert any(marker in c for c in human), marker
    assert any(c.strip() == "/stop" for c in human)
    assert any(c.strip() == "###STOP###" for c in llm)
    assert any("###STOP###" in c and c.strip() != "###STOP###" for c in llm)
    everything = human + llm
    assert any(re.search(r"<\|think\|>.*\n.*<\|/think\|>", c) for c in everything)
    assert any("<function=" in c and "</function>" in c for c in everything)
    assert any("<function=" in c and "</function>" not in c for c in everything)
    assert any("<|tool|>" in c and "<|/tool|>" in c for c in everything)
    roles = {m["role"] for _, e in entries for m in e["conversation"]}
    assert roles == {"user", "assistant", "tool"}
    humans = load(HUMAN_FILE)
    assert all(m["role"] == "user" and (m["content"].startswith("\\tau ")
                                        or m["content"].strip() == "/stop")
               for m in humans["airline_6_ann3"]["conversation"])
    assert not any(m["role"] == "user" for m in humans["retail_9_ann2"]["conversation"])
    terse = sim_files()["synth-terse"]
    assert [m["content"].strip() for m in terse["retail_6"]["conversation"]] == ["###STOP###"]


def test_simulators_behave_differently() -> None:
    def mean_words(data: dict[str, Any]) -> float:
        w = [len(m["content"].split()) for e in data.values() for m in e["conversation"]
             if m["role"] == "user" and m["content"].strip() != "###STOP###"]
        return sum(w) / len(w)

    sims = sim_files()
    assert mean_words(sims["synth-polite-xl"]) > 2 * mean_words(sims["synth-terse"])
    confuse = re.compile(LEXICONS["ID_CONFUSE"]["pattern"])
    hits = {n: sum(bool(confuse.search(m["content"].lower())) for e in d.values()
                   for m in e["conversation"] if m["role"] == "user") for n, d in sims.items()}
    assert max(hits, key=lambda n: hits[n]) == "synth-mirror"


# ----------------------------------------------------------------------------- new simulator


def test_new_simulator_rollout_format() -> None:
    runs = json.loads((NEW / "runs.json").read_text("utf-8"))
    assert list(runs) == ["results"] and len(runs["results"]) == 174
    for rec in runs["results"]:
        assert set(rec) == {"instance_id", "run", "conversation", "reward", "keep"}
        assert rec["run"] in (1, 2, 3) and re.fullmatch(r"(airline|retail)_\d+",
                                                         rec["instance_id"])
    survey = json.loads((NEW / "survey.json").read_text("utf-8"))
    assert set(survey) == set(load(HUMAN_FILE))


# ----------------------------------------------------------------------------- API


def test_file_size_rule_is_enforced(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="170"):
        generate_release(tmp_path, n_tasks_per_domain=10)  # 3 runs x 20 tasks = 60 entries
    with pytest.raises(ValueError, match="170"):
        generate_release(tmp_path, n_tasks_per_domain=90, simulators=[SimSpec("x", n_runs=1)])
    out = generate_release(tmp_path, n_tasks_per_domain=4, n_runs=1, with_human_eval=False,
                           simulators=[SimSpec("synth-one")])
    assert not (out / HUMAN_EVAL_FILE).exists()
    assert len(json.loads((out / "eval_results/eval_results_synth-one.json").read_text())) == 8


def test_benchmark_scale(tmp_path: Path) -> None:
    sims = benchmark_simulators(31)
    assert len({s.name for s in sims}) == 31 and len(set(sims)) == 31
    start = time.perf_counter()
    out = generate_release(tmp_path, n_tasks_per_domain=83, simulators=sims)
    assert time.perf_counter() - start < 60
    assert len(list(out.glob("eval_results/*.json"))) == 31
    data = json.loads((out / "eval_results/eval_results_synth-bench-01.json").read_text())
    assert len(data) == 3 * 166
