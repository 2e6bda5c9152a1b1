"""Human reference files (issue 20): scoring against a reference equals scoring against the
release on all six terms, from the release folder and from the same people written as JSON
Lines; the file holds no text and is small; bad input is one line and writes nothing."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from release_gen import make_release

from usi_metric.cli import main
from usi_metric.errors import UsiError, UsiWarning
from usi_metric.reference import HumanReference
from usi_metric.samples import sample_release_dir

TOL = 1e-9
CELLS = ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi")
SEEDS = (3, 4)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    """``usi ARGV`` in this process: exit 0, its stdout as JSON."""
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """``usi ARGV`` must fail with exit 2 and one ``usi: error:`` line; returns it."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("usi: error: "), err
    return err


def same_rows(a: list[dict], b: list[dict]) -> list[str]:
    """Every cell where two JSON outputs differ (None must be None)."""
    out = []
    assert [r["name"] for r in a] == [r["name"] for r in b]
    for ra, rb in zip(a, b, strict=True):
        for c in CELLS:
            x, y = ra[c], rb[c]
            if x is None or y is None:
                if x is not y:
                    out.append(f"{ra['name']} {c}: {x} vs {y}")
                continue
            for part in ("mean", "std"):
                if not math.isclose(x[part], y[part], rel_tol=0, abs_tol=TOL):
                    out.append(f"{ra['name']} {c}.{part}: {x[part]} vs {y[part]}")
    return out


def jsonl_of_release(root: Path, out: Path) -> Path:
    """The release's people written as a team would export them: one session a line."""
    data = json.loads((root / "data" / "tau_bench_tasks_unified.json").read_text("utf-8"))
    lines = []
    for iid, e in data.items():
        base = iid[:-5] if iid.endswith(("_ann2", "_ann3")) else iid
        rec = {"id": iid, "task_key": base, "batch": int(iid[-1]) if base != iid else 1,
               "messages": e["conversation"]}
        for k in ("reward", "keep", "survey"):
            if k in e:
                rec[k] = e[k]
        lines.append(json.dumps(rec))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Path]]:
    out = {}
    for seed in SEEDS:
        root = tmp_path_factory.mktemp(f"rel{seed}")
        (root / "map.json").write_text(json.dumps(make_release(root, seed)), encoding="utf-8")
        ref = root / "ref.parquet"
        assert main(["reference", "build", "--data-dir", str(root), "-o", str(ref)]) == 0
        jsonl = jsonl_of_release(root, root / "people.jsonl")
        ref2 = root / "ref-jsonl.parquet"
        he = root / "survey_data" / "survey_comparable_human-eval-100.json"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UsiWarning)
            assert main(["reference", "build", "--humans", str(jsonl), "--second-survey",
                         str(he), "-o", str(ref2)]) == 0
        out[seed] = {"root": root, "ref": ref, "jsonl": jsonl, "ref_jsonl": ref2}
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("which", ["ref", "ref_jsonl"])
@pytest.mark.parametrize("yardstick", ["map", "published"])
def test_score_with_reference_equals_data_dir(releases, capsys, seed: int, which: str,
                                              yardstick: str) -> None:
    r = releases[seed]
    diff = str(r["root"] / "map.json") if yardstick == "map" else yardstick
    sims = sorted((r["root"] / "eval_results").glob("eval_results_*.json"))
    scored = 0
    for sim in sims:
        name = sim.name.removeprefix("eval_results_").removesuffix(".json")
        survey = r["root"] / "survey_data" / f"survey_comparable_{name}.json"
        extra = ["--survey", str(survey)] if survey.exists() else []
        args = ["score", str(sim), *extra, "--difficulty", diff, "--format", "json"]
        if main([*args, "--data-dir", str(r["root"])]) != 0:
            capsys.readouterr()  # no USI from the release either: the reference must agree
            fails(capsys, *args, "--reference", str(r[which]))
            continue
        want = json.loads(capsys.readouterr().out)["rows"]
        got = run(capsys, *args, "--reference", str(r[which]))["rows"]
        assert not same_rows(want, got), same_rows(want, got)
        scored += 1
    assert scored >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_leaderboard_with_reference_equals_release(releases, capsys, seed: int) -> None:
    r = releases[seed]
    for diff in ("self", "published"):
        want = run(capsys, "leaderboard", "--data-dir", str(r["root"]), "--difficulty", diff,
                   "--format", "json")["rows"]
        for which in ("ref", "ref_jsonl"):
            got = run(capsys, "leaderboard", "--data-dir", str(r["root"]), "--reference",
                      str(r[which]), "--difficulty", diff, "--format", "json")["rows"]
            assert not same_rows(want, got), (diff, which, same_rows(want, got))


def test_reference_from_jsonl_holds_the_same_people(releases) -> None:
    r = releases[SEEDS[0]]
    a, b = HumanReference.load(r["ref"]), HumanReference.load(r["ref_jsonl"])
    assert a.ids == b.ids and a.batches == b.batches == ("1", "2", "3")
    assert a.survey == b.survey and a.keep == b.keep and a.reward == b.reward
    assert a.second == b.second[:len(a.second)]
    import numpy as np
    assert np.array_equal(a.features, b.features, equal_nan=True)


def _grams(text: str, n: int = 12) -> set[str]:
    return {text[i:i + n] for i in range(len(text) - n + 1)}


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_reference_holds_no_text_and_is_small(releases, seed: int) -> None:
    r = releases[seed]
    human_file = r["root"] / "data" / "tau_bench_tasks_unified.json"
    data = json.loads(human_file.read_text("utf-8"))
    for path in (r["ref"], r["ref_jsonl"]):
        raw = path.read_bytes()
        assert len(raw) <= 0.15 * human_file.stat().st_size
        table = pq.read_table(path)
        texts = [raw.decode("latin-1"), table.schema.metadata[b"usi_reference"].decode()]
        for name in table.column_names:
            if pa.types.is_string(table.schema.field(name).type):
                assert name in ("id", "base_id", "task_key", "batch"), name
                texts.extend(v for v in table.column(name).to_pylist() if v is not None)
        stored = set().union(*(_grams(t) for t in texts))
        stored_bytes = _grams(raw.decode("latin-1"))
        for iid, e in data.items():
            for m in e["conversation"]:
                content = m.get("content") or ""
                leak = _grams(content) & stored
                assert not leak, (iid, sorted(leak)[:3])
                as_bytes = content.encode("utf-8").decode("latin-1")
                assert not _grams(as_bytes) & stored_bytes, iid


def test_round_trip_and_provenance(tmp_path: Path) -> None:
    ref = HumanReference.synthetic()
    path = tmp_path / "r.parquet"
    ref.save(path)
    back = HumanReference.load(path)
    assert back.ids == ref.ids and back.second == ref.second and back.survey == ref.survey
    assert back.provenance == ref.provenance and back.provenance["synthetic"] is True
    import numpy as np
    assert np.array_equal(back.features, ref.features, equal_nan=True)
    with pytest.raises(UsiError, match="already exists"):
        ref.save(path)
    import datasets
    rows = datasets.load_dataset("parquet", data_files=str(path), split="train")
    assert rows.num_rows == len(ref) and "conversation" not in rows.column_names


def test_other_feature_definitions_are_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "r.parquet"
    HumanReference.synthetic().save(path)
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"usi_reference"])
    meta["provenance"]["lexicons_sha256"] = "ab" * 32
    pq.write_table(table.replace_schema_metadata({b"usi_reference": json.dumps(meta)}),
                   tmp_path / "other.parquet")
    err = fails(capsys, "reference", "show", str(tmp_path / "other.parquet"))
    here = HumanReference.synthetic().provenance["lexicons_sha256"]
    assert "abababababab" in err and here[:12] in err


def test_self_equals_a_map_frozen_from_the_same_simulators(releases, capsys) -> None:
    """Item 6: a release whose map is frozen from its own simulators (as the paper's published
    map is from its 31) gives the same leaderboard on that map (stored in the reference, the
    default) as pooled over the simulators ('self')."""
    r = releases[SEEDS[1]]
    frozen = r["root"] / "frozen.json"
    assert main(["difficulty", "--data-dir", str(r["root"]), "-o", str(frozen)]) == 0
    ref = r["root"] / "ref-frozen.parquet"
    assert main(["reference", "build", "--data-dir", str(r["root"]), "--difficulty",
                 str(frozen), "-o", str(ref)]) == 0
    capsys.readouterr()
    pooled = run(capsys, "leaderboard", "--data-dir", str(r["root"]), "--difficulty",
                 "self", "--format", "json")["rows"]
    stored = run(capsys, "leaderboard", "--data-dir", str(r["root"]), "--reference", str(ref),
                 "--format", "json")
    assert stored["difficulty"]["source"] == "map stored in the reference"
    assert any(row["usi"] is not None for row in pooled[1:])
    assert not same_rows(pooled, stored["rows"])


# ----------------------------------------------------------------------------- own people

CONV = [{"role": "user", "content": "My order arrived broken, I want a refund please."},
        {"role": "assistant", "content": "Sorry to hear that. What is the order number?"},
        {"role": "user", "content": "It is W123456, thanks"}]


def own(task: str, batch: str, iid: str, **kw: object) -> dict:
    return {"id": iid, "task_key": task, "batch": batch, "messages": CONV, **kw}


def test_own_labels_order_and_pairs() -> None:
    recs = [own(f"t{i}", b, f"{b}-{i}", reward=1.0) for b in ("10", "9", "2") for i in range(3)]
    ref = HumanReference.from_sessions(recs)
    assert ref.batches == ("2", "9", "10")
    rows = HumanReference.from_sessions(
        [own("t1", "cohort-b", "x"), own("t1", "cohort-a", "y")]).batches
    assert rows == ("cohort-a", "cohort-b")
    from usi_metric.scoring import human_ceiling, published_difficulty
    ceiling = human_ceiling(ref.humans(), published_difficulty(), None)
    assert [b.batch for b in ceiling.batches] == ["2-9", "2-10", "9-10"]
    assert ceiling.cells["D1_conv"].mean == 100.0  # the same words in every batch


def test_yardstick_that_knows_no_task_says_what_to_pass(tmp_path: Path) -> None:
    recs = [own(f"refund-{i}", "a", f"s{i}", reward=1.0) for i in range(3)]
    ref = HumanReference.from_sessions(recs)
    from usi_metric.io.rollouts import rollout_sessions
    runs = rollout_sessions([CONV] * 30, [f"refund-{i % 3}" for i in range(30)], [1.0] * 30)
    with pytest.warns(UsiWarning, match="difficulty='self'"):
        result = ref and __import__("usi_metric").score(runs, ref)
    assert result.usi is None and "published yardstick covers 0 of the 3" in result.reason
    pooled = __import__("usi_metric").score(runs, ref, difficulty="self")
    assert pooled.usi == 100.0 and pooled.coverage == {
        "sessions_met": 30, "sessions_total": 30, "tasks_met": 3, "tasks_total": 3}


# ----------------------------------------------------------------------------- bad input


def _jsonl(tmp_path: Path, *lines: str) -> Path:
    p = tmp_path / "people.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


GOOD = json.dumps(own("t1", "a", "s1"))
BAD_JSONL = [
    (("[1, 2]",), ("line 1", "a session must be a JSON object")),
    ((GOOD, json.dumps({"id": "s2", "batch": "a", "messages": []})),
     ("line 2", "id s2", "field task_key")),
    ((json.dumps({"task_key": "t", "batch": "a", "messages": []}),), ("line 1", "field id")),
    ((json.dumps({"id": "s3", "task_key": "t", "messages": []}),), ("id s3", "field batch")),
    ((GOOD, GOOD), ("line 2", "id s1", "duplicate id")),
    ((GOOD, json.dumps(own("t1", "a", "s9"))), ("line 2", "id s9", "at most one kept")),
    ((GOOD, "{not json"), ("line 2", "not a JSON object")),
]


@pytest.mark.parametrize(("lines", "needles"), BAD_JSONL)
def test_bad_jsonl_is_one_line_and_writes_nothing(tmp_path: Path, capsys, lines, needles):
    out = tmp_path / "ref.parquet"
    err = fails(capsys, "reference", "build", "--humans", str(_jsonl(tmp_path, *lines)),
                "-o", str(out))
    for needle in needles:
        assert needle in err, (needle, err)
    assert str(tmp_path / "people.jsonl") in err
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "people.jsonl"]


def test_answers_not_options_are_counted(tmp_path: Path, capsys) -> None:
    path = _jsonl(tmp_path, json.dumps(own("t1", "a", "s1", survey={
        "human_like": "Yes", "reuse": "sure", "efficiency": {"answer": 4}})))
    assert main(["reference", "build", "--humans", str(path), "-o",
                 str(tmp_path / "r.parquet")]) == 0
    captured = capsys.readouterr()
    assert "usi: warning: 2 survey answers" in captured.err
    ref = HumanReference.load(tmp_path / "r.parquet")
    assert ref.provenance["answers_not_options"] == 2
    assert ref.survey[0] == (None, None, None, None, 3, None, None, None)


def test_unreadable_and_foreign_parquet(tmp_path: Path, capsys) -> None:
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 not really")
    assert "not a readable Parquet file" in fails(capsys, "reference", "show", str(junk))
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), foreign)
    err = fails(capsys, "score", str(sample_release_dir() / "eval_results" /
                                     "eval_results_synth-terse.json"),
                "--reference", str(foreign))
    assert "foreign.parquet" in err and "not a human reference" in err
