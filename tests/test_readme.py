"""The code blocks of README.md and docs/*.md run as written (on the bundled SYNTHETIC sample).

Every fenced block carries a language. ``python`` and ``bash`` blocks run, page by page, in
one fresh interpreter for all pages (importing ``evaluate`` is most of the time): a page's
blocks run in their order in a temp working folder of the page's own (holding links to the
checkout's ``usi_metric/`` and ``examples/`` and to the virtualenv as ``.venv``), the python
blocks of a page in one namespace (a later block may use what an earlier one made), the bash
blocks with ``bash -e`` and the ``usi`` command on the PATH. The environment has a fresh
``HF_HOME`` where ``usi register-evaluate`` has been run (the one-time step of
docs/evaluate.md) and every Hugging Face library offline. ``json`` blocks must parse.
``text`` and ``bibtex`` blocks are shown, not run.

A block that cannot run here (it needs the network, the gated release, a GPU, a training run
or the whole test suite) is named in ``EXEMPT`` with the reason; every entry must match
exactly one block, so the list cannot go stale, and nothing else is skipped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
RUN = {"python", "bash"}
SHOWN = {"text", "bibtex"}

# (page, a piece of text found in exactly one block of that page) -> why it does not run here
EXEMPT: dict[tuple[str, str], str] = {
    ("README.md", "make test"): "make demo / make test build the virtualenv and run this "
                                "suite; the demo's output is checked below",
    ("docs/evaluate.md", ".venv/bin/usi register-evaluate"):
        "run once by this test's env fixture (the same command), before any page",
    ("docs/cli.md", "usi leaderboard --data-dir DIR [--reference REF]"):
        "the command synopsis (placeholders, not a command)",
    ("docs/runs.md", "usi dataset download --local-dir tau-usi"):
        "the gated release from the Hub (network, accepted terms) and a model server",
    ("README.md", "usi reference build --humans sessions.jsonl"):
        "a synopsis of your own files (docs/bring-your-own-humans.md runs the same steps)",
    ("docs/runs.md", "gpt-4o-airline.json gpt-4o-retail.json --data-dir DIR"):
        "the runner's own result files and the real release",
    ("docs/runs.md", "usi convert gpt-4o-airline.json"):
        "the runner's own result files and the real release",
    ("docs/hub.md", 'data_dir="path/to/release"'): "the raw release on disk (gated)",
    ("docs/hub.md", "pip install -e '.[space]'"): "installs packages and serves a web app",
    ("docs/judge.md", "vllm serve"): "a model server and the real release",
    ("docs/training.md", 'HumanReference.load("people.parquet")'):
        "a TRL training run (a model, a GPU, your people's file)",
    ("docs/training.md", "GRPOConfig, GRPOTrainer  # a sketch"):
        "a TRL training run (a model, a GPU)",
    ("docs/speed.md", "make bench"): "the six-minute benchmark (make bench)",
    ("docs/compare.md", "usi leaderboard --data-dir DIR --ci [--ci-method"):
        "a synopsis of the flags (placeholders)",
}


def _blocks() -> list[tuple[str, int, str, str]]:
    """``(page, position on the page, language, code)`` of every fenced block."""
    out = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        for i, m in enumerate(FENCE.finditer(page.read_text("utf-8"))):
            out.append((name, i, m.group(1).strip(), m.group(2)))
    return out


BLOCKS = _blocks()


def _exemption(page: str, code: str) -> str | None:
    hits = [why for (p, text), why in EXEMPT.items() if p == page and text in code]
    return hits[0] if hits else None


RUNNABLE = [b for b in BLOCKS if b[2] in RUN and _exemption(b[0], b[3]) is None]
IDS = [f"{page}#{i}" for page, i, _, _ in RUNNABLE]


def test_every_block_says_what_it_is() -> None:
    langs = {(page, i): lang for page, i, lang, _ in BLOCKS}
    odd = {k: v for k, v in langs.items() if v not in RUN | SHOWN | {"json"}}
    assert not odd, f"blocks without a known language: {odd}"


def test_every_exemption_names_one_block() -> None:
    for (page, text), why in EXEMPT.items():
        hits = [i for p, i, lang, code in BLOCKS if p == page and text in code and lang in RUN]
        assert len(hits) == 1, f"EXEMPT {page!r} {text!r} matches blocks {hits}"
        assert why
    exempt = [b for b in BLOCKS if b[2] in RUN and _exemption(b[0], b[3]) is not None]
    assert len(exempt) == len(EXEMPT)  # each exempted block once; nothing else is left out
    assert len(RUNNABLE) >= 20
    assert {page for page, *_ in RUNNABLE} >= {"README.md", "docs/bring-your-own-humans.md",
                                                "docs/evaluate.md", "docs/cli.md"}


JSON_BLOCKS = [(p, i, c) for p, i, lang, c in BLOCKS if lang == "json"]


@pytest.mark.parametrize("page,i,code", JSON_BLOCKS, ids=[f"{p}#{i}" for p, i, _ in JSON_BLOCKS])
def test_json_blocks_parse(page: str, i: int, code: str) -> None:
    assert isinstance(json.loads(code), dict)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("hf_home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "USI_")) and k not in ("COLUMNS", "LINES")}
    bin_dir = Path(sys.executable).parent
    env.update(HF_HOME=str(home), HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HUB_OFFLINE="1", MPLBACKEND="Agg",
               PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    subprocess.run([str(bin_dir / "usi"), "register-evaluate"], env=env, check=True,
                   capture_output=True)
    return env


DRIVER = """
import contextlib, io, json, os, subprocess, sys, traceback
results = []
for page, folder, blocks in json.load(open(sys.argv[1])):
    os.chdir(folder)
    namespace = {"__name__": "__main__"}
    for lang, code in blocks:
        out = io.StringIO()
        try:
            if lang == "python":
                with contextlib.redirect_stdout(out):
                    exec(compile(code, f"<{page} example>", "exec"), namespace)
                results.append([True, out.getvalue()])
            else:
                proc = subprocess.run(["bash", "-e", "-c", code], capture_output=True,
                                      text=True, timeout=120)
                results.append([proc.returncode == 0, proc.stdout + proc.stderr])
        except BaseException:
            results.append([False, traceback.format_exc()])
print("RESULTS", json.dumps(results))
"""


@pytest.fixture(scope="module")
def ran(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> list[list]:
    """``[ok, printed output or traceback]`` of each runnable block, in ``RUNNABLE`` order."""
    work = tmp_path_factory.mktemp("docs")
    plan: list[list] = []
    for page in dict.fromkeys(p for p, *_ in RUNNABLE):
        folder = work / page.replace("/", "_")
        folder.mkdir()
        for name in ("usi_metric", "examples"):
            (folder / name).symlink_to(ROOT / name)
        (folder / ".venv").symlink_to(Path(sys.executable).parents[1])
        plan.append([page, str(folder), [[lang, code] for p, _, lang, code in RUNNABLE
                                         if p == page]])
    (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(work / "plan.json")],
                          cwd=work, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(re.search(r"^RESULTS (.+)$", proc.stdout, re.M).group(1))
    assert len(results) == len(RUNNABLE)
    return results


@pytest.mark.parametrize("n", range(len(RUNNABLE)), ids=IDS)
def test_example_runs(n: int, ran: list[list]) -> None:
    ok, output = ran[n]
    assert ok, output[-2000:]


def _output_of(page: str, needle: str, ran: list[list]) -> str:
    n = next(k for k, (p, _, _, code) in enumerate(RUNNABLE) if p == page and needle in code)
    ok, out = ran[n]
    assert ok, out[-2000:]
    return out


def test_the_demo_output_is_the_real_one(env: dict[str, str]) -> None:
    """The README pastes what ``make demo`` prints: it must be what the command prints."""
    readme = (ROOT / "README.md").read_text("utf-8")
    shown = next(code for p, _, lang, code in BLOCKS
                 if p == "README.md" and lang == "text" and "USI leaderboard:" in code)
    proc = subprocess.run([str(Path(sys.executable).with_name("usi")), "leaderboard",
                           "--data-dir", "usi_metric/samples/synthetic_tau_usi"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    real = "\n".join(line.rstrip() for line in proc.stdout.splitlines())
    assert shown.rstrip("\n") == real
    assert "SYNTHETIC" in shown and "make demo" in readme


def test_training_loop_prints_the_usi_of_usi_score(env: dict[str, str],
                                                  ran: list[list]) -> None:
    out = _output_of("docs/evaluate.md", "add_batch", ran)
    got = float(re.search(r"USI (\d+\.\d)", out).group(1))  # type: ignore[union-attr]
    sample = ROOT / "usi_metric" / "samples"
    score = subprocess.run(
        [str(Path(sys.executable).with_name("usi")), "score",
         str(sample / "synthetic_new_simulator" / "runs.json"),
         "--data-dir", str(sample / "synthetic_tau_usi"), "--format", "json"],
        env=env, capture_output=True, text=True, check=True).stdout
    row = json.loads(score)["rows"][1]
    assert got == round(row["usi"]["mean"], 1)


def test_links_between_pages_resolve() -> None:
    """Every relative link of the README and the docs names a file of the checkout."""
    broken = []
    for page in PAGES:
        text = FENCE.sub("", page.read_text("utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken
