"""Issue 19.2, silent wrong numbers: inputs that quietly change what a score rests on are
said (a ``usi: warning:`` line naming the file, the count and the reason; a ``UsiWarning``
in the library; a warning paragraph in the Space), and the numbers stay the paper's.

Each case starts from a release of ``release_gen.py`` (looks like the real one: ids whose
string and numeric order differ, surveys full of "no answer", sessions that already yield no
features) and breaks it the way a user would: a simulator whose user turns carry the role
``USER``, one whose roles are all ``human`` or whose conversations are all empty, a runs file
put where a survey file goes, ``survey_data`` as a plain file or a dangling link, two human
files that differ. Counts are computed here from the files with ``paper_reference`` (which
imports nothing from usi_metric); the cells must equal its scores to 1e-9.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import pytest
from hostile import usi
from paper_reference import conversation_features, score_release
from release_gen import make_release
from test_paper_exact import disagreements

from usi_metric.errors import UsiWarning

SEED = 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("said") / "release"
    diff = make_release(root, SEED)
    diff_file = root.parent / "difficulty.json"
    diff_file.write_text(json.dumps(diff), encoding="utf-8")
    return root, diff_file


def copy_of(generated: tuple[Path, Path], tmp_path: Path) -> Path:
    dst = tmp_path / "release"
    shutil.copytree(generated[0], dst)
    return dst


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def sim_files(root: Path) -> list[Path]:
    return sorted((root / "eval_results").glob("eval_results_*.json"))


def featureless_kept(data: dict, source: str = "llm") -> int:
    """Kept entries without features, by the independent reference."""
    return sum(1 for e in data.values() if e.get("keep", True) is True
               and conversation_features(e["conversation"], source) is None)


def kept(data: dict) -> int:
    return sum(1 for e in data.values() if e.get("keep", True) is True)


def leaderboard(root: Path, diff_file: Path) -> tuple[list[dict], str]:
    proc = usi("leaderboard", "--data-dir", str(root), "--difficulty", str(diff_file),
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["rows"], proc.stderr


def warning_lines(stderr: str, needle: str) -> list[str]:
    return [ln for ln in stderr.splitlines()
            if ln.startswith("usi: warning: ") and needle in ln]


def the_paper_s_numbers(root: Path, diff_file: Path, rows: list[dict]) -> None:
    assert disagreements(score_release(root, diff_file), rows) == []


def upper_roles(data: dict, every: int) -> int:
    """``user`` -> ``USER`` in every ``every``-th entry; the kept entries changed that had
    features before."""
    changed = 0
    for i, e in enumerate(data.values()):
        if i % every:
            continue
        had = conversation_features(e["conversation"], "llm") is not None
        for m in e["conversation"]:
            if m.get("role") == "user":
                m["role"] = "USER"
        changed += had and e.get("keep", True) is True
    return changed


# ----------------------------------------------------------------------------- roles


def test_user_in_capitals_is_counted_by_reason_and_the_numbers_stay(generated, tmp_path):
    root = copy_of(generated, tmp_path)
    path = sim_files(root)[0]
    data = read(path)
    before = featureless_kept(data)
    assert upper_roles(data, 3) > 5
    write(path, data)
    n, total = featureless_kept(data), kept(data)
    assert n > before
    rows, err = leaderboard(root, generated[1])
    said = warning_lines(err, path.name)
    line = next(ln for ln in said if "yield no features" in ln)
    assert f"{n} of its {total} kept sessions yield no features" in line, line
    assert "'USER'" in line and "exactly 'user'" in line, line
    assert "ids" not in line, line  # the roles are to blame, not the ids
    the_paper_s_numbers(root, generated[1], rows)


def test_the_library_says_it_as_a_usiwarning(generated, tmp_path):
    from usi_metric.scoring.score import score

    root = copy_of(generated, tmp_path)
    path = sim_files(root)[1]
    data = read(path)
    upper_roles(data, 2)
    write(path, data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survey = root / "survey_data" / f"survey_comparable_{path.name[13:]}"
        result = score(path, _reference(root), difficulty=str(generated[1]),
                       survey=survey if survey.is_file() else None)
    lines = [str(w.message) for w in caught if issubclass(w.category, UsiWarning)]
    want = f"{featureless_kept(data)} of its {kept(data)} kept sessions yield no features"
    assert any(want in ln and "'USER'" in ln for ln in lines), lines
    ref_row = next(r for r in score_release(root, generated[1]) if r["name"] == path.stem[13:])
    assert (result.cells["eval_agree"] is None) == (ref_row["eval_agree"] is None)
    assert result.cells["usi"] is not None and ref_row["usi"] is not None
    assert abs(result.cells["usi"].mean - ref_row["usi"][0]) < 1e-9


def _reference(root: Path):
    from usi_metric.reference import HumanReference

    return HumanReference.from_release(root)


@pytest.mark.parametrize("how", ["human", "empty"])
def test_no_features_at_all_blames_the_roles_not_the_ids(generated, tmp_path, how):
    root = copy_of(generated, tmp_path)
    data = read(sim_files(root)[0])
    for e in data.values():
        if how == "empty":
            e["conversation"] = []
        for m in e["conversation"]:
            if m.get("role") == "user":
                m["role"] = "human"
    runs = tmp_path / "runs.json"
    write(runs, data)
    proc = usi("score", str(runs), "--data-dir", str(root), "--difficulty", str(generated[1]))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    err = [ln for ln in proc.stderr.splitlines() if ln.startswith("usi: error:")]
    assert len(err) == 1, proc.stderr
    assert f"none of the {kept(data)} kept sessions of the runs yields features" in err[0]
    assert ("'human'" if how == "human" else f"{kept(data)} have an empty conversation") \
        in err[0], err[0]
    assert "ids must match" not in proc.stderr


def test_the_space_says_it_on_the_page(generated, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub_cards" / "space"))
    import app

    root = copy_of(generated, tmp_path)
    data = read(sim_files(root)[0])
    upper_roles(data, 2)
    runs = tmp_path / "runs.json"
    write(runs, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UsiWarning)
        result = app.score_upload(str(runs), path=root, yardstick_name="published")
    want = f"{featureless_kept(data)} of its {kept(data)} kept sessions yield no features"
    assert want in result.message and "USER" in result.message, result.message
    with warnings.catch_warnings():  # the runs file uploaded as the survey file too
        warnings.simplefilter("ignore", UsiWarning)
        result = app.score_upload(str(runs), str(runs), path=root)
    assert (f"{len(data)} of its {len(data)} entries hold a conversation: it looks like a "
            "runs file" in result.message), result.message


# ----------------------------------------------------------------------------- files


def test_a_runs_file_given_as_a_survey_file_is_said(generated, tmp_path):
    root = copy_of(generated, tmp_path)
    survey = next(p for p in sorted((root / "survey_data").glob("survey_comparable_*.json"))
                  if "human-eval" not in p.name)
    name = survey.name.removeprefix("survey_comparable_")
    runs = read(root / "eval_results" / f"eval_results_{name}")
    shutil.copy(root / "eval_results" / f"eval_results_{name}", survey)
    rows, err = leaderboard(root, generated[1])
    line = next(ln for ln in warning_lines(err, survey.name) if "runs file" in ln)
    assert f"{len(runs)} of its {len(runs)} entries hold a conversation" in line, line
    the_paper_s_numbers(root, generated[1], rows)
    proc = usi("score", str(root / "eval_results" / f"eval_results_{name}"), "--survey",
               str(survey), "--data-dir", str(root), "--difficulty", str(generated[1]))
    assert proc.returncode == 0 and "looks like a runs file" in proc.stderr, proc.stderr


@pytest.mark.parametrize("kind", ["plain file", "dangling link"])
def test_survey_data_that_is_no_folder_is_said(generated, tmp_path, kind):
    root = copy_of(generated, tmp_path)
    shutil.rmtree(root / "survey_data")
    if kind == "plain file":
        (root / "survey_data").write_text("surveys went elsewhere\n", encoding="utf-8")
    else:
        (root / "survey_data").symlink_to(tmp_path / "moved_away")
    rows, err = leaderboard(root, generated[1])
    line = next(iter(warning_lines(err, f"{root / 'survey_data'} is ")), "")
    assert ("dangling link" if kind == "dangling link" else "is not a folder") in line, err
    assert "no survey file is read from it" in line
    assert all(r["eval_agree"] is None for r in rows)
    the_paper_s_numbers(root, generated[1], rows)


def test_two_different_human_files_say_which_is_used(generated, tmp_path):
    root = copy_of(generated, tmp_path)
    humans = read(root / "data" / "tau_bench_tasks_unified.json")
    fewer = dict(list(humans.items())[: len(humans) // 2])
    write(root / "tau_bench_tasks_unified.json", fewer)
    rows, err = leaderboard(root, generated[1])
    line = next(iter(warning_lines(err, "contents differ")), "")
    used = str(root / "data" / "tau_bench_tasks_unified.json")
    assert f"{used} is used" in line, err
    the_paper_s_numbers(root, generated[1], rows)  # the reference reads data/ first too
    (root / "tau_bench_tasks_unified.json").write_bytes(
        (root / "data" / "tau_bench_tasks_unified.json").read_bytes())
    assert warning_lines(leaderboard(root, generated[1])[1], "contents differ") == []


def test_a_clean_mini_release_says_nothing(tmp_path):
    from hostile import mini_release

    rel = mini_release(tmp_path)
    proc = usi("score", str(rel / "eval_results" / "eval_results_s.json"), "--data-dir",
               str(rel), "--difficulty", str(rel / "difficulty.json"))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
