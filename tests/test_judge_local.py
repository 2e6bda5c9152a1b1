"""``usi survey`` with a local transformers model: a tiny random-weight Llama built from a
config in the test (nothing downloaded), on the mini release of ``judge_fixtures``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch  # the judge extra is part of the test install
from judge_fixtures import CODES, KEPT, build_tiny_model, write_release

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS, SURVEY_SCALES
from usi_metric.cli import main
from usi_metric.io import load_release
from usi_metric.judge.local import LocalJudge
from usi_metric.judge.prompt import (
    PROMPT_TEMPLATE,
    answer_prefix,
    build_prompt,
    conversation_turns,
    omitted_line,
    render_turns,
)

DATE = "2026-03-14"
CONTEXT = 1024


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # others share the CPU; results do not depend on it


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), max_positions=CONTEXT)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("rel"))


def survey(release: Path, tiny: Path, out: Path, *extra: str) -> int:
    return main(["survey", "--data-dir", str(release), "--model", str(tiny), "--out",
                 str(out), "--device", "cpu", "--date", DATE, *extra])


@pytest.fixture(scope="module")
def reference(release: Path, tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run: ``survey_comparable_tiny.json`` and its sidecars."""
    out = tmp_path_factory.mktemp("ref") / "survey_comparable_tiny.json"
    assert survey(release, tiny, out) == 0
    return out


def read(p: Path) -> dict:
    return json.loads(p.read_text(encoding="utf-8"))


def test_every_answer_is_a_valid_option_in_the_survey_layout(reference: Path) -> None:
    data = read(reference)
    assert list(data) == KEPT  # every kept session of all batches, ids as in the human file
    for iid, entry in data.items():
        assert list(entry) == ["survey"], iid
        assert sorted(entry["survey"]) == sorted(SURVEY_FIELDS)
        for field, qa in entry["survey"].items():
            assert qa["answer"] in SURVEY_SCALES[field], (iid, field, qa)
            assert qa["question"] in PROMPT_TEMPLATE
    meta = read(reference.with_name("survey_comparable_tiny.meta.json"))
    assert meta["answers"] == {"valid": 6 * 8, "not_an_option": 0, "unanswered": 0}
    assert (meta["backend"], meta["date"], meta["device"], meta["endpoint"]) == (
        "local", DATE, "cpu", None)
    assert meta["prompt_template"] == PROMPT_TEMPLATE
    assert meta["decoding"]["dtype"] == "float32"
    assert meta["context_tokens"] == CONTEXT


def test_two_runs_give_byte_identical_files(release: Path, tiny: Path, reference: Path,
                                            tmp_path: Path) -> None:
    out = tmp_path / "survey_comparable_tiny.json"
    assert survey(release, tiny, out) == 0
    for name in ("survey_comparable_tiny.json", "survey_comparable_tiny.meta.json"):
        assert (tmp_path / name).read_bytes() == reference.with_name(name).read_bytes()


def _reference_scores(judge: LocalJudge, prompt: str) -> list[float]:
    """Each row scored on its own: prompt + row in one plain forward pass, no cache, no
    batch; the log-probabilities of the option's tokens and the closing quote summed."""
    tok, model = judge.tokenizer, judge.model
    text = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                   add_generation_prompt=True)
    p = tok(text, add_special_tokens=False)["input_ids"]
    scores = []
    for field, option, _, _ in judge.rows:
        head = tok(answer_prefix(field), add_special_tokens=False)["input_ids"]
        row = tok(answer_prefix(field) + option + '"', add_special_tokens=False)["input_ids"]
        assert row[:len(head)] == head  # WordLevel: the option's tokens follow the prefix's
        with torch.no_grad():
            logp = model(input_ids=torch.tensor([p + row])).logits[0].log_softmax(-1)
        scores.append(sum(float(logp[len(p) + j - 1, row[j]])
                          for j in range(len(head), len(row))))
    return scores


def test_options_are_ranked_by_their_log_likelihood(release: Path, tiny: Path) -> None:
    judge = LocalJudge(str(tiny), device="cpu")
    entry = read(release / "data" / "tau_bench_tasks_unified.json")["airline_2"]
    prompt = build_prompt(render_turns(conversation_turns(entry["conversation"])))
    got = judge.scores(prompt)
    want = _reference_scores(judge, prompt)
    assert len(got) == sum(len(s) for s in SURVEY_SCALES.values()) == 32
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-4
    best: dict[str, tuple[float, str]] = {}
    for (field, option, _, _), score in zip(judge.rows, want, strict=True):
        if field not in best or score > best[field][0]:
            best[field] = (score, option)
    assert judge.answer(prompt).answers == {f: best[f][1] for f in SURVEY_FIELDS}


def test_an_interrupted_run_resumes_to_the_same_file(release: Path, tiny: Path,
                                                     reference: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    out = tmp_path / "survey_comparable_tiny.json"
    journal = tmp_path / "survey_comparable_tiny.journal.jsonl"
    real = LocalJudge.answer
    asked: list[str] = []

    def interrupted(self: LocalJudge, prompt: str):  # Ctrl-C during the 4th session
        asked.append(next(i for i, c in CODES.items() if c in prompt))
        if len(asked) == 4:
            raise KeyboardInterrupt
        return real(self, prompt)

    monkeypatch.setattr(LocalJudge, "answer", interrupted)
    assert survey(release, tiny, out) == 130
    assert "usi: interrupted" in capsys.readouterr().err
    assert not out.exists()
    done = [json.loads(line)["id"] for line in journal.read_text().splitlines()[1:]]
    assert done == KEPT[:3]
    # A crash while the 3rd answer was being written: its line is cut short.
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(lines[:3]) + lines[3][:25])

    asked.clear()

    def counted(self: LocalJudge, prompt: str):
        asked.append(next(i for i, c in CODES.items() if c in prompt))
        return real(self, prompt)

    monkeypatch.setattr(LocalJudge, "answer", counted)
    assert survey(release, tiny, out) == 0
    assert asked == KEPT[2:]  # what was done is skipped; the cut line is asked again
    for name in ("survey_comparable_tiny.json", "survey_comparable_tiny.meta.json"):
        assert (tmp_path / name).read_bytes() == reference.with_name(name).read_bytes()
    # Run again: everything is in the journal, nothing is asked, the file is the same.
    asked.clear()
    assert survey(release, tiny, out) == 0
    assert asked == []
    assert out.read_bytes() == reference.read_bytes()


def test_a_long_conversation_is_cut_as_documented_and_counted(release: Path, tiny: Path,
                                                              reference: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny)

    def n_tokens(prompt: str) -> int:
        text = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                       add_generation_prompt=True)
        return len(tok(text, add_special_tokens=False)["input_ids"])

    rows = [tok(answer_prefix(f) + o + '"', add_special_tokens=False)["input_ids"]
            for f, scale in SURVEY_SCALES.items() for o in scale]
    budget = CONTEXT - max(len(r) for r in rows)
    journal = reference.with_name("survey_comparable_tiny.journal.jsonl")
    records = {r["id"]: r for r in map(json.loads, journal.read_text().splitlines()[1:])}
    entries = read(release / "data" / "tau_bench_tasks_unified.json")
    for iid in KEPT:
        turns = conversation_turns(entries[iid]["conversation"])
        k = records[iid]["turns_omitted"]
        assert records[iid]["texts_shortened"] == 0
        if iid != "airline_10_ann2":  # the only long one
            assert k == 0 and n_tokens(build_prompt(render_turns(turns))) <= budget
            continue
        assert len(turns) == 62 and k > 0
        used = build_prompt(render_turns([*turns[:2], *turns[2 + k:]], omitted=k))
        fewer = build_prompt(render_turns([*turns[:2], *turns[1 + k:]], omitted=k - 1))
        assert n_tokens(used) <= budget < n_tokens(fewer)  # as few turns as needed
        assert omitted_line(k) in used and turns[-1][1] in used and turns[1][1] in used
    meta = read(reference.with_name("survey_comparable_tiny.meta.json"))
    assert meta["truncation"]["sessions_cut"] == 1
    assert meta["truncation"]["turns_omitted"] == records["airline_10_ann2"]["turns_omitted"]
    assert meta["prompt_budget_tokens"] == budget


def test_texts_are_shortened_when_dropping_turns_is_not_enough(release: Path, tiny: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "survey_comparable_tiny.json"
    # airline_10 has 6 turns; with 500 tokens (482 for the prompt) even turns 1, 2 and 6
    # alone do not fit (510 tokens), so turns 3-5 go and the three kept texts are shortened.
    assert survey(release, tiny, out, "--max-prompt-tokens", "500", "--limit", "1") == 0
    meta = read(out.with_name("survey_comparable_tiny.meta.json"))
    record = json.loads(out.with_name("survey_comparable_tiny.journal.jsonl")
                        .read_text().splitlines()[1])
    assert (record["id"], record["turns_omitted"], record["texts_shortened"]) == (
        "airline_10", 3, 3)
    assert meta["prompt_budget_tokens"] == 482
    assert meta["truncation"]["texts_shortened"] == record["texts_shortened"]
    assert meta["sessions"] == {"n": 1, "limit": 1, "which": meta["sessions"]["which"]}
    assert list(read(out)) == ["airline_10"]


def test_sidecars_do_not_disturb_the_release_readers(release: Path, reference: Path,
                                                     tmp_path: Path) -> None:
    from dataset_builder.records import release_plan

    rel = tmp_path / "rel"
    shutil.copytree(release, rel)
    (rel / "survey_data").mkdir()
    for p in reference.parent.iterdir():
        shutil.copy(p, rel / "survey_data" / p.name)
    assert (rel / "survey_data" / "survey_comparable_tiny.meta.json").exists()
    loaded = load_release(rel)
    assert list(loaded.surveys) == ["tiny"] and not loaded.problems
    assert [name for name, _ in release_plan(rel)["surveys"]] == ["tiny"]


def test_bad_model_arguments_are_one_line_errors(release: Path, tiny: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.json"
    assert survey(release, tmp_path / "nowhere", out) == 2
    assert capsys.readouterr().err == f"usi: error: {tmp_path / 'nowhere'}: model folder not " \
                                      "found\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert survey(release, empty, out) == 2
    assert capsys.readouterr().err == f"usi: error: {empty}: not a transformers model " \
                                      "folder (no config.json)\n"
    assert survey(release, tiny, out, "--temperature", "0.7") == 2
    assert capsys.readouterr().err == "usi: error: --temperature only apply to --endpoint\n"
    out.write_text("{}")
    assert survey(release, tiny, out) == 2  # not ours, no journal: never overwritten
    assert capsys.readouterr().err == f"usi: error: {out}: already exists; pass --overwrite " \
                                      "to replace it\n"
    assert out.read_text() == "{}"
    assert main(["survey", "--data-dir", str(tmp_path), "--model", str(tiny), "--out",
                 str(tmp_path / "x.json")]) == 2
    assert "not a tau-usi release folder" in capsys.readouterr().err
    assert not list(tmp_path.glob("x*"))


def test_show_prompt_prints_the_template_and_a_clean_conversation(
        release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["survey", "--show-prompt", "--data-dir", str(release)]) == 0
    text = capsys.readouterr().out
    assert PROMPT_TEMPLATE in text
    first = text.split("# the prompt of airline_10 (before any cut)\n", 1)[1]
    # meta messages, think blocks, function calls and tool messages are gone
    for gone in ("\\tau", "<|survey|>", "/stop", "<|think|>", "<function=", '"origin"'):
        assert gone not in first, gone
    assert "Agent: Sure, let me pull up reservation K7PQ2M.\n\nAgent: I found" in first
    assert "User: the 14th if possible — same cabin please\n\nAgent: Done" in first


def test_the_cli_stays_light_without_the_judge() -> None:
    code = ("import sys, usi_metric.cli, usi_metric.judge.run; "
            "print(sorted(m for m in ('torch', 'transformers', 'huggingface_hub') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == "[]"
