"""A human reference (issue 20) against independent references, through the command line.

References are built from a generated release folder (``release_gen``: survey files full of
"no answer", ids like airline_2/airline_10, turns that never repeat) and from the same people
written as JSON Lines (``usi reference build --humans``). ``usi score RUNS --reference REF``
must equal ``usi score RUNS --data-dir DIR`` and ``paper_reference`` on all six terms and the
USI (mean and std, 1e-9), for the human ceiling and the simulator; the file holds what
``credit_reference.reference_rows`` computes from the raw sessions, no 12-character piece of
any conversation, and is at most 15% the size of the human file.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from credit_reference import read_humans, reference_rows, release_records, text_snippets
from paper_reference import CELLS, HUMAN_ROW, score_release
from release_gen import make_release

SEED = 3
TOL = 1e-9
SURVEY_FIELDS = ("task_success", "efficiency", "question_amount_preference",
                 "answer_effort_time", "human_like", "interaction_flow", "overall_score",
                 "reuse")
HE_FILE = "survey_comparable_human-eval-100.json"


def usi_run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "USI_WORKERS"}
    return subprocess.run([sys.executable, "-m", "usi_metric", *args], capture_output=True,
                          text=True, env=env, check=False)


def usi_json(*args: str) -> dict:
    proc = usi_run(*args)
    assert proc.returncode == 0, f"usi {' '.join(args)}: {proc.stderr}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The release, its difficulty map, and the two references built from its people."""
    root = tmp_path_factory.mktemp("ref_release")
    diff = make_release(root, SEED)
    diff_file = root / "difficulty_map.json"
    diff_file.write_text(json.dumps(diff), encoding="utf-8")
    out = tmp_path_factory.mktemp("refs")
    from_dir = out / "from_dir.parquet"
    proc = usi_run("reference", "build", "--data-dir", str(root), "-o", str(from_dir))
    assert proc.returncode == 0, proc.stderr
    records = release_records(root)
    jsonl = out / "humans.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    from_jsonl = out / "from_jsonl.parquet"
    proc = usi_run("reference", "build", "--humans", str(jsonl), "--second-survey",
                   str(root / "survey_data" / HE_FILE), "-o", str(from_jsonl))
    assert proc.returncode == 0, proc.stderr
    paper = {r["name"]: r for r in score_release(root, diff)}
    return {"root": root, "diff": diff, "diff_file": diff_file, "records": records,
            "refs": {"dir": from_dir, "jsonl": from_jsonl}, "paper": paper}


def _sims(root: Path) -> list[str]:
    return sorted(p.name[len("eval_results_"):-len(".json")]
                  for p in (root / "eval_results").glob("eval_results_*.json"))


def _row(result: dict, name: str) -> dict:
    hits = [r for r in result["rows"] if r["name"] == name]
    assert len(hits) == 1, [r["name"] for r in result["rows"]]
    return hits[0]


def _diffs(want: dict, got: dict, what: str) -> list[str]:
    out = []
    for cell in CELLS:
        w, g = want.get(cell), got.get(cell)
        if isinstance(w, dict):
            w = (w["mean"], w["std"])
        if isinstance(g, dict):
            g = (g["mean"], g["std"])
        if w is None or g is None:
            if w is not None or g is not None:
                out.append(f"{what} {cell}: {w} vs {g}")
            continue
        for part, a, b in zip(("mean", "std"), w, g, strict=True):
            if not math.isclose(a, b, rel_tol=0, abs_tol=TOL):
                out.append(f"{what} {cell}.{part}: {a!r} vs {b!r}")
    return out


def _score_args(root: Path, name: str, diff_file: Path) -> list[str]:
    args = ["score", str(root / "eval_results" / f"eval_results_{name}.json"),
            "--difficulty", str(diff_file), "--label", name, "--format", "json"]
    survey = root / "survey_data" / f"survey_comparable_{name}.json"
    if survey.is_file():
        args += ["--survey", str(survey)]
    return args


@pytest.mark.parametrize("index", range(5))
def test_score_reference_equals_release_and_paper(built, index: int) -> None:
    root, paper = built["root"], built["paper"]
    name = _sims(root)[index]
    args = _score_args(root, name, built["diff_file"])
    proc = usi_run(*args, "--data-dir", str(root))
    if proc.returncode != 0:  # a file usi score refuses (a one-run file of run-suffixed ids)
        for ref in built["refs"].values():
            other = usi_run(*args, "--reference", str(ref))
            assert (other.returncode, other.stderr) == (proc.returncode, proc.stderr)
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
        return
    base = json.loads(proc.stdout)
    problems = []
    for kind, ref in built["refs"].items():
        got = usi_json(*args, "--reference", str(ref))
        for row in (HUMAN_ROW, name):
            problems += _diffs(paper[row], _row(got, row), f"{kind} vs paper: {row}")
            problems += _diffs(_row(base, row), _row(got, row), f"{kind} vs --data-dir: {row}")
    assert not problems, "\n".join(problems)


def test_the_release_exercises_every_term(built) -> None:
    paper = built["paper"]
    assert paper[HUMAN_ROW]["eval_agree"] is not None
    sims = [paper[n] for n in _sims(built["root"])]
    assert any(r["eval_agree"] is not None and r["usi"] is not None for r in sims)
    assert sum(r["usi"] is not None for r in sims) >= 3


def _table(path: Path) -> dict[str, dict]:
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("kind", ["dir", "jsonl"])
def test_reference_content_from_raw_sessions(built, kind: str) -> None:
    want = reference_rows(built["records"])
    got = _table(built["refs"][kind])
    assert sorted(got) == sorted(want)
    problems = []
    for iid, w in want.items():
        g = got[iid]
        for key in ("task_key", "batch"):
            if g[key] != w[key]:
                problems.append(f"{iid} {key}: {g[key]!r} vs {w[key]!r}")
        if g["keep"] != w["keep"]:
            problems.append(f"{iid} keep: {g['keep']!r} vs {w['keep']!r}")
        rw, rg = w["reward"], g["reward"]
        if (rw is None) != (rg is None) or (rw is not None and float(rw) != rg):
            problems.append(f"{iid} reward: {rg!r} vs {rw!r}")
        for col in [k for k in w if k.endswith(("_rate", "_cv")) or k in (
                "info_frontload", "id_density", "user_words_per_turn", "opening_words",
                "n_turns")]:
            a, b = w[col], g[col]
            if a is None:
                if b is not None and not math.isnan(b):
                    problems.append(f"{iid} {col}: {b!r}, no features")
            elif b is None or not math.isclose(a, b, rel_tol=0, abs_tol=TOL):
                problems.append(f"{iid} {col}: {b!r} vs {a!r}")
        ords = tuple(g[f"survey_{f}"] for f in SURVEY_FIELDS)
        if ords != w["survey"]:
            problems.append(f"{iid} survey: {ords} vs {w['survey']}")
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("kind", ["dir", "jsonl"])
def test_second_person_in_file_order(built, kind: str) -> None:
    """The second person's answers, for the ids of the reference, in their file's order."""
    he = json.loads((built["root"] / "survey_data" / HE_FILE).read_text(encoding="utf-8"))
    from credit_reference import ordinals

    got = _table(built["refs"][kind])
    in_ref = [i for i in he if i in got]
    ranked = sorted((r["second_order"], iid) for iid, r in got.items()
                    if r["second_order"] is not None)
    assert [iid for _, iid in ranked] == in_ref
    for iid in in_ref:
        assert tuple(got[iid][f"second_{f}"] for f in SURVEY_FIELDS) == ordinals(he[iid]), iid


@pytest.mark.parametrize("kind", ["dir", "jsonl"])
def test_no_conversation_text_and_small(built, kind: str) -> None:
    data = built["refs"][kind].read_bytes()
    humans_file = built["root"] / "data" / "tau_bench_tasks_unified.json"
    leaked = sorted(s for s in text_snippets(built["records"]) if s.encode("utf-8") in data)
    assert not leaked, leaked[:10]
    assert len(data) <= 0.15 * humans_file.stat().st_size, (len(data),
                                                            humans_file.stat().st_size)
    assert read_humans(built["root"])  # the needles came from a non-empty file
