"""Issue 19.8, coverage said everywhere: every output says what it rests on, and the numbers
stay the paper's.

A release of ``release_gen.py`` gets a simulator ``half`` whose runs meet only some of the
people's tasks (its sessions are copies of the first person's, ids ``airline_7`` as in a
one-run file), and a second runs file ``other`` that meets another part. The counts are
made here from the files (kept sessions, task keys); the cells come from ``paper_reference``
(which imports nothing from usi_metric). Checked: ``usi compare`` names the tasks each side
meets and both do; ``usi report`` has a coverage table, a terminal line and the success
inflation on shared tasks; ``usi gap`` likewise; ``usi score`` says why Eval is "—"; a survey
of 20 people says how much of its Eval is seeded fills; the Space says the coverage.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest
from hostile import usi
from paper_reference import SCALES, _answer, is_kept, score_release, success, task_key
from release_gen import make_release

from usi_metric.errors import UsiWarning

SEED = 5
FIELDS = tuple(SCALES)  # the eight survey fields, as the independent reference knows them


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("coverage") / "release"
    diff = make_release(root, SEED)
    diff_file = root.parent / "difficulty.json"
    write(diff_file, diff)
    humans = read(root / "data" / "tau_bench_tasks_unified.json")
    first = sorted(i for i, e in humans.items() if "_ann" not in i and is_kept(e))
    half_ids, other_ids = first[: len(first) // 2], first[len(first) // 3:]
    half = {i: humans[i] for i in half_ids}
    other = {i: humans[i] for i in other_ids}
    write(root / "eval_results" / "eval_results_half.json", half)
    write(root.parent / "other.json", other)
    kept_tasks = {task_key(i.removesuffix("_ann2").removesuffix("_ann3"))
                  for i, e in humans.items() if is_kept(e)}
    return {"root": root, "diff": diff_file, "humans": humans, "half": half, "other": other,
            "tasks_total": len(kept_tasks), "other_path": root.parent / "other.json",
            "rows": {r["name"]: r for r in score_release(root, diff_file)}}


def tasks_of(runs: dict) -> set[str]:
    return {task_key(i) for i in runs}


def test_compare_names_the_tasks_each_side_meets(release: dict) -> None:
    half, other, total = tasks_of(release["half"]), tasks_of(release["other"]), \
        release["tasks_total"]
    shared = len(half & other)
    assert 0 < shared < len(half) < total
    args = ["compare", "half", str(release["other_path"]), "--data-dir", str(release["root"]),
            "--difficulty", str(release["diff"]), "--permutations", "99", "--resamples", "50"]
    proc = usi(*args)
    assert proc.returncode == 0, proc.stderr
    assert f"(both meet {shared} of the {total} tasks)" in proc.stdout
    assert f"on {total} tasks" not in proc.stdout
    assert (f"Tasks: half meets {len(half)} of the {total} tasks of the human sessions, other "
            f"{len(other)}; both meet {shared}.") in " ".join(proc.stdout.split())
    out = json.loads(usi(*args, "--format", "json").stdout)
    assert out["tasks_met"] == {"a": len(half), "b": len(other), "shared": shared}
    want = release["rows"]["half"]["usi"][0]
    assert abs(out["terms"]["usi"]["a"] - want) <= 1e-9


@pytest.fixture(scope="module")
def report(release: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    out = tmp_path_factory.mktemp("report") / "out"
    proc = usi("report", "--data-dir", str(release["root"]), "--out", str(out),
               "--difficulty", str(release["diff"]), "--simulator", "half")
    assert proc.returncode == 0, proc.stderr
    return (out / "report.md").read_text(encoding="utf-8"), proc.stdout


def test_the_report_has_a_coverage_table_and_line(release: dict, report: tuple) -> None:
    md, terminal = report
    n, total = len(tasks_of(release["half"])), release["tasks_total"]
    assert (f"| half | {n} of {total} | {len(release['half'])} of {len(release['half'])} | 0 | "
            "no survey file (five terms) |") in md
    assert (f"coverage: half: its runs meet {n} of the {total} tasks of the human sessions"
            in terminal)


def shared_rates(release: dict) -> tuple[int, float, float, int]:
    tasks = tasks_of(release["half"])
    people = [e for i, e in release["humans"].items()
              if is_kept(e) and task_key(i.removesuffix("_ann2").removesuffix("_ann3")) in tasks]
    sim = list(release["half"].values())
    return (len(tasks), 100 * sum(map(success, sim)) / len(sim),
            100 * sum(map(success, people)) / len(people), len(people))


def test_success_inflation_is_on_shared_tasks(release: dict, report: tuple) -> None:
    n, sim_pct, human_pct, n_people = shared_rates(release)
    md = report[0]
    row = next(ln for ln in md.splitlines() if ln.startswith("| half | ") and " / " in ln)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == f"{n} / {release['tasks_total']}"
    assert cells[2:5] == [f"{sim_pct:.1f}", f"{human_pct:.1f}", f"{sim_pct - human_pct:+.1f}"]
    assert cells[5] == f"{len(release['half'])} / {n_people}"
    gap = json.loads(usi("gap", "--data-dir", str(release["root"]), "--simulator", "half",
                         "--format", "json").stdout)
    sh = gap["simulators"][0]["success"]["shared"]
    assert sh["n_tasks"] == n and abs(sh["inflation_pp"] - (sim_pct - human_pct)) < 1e-9
    everyone = [e for e in release["humans"].values() if is_kept(e)]
    all_pct = 100 * sum(map(success, everyone)) / len(everyone)  # the paper's, unchanged
    assert abs(gap["simulators"][0]["success"]["inflation_pp"] - (sim_pct - all_pct)) < 1e-9


def test_score_says_why_eval_is_missing(release: dict) -> None:
    proc = usi("score", str(release["other_path"]), "--data-dir", str(release["root"]),
               "--difficulty", str(release["diff"]))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "Eval —: no survey file for other (pass --survey FILE" in text
    n = len(tasks_of(release["other"]))
    assert f"Coverage: the runs meet {n} of the {release['tasks_total']} tasks" in text


def test_leaderboard_says_coverage_and_why_eval_is_missing(release: dict) -> None:
    # `half` meets part of the people's tasks and has no survey file: the table says both
    # under it, with counts made here from the files.
    proc = usi("leaderboard", "--data-dir", str(release["root"]), "--difficulty",
               str(release["diff"]))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    n, total = len(tasks_of(release["half"])), release["tasks_total"]
    assert f"half: its runs meet {n} of the {total} tasks of the human sessions" in text
    # the generated release's other simulators without a survey file are named with it
    no_survey = sorted(p.name.removeprefix("eval_results_").removesuffix(".json")
                       for p in (release["root"] / "eval_results").glob("eval_results_*.json")
                       if not (release["root"] / "survey_data" / p.name.replace(
                           "eval_results_", "survey_comparable_")).exists())
    assert "half" in no_survey
    line = text[text.index("Eval —: no survey file for "):]
    named = line.removeprefix("Eval —: no survey file for ").split(" (")[0].split(", ")
    assert sorted(named) == no_survey
    assert line.split(" (")[1].startswith("survey_data/survey_comparable_<simulator>.json")
    rows = json.loads(usi("leaderboard", "--data-dir", str(release["root"]), "--difficulty",
                          str(release["diff"]), "--format", "json").stdout)["rows"]
    half = next(r for r in rows if r["name"] == "half")
    assert abs(half["usi"]["mean"] - release["rows"]["half"]["usi"][0]) <= 1e-9


def test_a_survey_of_twenty_people_says_its_seeded_fills(release: dict, tmp_path: Path) -> None:
    root, humans = release["root"], release["humans"]
    surveys = sorted(p for p in (root / "survey_data").glob("survey_comparable_*.json")
                     if "human-eval" not in p.name)
    full = read(surveys[0])
    kept = sorted(i for i in full if i in humans and is_kept(humans[i]))
    twenty = {i: full[i] for i in kept[:20]}
    path = tmp_path / "survey_20.json"
    write(path, twenty)
    compared = sum(_answer(humans[i], f) is not None for i in twenty for f in FIELDS)
    filled = sum(_answer(humans[i], f) is not None and _answer(twenty[i], f) is None
                 for i in twenty for f in FIELDS)
    n_kept = sum(is_kept(e) for e in humans.values())
    sim = surveys[0].name.removeprefix("survey_comparable_")
    proc = usi("score", str(root / "eval_results" / f"eval_results_{sim}"), "--survey",
               str(path), "--data-dir", str(root), "--difficulty", str(release["diff"]))
    assert proc.returncode == 0, proc.stderr
    share = f"{100 * filled / compared:.0f}%"
    assert (f"covers only 20 of the {n_kept} kept human sessions, so the Eval rests on those "
            f"20: of its {compared} compared answers, {filled} ({share}) are seeded fills"
            in proc.stderr), proc.stderr
    text = " ".join(proc.stdout.split())
    assert f"Of the {compared} answers the Eval compares" in text
    assert f"{filled} ({share}) are the scorer's seeded fills" in text


def test_the_space_says_the_coverage(release: dict) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub_cards" / "space"))
    import app

    n, total = len(tasks_of(release["other"])), release["tasks_total"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        result = app.score_upload(str(release["other_path"]), path=release["root"])
        view = app.leaderboard_view(release["root"])
    assert result.ok, result.message
    assert f"Coverage: the runs meet {n} of the {total} tasks" in result.message
    half = len(tasks_of(release["half"]))
    assert f"half: its runs meet {half} of the {total} tasks" in view.note


def test_the_leaderboard_json_says_each_row_s_coverage(release: dict) -> None:
    args = ["leaderboard", "--data-dir", str(release["root"]), "--difficulty",
            str(release["diff"])]
    n, total, k = len(tasks_of(release["half"])), release["tasks_total"], len(release["half"])
    data = json.loads(usi(*args, "--format", "json").stdout)
    assert data["coverage"]["half"] == {"tasks_met": n, "tasks_total": total,
                                        "sessions_met": k, "sessions_total": k}
    row = next(r for r in data["rows"] if r["name"] == "half")
    assert abs(row["usi"]["mean"] - release["rows"]["half"]["usi"][0]) <= 1e-9
