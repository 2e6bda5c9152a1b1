"""dataset_builder on a tiny hand-written release: every column's value derived by hand from
docs/index.md (ids §1, cleaning §2, word-count features §3), the atomic build, the CLI edge,
and the Hub download only when asked (mocked: no network in tests)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest

import dataset_builder.repo as repo_mod
from dataset_builder import FEATURES, TauUSI, build_repo, release_from_records
from dataset_builder.records import task_parts
from usi_metric.cli import main
from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS
from usi_metric.io import load_release
from usi_metric.scoring import leaderboard

A = "assistant"


def msg(role: str, content: str | None) -> dict[str, Any]:
    return {"role": role, "content": content}


HUMANS = {
    # user turns of 2 and 6 words (the em dash is a word), one of them with an em dash
    "airline_0": {"instance_id": "airline_0", "agent_id": "gpt-5.2",
                  "conversation": [msg("user", "hi there"), msg(A, "How can I help?"),
                                   msg("user", "change my booking \u2014 now please")],
                  "survey": {"human_like": {"answer": "Yes"}, "notes": {"answer": "free"}},
                  "reward": 1},
    # no user turn: no features; reward missing; keep null; agent_id not text
    "airline_0_ann2": {"instance_id": "airline_0_ann2", "agent_id": 7,
                       "conversation": [msg(A, "Hello?")], "survey": {}, "keep": None},
    # a human meta message is dropped before counting turns
    "airline_0_ann3": {"instance_id": "airline_0_ann3",
                       "conversation": [msg("user", "\\tau 1 of 3"), msg("user", "ok")],
                       "survey": {"reuse": None}, "reward": 0.0, "keep": False},
}


def multi_run_file() -> dict[str, Any]:
    data: dict[str, Any] = {}
    for t in range(57):
        for r in (1, 2, 3):
            data[f"airline_{t}_{r}"] = {"conversation": [msg("user", "ok")], "reward": 1.0,
                                        "agent_id": "gpt-5.2"}
    data["airline_0_7"] = {"conversation": [msg("user", "odd")], "reward": 0.0}
    data["airline_1"] = {"conversation": [msg("user", "plain")], "reward": 0.5}
    assert len(data) > 170  # a multi-run file (§1)
    return data


SINGLE = {
    "airline_0_2": {"conversation": [msg("user", "one two three four")], "reward": 0.0},
    "retail_3": {"conversation": [msg("user", "x"), msg(A, None)], "reward": 1.0},
    "telecom_4": {"conversation": [msg("user", "###STOP###")], "reward": 1.0},
}
ROLLOUT = {"results": [
    {"instance_id": "airline_0", "run": 2, "conversation": [msg("user", "a b")], "reward": 1},
    {"instance_id": "airline_0", "run": 1, "conversation": [msg("user", "a")], "reward": 0},
]}
SURVEY = {"airline_0_ann2": {"survey": {"human_like": {"answer": "No"},
                                        "reuse": {"answer": "Maybe"}}},
          "airline_0": {"survey": {}}}


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "tiny_release"
    write_json(root / "data" / "tau_bench_tasks_unified.json", HUMANS)
    write_json(root / "eval_results" / "eval_results_m.json", multi_run_file())
    write_json(root / "eval_results" / "eval_results_s.json", SINGLE)
    write_json(root / "eval_results" / "eval_results_r.json", ROLLOUT)
    write_json(root / "survey_data" / "survey_comparable_m.json", SURVEY)
    return root


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def load(out: Path, config: str, cache: Path) -> datasets.Dataset:
    return datasets.load_dataset(str(out), config, split="test", cache_dir=str(cache))


def by_id(ds: datasets.Dataset) -> dict[str, dict[str, Any]]:
    return {r["instance_id"]: r for r in ds}


# ----------------------------------------------------------------------------- values


def test_task_parts() -> None:
    assert task_parts("retail_12") == ("retail", 12)
    assert task_parts("airline_7_ann2") == (None, None)  # not a task key
    assert task_parts("weird") == (None, None)


def test_human_rows_by_hand(tiny: Path, tmp_path: Path, no_network: None) -> None:
    out = tmp_path / "repo"
    build_repo(tiny, out)
    rows = by_id(load(out, "human", tmp_path / "cache"))
    assert list(rows) == ["airline_0", "airline_0_ann2", "airline_0_ann3"]  # file order

    r1 = rows["airline_0"]
    assert (r1["base_id"], r1["task_id"], r1["domain"], r1["task_index"], r1["annotator"]) == (
        "airline_0", "airline_0", "airline", 0, 1)
    assert r1["agent_id"] == "gpt-5.2"
    assert r1["reward"] == 1.0 and r1["success"] is True
    assert r1["keep"] is True  # absent keep is true (§1)
    assert r1["survey"]["human_like"] == "Yes" and r1["survey"]["reuse"] is None
    assert "notes" not in r1["survey"]  # only the 8 fields of §7
    assert [m["role"] for m in r1["conversation"]] == ["user", A, "user"]
    f = r1["features"]
    # w = [2, 6]: by hand from §3
    assert f["short_msg_rate"] == 0.5
    assert f["user_words_per_turn"] == 4.0
    assert f["opening_words"] == 2.0
    assert f["info_frontload"] == 1.0
    assert f["verbosity_cv"] == 0.5  # std([2, 6]) = 2, mean 4
    assert f["formality_rate"] == 0.5
    assert f["n_turns"] == 3.0

    r2 = rows["airline_0_ann2"]
    assert (r2["base_id"], r2["annotator"]) == ("airline_0", 2)
    assert r2["agent_id"] is None  # 7 is not text: null, not "7"
    assert r2["reward"] is None and r2["success"] is False
    assert r2["keep"] is None  # null stays null
    assert r2["features"] == {c: None for c in COLUMNS}  # no user turn: no features
    assert r2["survey"] == {k: None for k in r2["survey"]}

    r3 = rows["airline_0_ann3"]
    assert r3["annotator"] == 3 and r3["keep"] is False and r3["success"] is False
    assert r3["features"]["n_turns"] == 1.0  # the \tau message is meta (§2)
    assert r3["features"]["opening_words"] == 1.0
    assert r3["conversation"][0] == {"role": "user", "content": "\\tau 1 of 3"}  # kept raw


def test_simulator_runs_by_hand(tiny: Path, tmp_path: Path, no_network: None) -> None:
    out = tmp_path / "repo"
    build_repo(tiny, out)
    ds = load(out, "simulators", tmp_path / "cache")
    assert ds.features == FEATURES["simulators"]
    rows = {(r["simulator"], r["run"], r["instance_id"]): r for r in ds}
    assert len(rows) == len(ds) == 173 + 3 + 2
    assert [r["simulator"] for r in ds][:1] == ["m"]  # simulators sorted by file name

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return r["base_id"], r["task_id"], r["run"], r["ece_run"]

    # multi-run file: _1.._3 are runs of the task; other ids form run 0 as they are
    assert key(rows[("m", 2, "airline_5_2")]) == ("airline_5", "airline_5", 2, 2)
    assert key(rows[("m", 0, "airline_0_7")]) == ("airline_0_7", "airline_0", 0, 7)
    assert key(rows[("m", 0, "airline_1")]) == ("airline_1", "airline_1", 0, 1)
    assert rows[("m", 0, "airline_1")]["agent_id"] is None
    assert rows[("m", 1, "airline_3_1")]["agent_id"] == "gpt-5.2"
    # single-run file: every id is run 1 as it is; the ECE run is still the third number
    assert key(rows[("s", 1, "airline_0_2")]) == ("airline_0_2", "airline_0", 1, 2)
    retail = rows[("s", 1, "retail_3")]
    assert (retail["domain"], retail["task_index"]) == ("retail", 3)
    assert retail["conversation"][1] == {"role": A, "content": None}
    telecom = rows[("s", 1, "telecom_4")]
    assert (telecom["task_id"], telecom["domain"], telecom["task_index"]) == (
        "telecom_4", "telecom", 4)
    assert telecom["features"]["n_turns"] is None  # ###STOP### only: no features
    # rollout format: the record's run; the same id in two runs
    assert key(rows[("r", 2, "airline_0")]) == ("airline_0", "airline_0", 2, 2)
    assert rows[("r", 1, "airline_0")]["reward"] == 0.0


def test_survey_rows_by_hand(tiny: Path, tmp_path: Path, no_network: None) -> None:
    out = tmp_path / "repo"
    build_repo(tiny, out)
    rows = load(out, "surveys", tmp_path / "cache").to_list()
    assert [(r["judge"], r["instance_id"], r["task_id"], r["annotator"]) for r in rows] == [
        ("m", "airline_0_ann2", "airline_0", 2), ("m", "airline_0", "airline_0", 1)]
    assert rows[0]["survey"]["human_like"] == "No"
    assert rows[0]["survey"]["reuse"] == "Maybe"
    assert rows[0]["survey"]["task_success"] is None
    assert set(rows[1]["survey"].values()) == {None}


def test_round_trip_on_odd_ids(tiny: Path, tmp_path: Path, no_network: None) -> None:
    out = tmp_path / "repo"
    build_repo(tiny, out)
    cache = tmp_path / "cache"
    loaded = release_from_records(load(out, "human", cache), load(out, "simulators", cache),
                               load(out, "surveys", cache))
    raw = load_release(tiny)
    for name, sset in raw.simulators.items():
        got = loaded.simulators[name]
        assert [(s.instance_id, s.base_id, s.task_key, s.group, s.ece_run, s.reward, s.keep)
                for s in got.sessions] == [
            (s.instance_id, s.base_id, s.task_key, s.group, s.ece_run, s.reward, s.keep)
            for s in sset.sessions]
        assert np.array_equal(got.features, sset.features)
        assert np.array_equal(got.has_features, sset.has_features)
    a = [r.as_json() for r in leaderboard(loaded)]
    b = [r.as_json() for r in leaderboard(raw)]
    assert a == b
    assert any(r["D1_conv"] is not None for r in b)  # something was compared


# ----------------------------------------------------------------------------- the build


def leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "usi_metric.cli", *args],
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("relpath", "edit", "needles"),
    [
        ("data/tau_bench_tasks_unified.json", lambda d: "{\"airline_0\": {",
         ["tau_bench_tasks_unified.json", "malformed JSON"]),
        ("eval_results/eval_results_s.json",
         lambda d: {**d, "retail_3": {**d["retail_3"], "reward": "high"}},
         ["eval_results_s.json", "id retail_3", "field reward"]),
        ("survey_data/survey_comparable_m.json",
         lambda d: {**d, "airline_0": {"survey": [5]}},
         ["survey_comparable_m.json", "id airline_0", "field survey"]),
    ],
)
def test_bad_file_stops_build_and_leaves_nothing(tiny: Path, tmp_path: Path, relpath: str,
                                                 edit: Any, needles: list[str]) -> None:
    path = tiny / relpath
    new = edit(json.loads(path.read_text("utf-8")))
    path.write_text(new if isinstance(new, str) else json.dumps(new), encoding="utf-8")
    parent = tmp_path / "out_parent"
    parent.mkdir()
    proc = run_cli("dataset", "build", str(tiny), str(parent / "repo"))
    assert proc.returncode == 2, proc.stderr
    # The tiny release's own id warnings (colliding and odd run ids) may come first; the
    # failure itself is one line, the last.
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert all(line.startswith("usi: warning: ") for line in lines[:-1]), proc.stderr
    err = lines[-1]
    assert err.startswith("usi: error: ")
    for needle in needles:
        assert needle in err, err
    assert proc.stdout == ""
    assert list(parent.iterdir()) == []  # no OUT_DIR, no temporary folder


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_while_writing_leaves_nothing(tiny: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             exc: BaseException) -> None:
    real = repo_mod.write_shards
    calls: list[Path] = []

    def flaky(table: Any, folder: Path, max_shard_bytes: int) -> list[Path]:
        calls.append(folder)
        if len(calls) == 2:  # the human shard is on disk when the second config fails
            raise exc
        return real(table, folder, max_shard_bytes)

    monkeypatch.setattr(repo_mod, "write_shards", flaky)
    out = tmp_path / "repo"
    expected = UsiError if isinstance(exc, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as info:
        build_repo(tiny, out)
    if expected is UsiError:
        assert "No space left on device" in str(info.value)
    assert calls and calls[0].parent.name.startswith(".repo.partial-")
    assert not out.exists()
    assert leftovers(tmp_path, "repo") == []


def test_overwrite_rules(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "repo"
    build_repo(tiny, out)
    first = (out / "README.md").read_text("utf-8")
    with pytest.raises(UsiError, match="already exists; pass --overwrite"):
        build_repo(tiny, out)
    (out / "README.md").write_text("stale", encoding="utf-8")
    build_repo(tiny, out, overwrite=True)
    assert (out / "README.md").read_text("utf-8") == first
    assert leftovers(tmp_path, "repo") == []
    (out / "my_notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsiError, match="not a previous build"):
        build_repo(tiny, out, overwrite=True)
    assert (out / "my_notes.txt").exists()
    with pytest.raises(UsiError, match="holds this command's input"):
        build_repo(tiny, tiny.parent, overwrite=True)


def test_shards_keep_rows_and_order(tiny: Path, tmp_path: Path, no_network: None) -> None:
    one, many = tmp_path / "one", tmp_path / "many"
    build_repo(tiny, one)
    result = build_repo(tiny, many, max_shard_bytes=4096)
    shards = result.shards["simulators"]
    assert len(shards) > 1
    assert shards[0] == f"simulators/test-00000-of-{len(shards):05d}.parquet"
    assert sorted(p.name for p in (many / "simulators").iterdir()) == [
        Path(s).name for s in shards]
    a = load(one, "simulators", tmp_path / "c1").to_list()
    b = load(many, "simulators", tmp_path / "c2").to_list()
    assert a == b


def test_cli_prints_counts_without_progress_bar(tiny: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", "build", str(tiny), str(tmp_path / "repo")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "human: 3 sessions over 1 tasks (annotator 1: 1, annotator 2: 1, " \
                       "annotator 3: 1)"
    assert lines[1] == "simulators: 178 sessions from 3 simulators"
    assert lines[2].split() == ["m", "173", "(run", "0:", "2,", "run", "1:", "57,", "run", "2:",
                                "57,", "run", "3:", "57)"]
    assert lines[3].split() == ["r", "2", "(run", "1:", "1,", "run", "2:", "1)"]
    assert lines[4].split() == ["s", "3", "(run", "1:", "3)"]
    assert lines[5] == "surveys: 2 answers from 1 judges"
    assert lines[6].split() == ["m", "2"]
    assert "\x1b[" not in out and "reading" not in out  # stdout is not a TTY here
    assert "SYNTHETIC" not in out  # a real-looking folder is not called synthetic


# ----------------------------------------------------------------------------- the builder


def test_builder_needs_a_data_dir(tmp_path: Path) -> None:
    builder = TauUSI(config_name="human", cache_dir=str(tmp_path / "cache"))
    with pytest.raises(UsiError, match="give data_dir="):
        builder.download_and_prepare()


def test_builder_bad_file_is_the_library_error(tiny: Path, tmp_path: Path) -> None:
    path = tiny / "eval_results" / "eval_results_s.json"
    data = json.loads(path.read_text("utf-8"))
    data["retail_3"]["keep"] = "yes"
    path.write_text(json.dumps(data), encoding="utf-8")
    builder = TauUSI(config_name="simulators", data_dir=str(tiny),
                     cache_dir=str(tmp_path / "cache"))
    with pytest.raises(datasets.exceptions.DatasetGenerationError) as info:
        builder.download_and_prepare()
    cause = info.value.__cause__
    assert isinstance(cause, UsiError)
    assert (Path(cause.file).name, cause.id, cause.field) == ("eval_results_s.json",
                                                              "retail_3", "keep")


def test_hub_download_only_when_asked(tiny: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, no_network: None,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import huggingface_hub

    calls: list[dict[str, Any]] = []

    def fake_snapshot(**kwargs: Any) -> str:
        calls.append(kwargs)
        return str(tiny)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot)
    # building from a folder never asks the Hub
    build_repo(tiny, tmp_path / "repo")
    TauUSI(config_name="surveys", data_dir=str(tiny),
           cache_dir=str(tmp_path / "c0")).download_and_prepare()
    assert calls == []
    # the builder asks when from_hub=True
    builder = TauUSI(config_name="surveys", from_hub=True, cache_dir=str(tmp_path / "c1"))
    builder.download_and_prepare()
    assert len(builder.as_dataset(split="test")) == 2
    assert calls[-1]["repo_id"] == "cmu-lti/tau-usi"
    assert calls[-1]["repo_type"] == "dataset"
    assert calls[-1]["allow_patterns"] == ["*.json"]
    # the CLI asks when told to, and prints the release folder
    assert main(["dataset", "download", "--local-dir", str(tmp_path / "dl")]) == 0
    assert capsys.readouterr().out.strip() == str(tiny)
    assert calls[-1]["local_dir"] == str(tmp_path / "dl")


def test_hub_download_failure_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import huggingface_hub

    def gated(**kwargs: Any) -> str:
        raise RuntimeError("401 Client Error\nCannot access gated repo")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", gated)
    assert main(["dataset", "download"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "hf://datasets/cmu-lti/tau-usi" in err and "401 Client Error" in err


def test_card_template_with_an_unknown_placeholder_stops_the_build(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "card.md"
    template.write_text("---\nlicense: other\n---\n# x\n{{n_human}} and {{n_humans}}\n",
                        encoding="utf-8")
    out = tmp_path / "out" / "repo"
    assert main(["dataset", "build", str(tiny), str(out), "--card-template",
                 str(template)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the tiny release's warnings
    assert err == f"usi: error: {template}: unknown placeholder {{{{n_humans}}}} in the card " \
                  "template"
    assert not out.exists()
    assert main(["dataset", "build", str(tiny), str(out), "--max-shard-mb", "0"]) == 2
    assert "--max-shard-mb" in capsys.readouterr().err
    template.write_text("---\nlicense: other\n---\n# x\n{{n_human}} human rows\n",
                        encoding="utf-8")
    assert main(["dataset", "build", str(tiny), str(out), "--card-template",
                 str(template)]) == 0
    card = (out / "README.md").read_text("utf-8")
    assert card.endswith("# x\n3 human rows\n")
    assert "config_name: surveys" in card  # the YAML the Hub needs is added to any template
