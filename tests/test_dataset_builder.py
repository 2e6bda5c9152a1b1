"""dataset_builder on the bundled SYNTHETIC sample: build the Hub-ready repo into a temp
folder, load every config offline, check types, counts, values against the raw JSON, the USI
round trip (Parquet rows -> the same leaderboard to 1e-12), the builder class and the card."""

from __future__ import annotations

import doctest
import importlib
import json
import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from dataset_builder import FEATURES, TauUSI, build_repo, evaluate_kwargs, release_from_records
from dataset_builder.repo import BuildResult
from dataset_builder.schema import CONFIG_NAMES, SURVEY_FIELDS
from usi_metric.features import COLUMNS
from usi_metric.hf.evaluate_metric import compute_usi
from usi_metric.io import Release, load_release
from usi_metric.samples import sample_release_dir
from usi_metric.scoring import CELL_KEYS, leaderboard

SAMPLE = sample_release_dir()


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("network access attempted")


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """No socket may connect while the module's tests run (offline for real)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket, "create_connection", _refuse)
        yield


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, offline: None) -> BuildResult:
    return build_repo(SAMPLE, tmp_path_factory.mktemp("hub") / "tau-usi")


@pytest.fixture(scope="module")
def loaded(built: BuildResult, tmp_path_factory: pytest.TempPathFactory,
           offline: None) -> dict[str, datasets.Dataset]:
    cache = tmp_path_factory.mktemp("hf_cache")
    return {c: datasets.load_dataset(str(built.out_dir), c, split="test", cache_dir=str(cache))
            for c in CONFIG_NAMES}


@pytest.fixture(scope="module")
def raw() -> Release:
    return load_release(SAMPLE)


def raw_json(pattern: str) -> dict[str, Any]:
    """The sample's files matching ``pattern``, parsed with plain ``json`` (not the library)."""
    out = {}
    for p in sorted(SAMPLE.rglob(pattern)):
        out[p.name] = json.loads(p.read_text("utf-8"))
    assert out, pattern
    return out


def entries(data: Any) -> list[Any]:
    return data["results"] if set(data) == {"results"} else list(data.values())


# ----------------------------------------------------------------------------- repo + load


def test_repo_layout(built: BuildResult) -> None:
    names = sorted(p.relative_to(built.out_dir).as_posix()
                   for p in built.out_dir.rglob("*") if p.is_file())
    assert names == ["LICENSE.md", "README.md", "human/test-00000-of-00001.parquet",
                     "reference/test-00000-of-00001.parquet",
                     "simulators/test-00000-of-00001.parquet",
                     "surveys/test-00000-of-00001.parquet"]
    assert [p.name for p in built.out_dir.parent.iterdir()] == ["tau-usi"]  # no temp left


def test_column_types_as_declared(built: BuildResult, loaded: dict[str, datasets.Dataset]
                                  ) -> None:
    for config in CONFIG_NAMES:
        assert loaded[config].features == FEATURES[config]
        schema = pq.read_schema(built.out_dir / built.shards[config][0])
        assert schema.remove_metadata() == FEATURES[config].arrow_schema.remove_metadata()
    human = pq.read_schema(built.out_dir / built.shards["human"][0])
    assert human.field("instance_id").type == pa.string()
    assert human.field("annotator").type == pa.int32()
    assert human.field("reward").type == pa.float64()
    assert human.field("keep").type == pa.bool_()
    assert human.field("conversation").type == pa.list_(
        pa.struct([("role", pa.string()), ("content", pa.string())]))
    assert [f.name for f in human.field("survey").type] == list(SURVEY_FIELDS)
    feats = human.field("features").type
    assert [f.name for f in feats] == list(COLUMNS) and len(COLUMNS) == 20
    assert {f.type for f in feats} == {pa.float64()}
    sims = pq.read_schema(built.out_dir / built.shards["simulators"][0])
    assert sims.field("run").type == pa.int32() and sims.field("simulator").type == pa.string()


def test_load_dataset_offline_in_a_fresh_process(built: BuildResult, tmp_path: Path) -> None:
    """The user's view: a new Python, an empty HF_HOME, offline, no cache_dir given."""
    code = ("import datasets, sys\n"
            "for c in ('human', 'simulators', 'surveys', 'reference'):\n"
            "    ds = datasets.load_dataset(sys.argv[1], c)\n"
            "    print(c, list(ds), ds['test'].num_rows)\n")
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf_home"), HF_DATASETS_OFFLINE="1",
               HF_HUB_OFFLINE="1")
    env.pop("HF_DATASETS_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", code, str(built.out_dir)], env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    c = built.counts.records
    assert proc.stdout.splitlines() == [f"human ['test'] {c['human']}",
                                        f"simulators ['test'] {c['simulators']}",
                                        f"surveys ['test'] {c['surveys']}",
                                        f"reference ['test'] {c['human']}"]


def test_row_counts_equal_json_entries(loaded: dict[str, datasets.Dataset]) -> None:
    humans = raw_json("tau_bench_tasks_unified.json")
    assert len(loaded["human"]) == sum(len(d) for d in humans.values())
    sims = raw_json("eval_results_*.json")
    per_sim: dict[str, int] = {}
    for sim in loaded["simulators"]["simulator"]:
        per_sim[sim] = per_sim.get(sim, 0) + 1
    assert per_sim == {name.removeprefix("eval_results_").removesuffix(".json"):
                       len(entries(d)) for name, d in sims.items()}
    surveys = raw_json("survey_comparable_*.json")
    per_judge: dict[str, int] = {}
    for judge in loaded["surveys"]["judge"]:
        per_judge[judge] = per_judge.get(judge, 0) + 1
    assert per_judge == {name.removeprefix("survey_comparable_").removesuffix(".json"): len(d)
                         for name, d in surveys.items()}
    assert "human-eval-100" in per_judge


def _expected_session(entry: dict[str, Any]) -> dict[str, Any]:
    """A row's session columns, from a raw entry by the rules of docs/ids-and-runs.md."""
    survey = entry.get("survey") or {}
    reward = entry.get("reward")
    return {
        "conversation": [{"role": m["role"], "content": m.get("content")}
                         for m in entry["conversation"]],
        "reward": None if reward is None else float(reward),
        "success": reward is not None and reward > 0,
        "keep": entry.get("keep", True),
        "agent_id": entry.get("agent_id") if isinstance(entry.get("agent_id"), str) else None,
        "survey": {f: (survey.get(f) or {}).get("answer") for f in SURVEY_FIELDS},
    }


def test_values_equal_the_raw_json(loaded: dict[str, datasets.Dataset]) -> None:
    (human_file,) = raw_json("tau_bench_tasks_unified.json").values()
    rows = loaded["human"].to_list()
    assert [r["instance_id"] for r in rows] == list(human_file)  # file order
    for row, (iid, entry) in zip(rows, human_file.items(), strict=True):
        assert {k: row[k] for k in _expected_session(entry)} == _expected_session(entry), iid
    sims = loaded["simulators"].to_list()
    at = 0
    for name, data in raw_json("eval_results_*.json").items():
        for entry in entries(data):
            row = sims[at]
            at += 1
            assert row["simulator"] == name.removeprefix("eval_results_").removesuffix(".json")
            assert {k: row[k] for k in _expected_session(entry)} == _expected_session(entry)
    assert at == len(sims)


def test_features_are_the_library_s(loaded: dict[str, datasets.Dataset], raw: Release) -> None:
    pairs = [(loaded["human"], [raw.humans])]
    pairs.append((loaded["simulators"], list(raw.simulators.values())))
    for ds, ssets in pairs:
        feats = list(ds["features"])
        i = 0
        for sset in ssets:
            for k in range(len(sset)):
                if sset.has_features[k]:
                    assert [feats[i][c] for c in COLUMNS] == sset.features[k].tolist()
                else:
                    assert feats[i] == {c: None for c in COLUMNS}
                i += 1
        assert i == len(feats)
    n_none = sum(1 for f in loaded["simulators"]["features"] if f["n_turns"] is None)
    assert n_none == sum(int((~s.has_features).sum()) for s in raw.simulators.values())


# ----------------------------------------------------------------------------- round trip


def _cells_equal(a: list[Any], b: list[Any]) -> None:
    assert [r.name for r in a] == [r.name for r in b]
    compared = 0
    for ra, rb in zip(a, b, strict=True):
        for key in CELL_KEYS:
            ca, cb = ra.cells.get(key), rb.cells.get(key)
            assert (ca is None) == (cb is None), (ra.name, key)
            if ca is not None:
                assert abs(ca.mean - cb.mean) <= 1e-12, (ra.name, key)
                assert abs(ca.std - cb.std) <= 1e-12, (ra.name, key)
                compared += 1
        for ba, bb in zip(ra.batches, rb.batches, strict=True):
            assert (ba.batch, ba.n_overlap) == (bb.batch, bb.n_overlap)
            assert (ba.usi is None) == (bb.usi is None)
            if ba.usi is not None:
                assert abs(ba.usi - bb.usi) <= 1e-12
    assert compared > 0


@pytest.mark.parametrize("featurize", [False, True], ids=["stored-features", "refeaturized"])
def test_usi_round_trip(loaded: dict[str, datasets.Dataset], raw: Release,
                        featurize: bool) -> None:
    from_rows = release_from_records(loaded["human"], loaded["simulators"], loaded["surveys"],
                                  featurize=featurize)
    a, b = leaderboard(from_rows), leaderboard(raw)
    assert sum(r.usi is not None for r in b) >= 2  # the sample scores: a real comparison
    _cells_equal(a, b)


def test_evaluate_kwargs_give_the_leaderboard_row(loaded: dict[str, datasets.Dataset],
                                                  raw: Release) -> None:
    row = next(r for r in leaderboard(raw) if r.kind != "human" and r.usi is not None
               and r.cells["eval_agree"] is not None)
    got = compute_usi(**evaluate_kwargs(loaded["human"], loaded["simulators"],
                                        loaded["surveys"], row.name))
    for key in ("usi", "D1_conv", "D2_info", "D3_clarif", "D4_react", "ece", "eval_agree"):
        assert abs(got[key] - row.cells[key].mean) <= 1e-12, key
        assert abs(got[f"{key}_std"] - row.cells[key].std) <= 1e-12, key


# ----------------------------------------------------------------------------- reference config


@pytest.fixture(scope="module")
def reference_rows_loaded(built: BuildResult, tmp_path_factory: pytest.TempPathFactory,
                          offline: None) -> datasets.Dataset:
    cache = tmp_path_factory.mktemp("hf_cache_ref")
    return datasets.load_dataset(str(built.out_dir), "reference", split="test",
                                 cache_dir=str(cache))


def test_reference_config_holds_the_people_as_the_raw_sessions_say(
        reference_rows_loaded: datasets.Dataset) -> None:
    """load_dataset(OUT_DIR, "reference") gives one row per human session, in the human
    file's order, with what credit_reference (no usi_metric) computes from the raw JSON."""
    from credit_reference import reference_rows, release_records

    records = release_records(SAMPLE)
    want = reference_rows(records)
    got = reference_rows_loaded.to_list()
    assert [r["id"] for r in got] == [r["id"] for r in records]  # the file's order
    problems = []
    for g in got:
        w = want[g["id"]]
        for key in ("task_key", "batch", "keep", "reward"):
            if g[key] != w[key]:
                problems.append(f"{g['id']} {key}: {g[key]!r} vs {w[key]!r}")
        for col in COLUMNS:
            a, b = w[col], g[col]
            ok = math.isnan(b) if a is None else abs(a - b) <= 1e-9
            if not ok:
                problems.append(f"{g['id']} {col}: {b!r} vs {a!r}")
        if tuple(g[f"survey_{f}"] for f in SURVEY_FIELDS) != w["survey"]:
            problems.append(f"{g['id']} survey")
    assert not problems, "\n".join(problems[:20])
    assert sum(w["keep"] is not True for w in want.values()) > 0  # the sample drops some
    assert any(r["survey_human_like"] is None for r in got)  # and has unanswered questions


def test_reference_config_second_person_in_file_order(
        reference_rows_loaded: datasets.Dataset) -> None:
    from credit_reference import ordinals

    he = raw_json("survey_comparable_human-eval-100.json")
    [entries_by_id] = he.values()
    rows = {r["id"]: r for r in reference_rows_loaded.to_list()}
    ranked = sorted((r["second_order"], iid) for iid, r in rows.items()
                    if r["second_order"] is not None)
    assert [iid for _, iid in ranked] == [i for i in entries_by_id if i in rows]
    assert len(ranked) > 0
    for _, iid in ranked:
        got = tuple(rows[iid][f"second_{f}"] for f in SURVEY_FIELDS)
        assert got == ordinals(entries_by_id[iid]), iid


def test_reference_config_holds_no_conversation_text(built: BuildResult) -> None:
    from credit_reference import release_records, text_snippets

    shard = built.out_dir / "reference" / "test-00000-of-00001.parquet"
    data = shard.read_bytes()
    needles = text_snippets(release_records(SAMPLE))
    assert len(needles) > 1000
    leaked = sorted(n for n in needles if n.encode("utf-8") in data)
    assert not leaked, leaked[:10]
    [human_file] = SAMPLE.rglob("tau_bench_tasks_unified.json")
    assert len(data) <= 0.15 * human_file.stat().st_size  # the bound


def test_reference_config_scores_as_the_transcripts(built: BuildResult, raw: Release) -> None:
    """The shard is a reference file as it is: every simulator scored against it equals the
    leaderboard of the raw release (read from the transcripts) on every cell."""
    from usi_metric import HumanReference, score
    from usi_metric.scoring import human_ceiling, resolve_difficulty

    ref = HumanReference.load(built.out_dir / "reference" / "test-00000-of-00001.parquet")
    assert ref.provenance["synthetic"] is True and ref.batches == ("1", "2", "3")
    diff = resolve_difficulty(raw, "published")
    rows = leaderboard(raw, diff)
    got = [human_ceiling(ref.humans(), diff, ref.human_eval())]
    got += [score(raw.simulators[r.name], ref, survey=raw.surveys.get(r.name),
                  difficulty=diff).row for r in rows[1:]]
    assert sum(r.cells.get("eval_agree") is not None for r in rows) >= 2
    _cells_equal(got, rows)


# ----------------------------------------------------------------------------- builder class


def test_builder_yields_the_repo_rows(loaded: dict[str, datasets.Dataset], tmp_path: Path,
                                      offline: None) -> None:
    for config in CONFIG_NAMES:
        builder = TauUSI(config_name=config, data_dir=str(SAMPLE),
                         cache_dir=str(tmp_path / "cache"))
        builder.download_and_prepare()
        ds = builder.as_dataset(split="test")
        assert ds.features == loaded[config].features
        assert ds.to_list() == loaded[config].to_list(), config
        assert builder.info.splits["test"].num_examples == len(loaded[config])


# ----------------------------------------------------------------------------- card


def test_card_yaml(built: BuildResult) -> None:
    card = DatasetCard.load(built.out_dir / "README.md")
    data = card.data.to_dict()
    # The Hub lists cmu-lti/tau-usi under cc-by-nc-4.0 with these tags and task categories.
    assert data["license"] == "cc-by-nc-4.0" and "license_link" not in data
    assert data["language"] == ["en"]
    assert data["task_categories"] == ["text-generation", "question-answering"]
    assert set(data["tags"]) >= {"human-evaluation", "user-simulation", "agent-evaluation",
                                 "tau-bench", "customer-service", "sim2real"}
    total = sum(built.counts.records.values())
    bucket = "n<1K" if total < 1000 else "1K<n<10K" if total < 10_000 else "10K<n<100K"
    assert data["size_categories"] == [bucket]
    assert [c["config_name"] for c in data["configs"]] == [*CONFIG_NAMES, "reference"]
    for c in data["configs"]:
        assert c["data_files"] == [{"split": "test", "path": f"{c['config_name']}/test-*.parquet"}]
    infos = {i["config_name"]: i for i in data["dataset_info"]}
    for name in CONFIG_NAMES:
        assert infos[name]["splits"] == [{"name": "test",
                                          "num_bytes": built.counts.num_bytes[name],
                                          "num_examples": built.counts.records[name]}]
        declared = datasets.Features._from_yaml_list(infos[name]["features"])
        assert declared == FEATURES[name]
    ref_schema = pq.read_schema(built.out_dir / "reference" / "test-00000-of-00001.parquet")
    assert infos["reference"]["splits"] == [{
        "name": "test", "num_bytes": built.counts.num_bytes["reference"],
        "num_examples": built.counts.records["human"]}]  # one row per human session
    declared = datasets.Features._from_yaml_list(infos["reference"]["features"])
    assert declared.arrow_schema.remove_metadata() == ref_schema.remove_metadata()
    assert "SYNTHETIC" in data["pretty_name"] and "synthetic" in data["tags"]


def test_card_gates_access_on_the_use_terms(built: BuildResult) -> None:
    # the Hub's gated-dataset fields (huggingface.co/docs/hub/datasets-gated), in the YAML
    data = DatasetCard.load(built.out_dir / "README.md").data.to_dict()
    prompt = " ".join(data["extra_gated_prompt"].split())
    assert "research and evaluation use only" in prompt
    assert "not for training LLMs" in prompt and "LICENSE.md" in prompt
    fields = data["extra_gated_fields"]
    assert set(fields.values()) == {"checkbox"} and len(fields) == 2
    boxes = " ".join(fields).lower()
    assert "research and evaluation only" in boxes and "not use this data to train llms" in boxes
    assert data["extra_gated_button_content"].strip()
    assert data["extra_gated_heading"].strip()
    license_text = (built.out_dir / "LICENSE.md").read_text("utf-8")
    assert "research and evaluation use only" in license_text  # the same terms


def test_card_text(built: BuildResult) -> None:
    text = (built.out_dir / "README.md").read_text("utf-8")
    body = DatasetCard(text).text
    assert "{{" not in text and "}}" not in body
    assert "SYNTHETIC SAMPLE DATA: THIS IS NOT THE STUDY'S DATA" in body
    assert body.index("SYNTHETIC SAMPLE DATA") < body.index("## This build")  # at the top
    for needle in ("451 participants", "165 tasks", "495 human", "31 LLM user simulators",
                   "GPT-5.2", 'load_dataset("cmu-lti/tau-usi", "human"',
                   'load_dataset("cmu-lti/tau-usi", "simulators"',
                   'load_dataset("cmu-lti/tau-usi", "surveys"', 'evaluate.load("usi")',
                   "research and evaluation use only", "Do NOT use this data to train LLMs",
                   "arXiv:2603.11245", "Zhou, Sun, Ma, Xie, Liu, Du, Welleck, Yang, Neubig, "
                   "Wu, Sap", "| GPT-5.1 | 47.3±6.9 |", "| Human (inter-ann.) | 87.4±6.8 |",
                   "numbers **published in the paper**"):
        assert needle in body, needle
    c = built.counts
    assert f"| `human` | human session (task × annotator 1-3) | {c.records['human']} |" in body
    assert (f"| `reference` | human session, without any text: the USI's human reference | "
            f"{c.records['human']} |") in body
    flat = " ".join(body.split())
    for needle in ("holds **no conversation text and no free text of any kind**",
                   'load_dataset("cmu-lti/tau-usi", "reference", split="test")',
                   "| `second_order` |", "| `survey_<question>` (8) |",
                   f"This build's `reference` holds {c.records['human']} sessions",
                   "Source: `SYNTHETIC sample release"):
        assert needle in flat, needle
    for sim, runs in c.per_simulator.items():
        assert f"| `{sim}` | {sum(runs.values())} |" in body
    license_text = (built.out_dir / "LICENSE.md").read_text("utf-8")
    assert "research and evaluation use only" in license_text
    assert "not for training LLMs" in license_text


def test_card_of_a_real_looking_release_has_no_synthetic_banner(tmp_path: Path) -> None:
    import shutil

    release = tmp_path / "tau-usi-raw"
    shutil.copytree(SAMPLE, release)
    (release / "README.md").unlink()  # the sample's marker: "# SYNTHETIC sample release"
    result = build_repo(release, tmp_path / "out")
    assert result.synthetic is False
    text = (tmp_path / "out" / "README.md").read_text("utf-8")
    assert "SYNTHETIC" not in text
    assert "`tau-usi-raw`" in text


def test_docstring_examples_run() -> None:
    for name in ("dataset_builder", "dataset_builder.schema", "dataset_builder.records",
                 "dataset_builder.sessions", "dataset_builder.card", "dataset_builder.repo",
                 "dataset_builder.download", "dataset_builder.tau_usi"):
        result = doctest.testmod(importlib.import_module(name),
                                 optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name
