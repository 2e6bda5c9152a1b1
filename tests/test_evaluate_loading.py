"""Loading the ``usi`` metric the ways the card documents, each in a fresh process with a
temporary ``HF_HOME`` (nothing is written to the user's cache, nothing touches the network):
``usi register-evaluate`` then ``evaluate.load("usi")`` from an unrelated folder; by path in
evaluate's 2-process mode; the Space folder; and the card's own examples."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from minirelease import DIFFICULTY

from usi_metric.cli.hub import CACHED_NAME, cached_module_dir, install_module
from usi_metric.hf.evaluate_inputs import evaluate_inputs
from usi_metric.hf.evaluate_metric import compute_usi, evaluate_module_path
from usi_metric.io import load_release
from usi_metric.samples import sample_release_dir

REPO = Path(__file__).resolve().parents[1]
MODULE_DIR = REPO / "usi_metric" / "hf" / "evaluate_module"
SPACE = REPO / "hub_cards" / "space"
TIMEOUT = 240


def offline_env(hf_home: Path) -> dict[str, str]:
    """This environment with a fresh HF cache and evaluate / the Hub client offline."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_")) and k != "XDG_CACHE_HOME"}
    env.update(HF_HOME=str(hf_home), HF_EVALUATE_OFFLINE="1", HF_HUB_OFFLINE="1",
               HF_DATASETS_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def run_py(code: str, cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def write_inputs(path: Path, kwargs: dict) -> None:
    path.write_text(json.dumps(kwargs), encoding="utf-8")


LOAD_BY_NAME = """
import json, sys
import evaluate
usi = evaluate.load("usi")
print("MODULE", type(usi).__module__)
kwargs = json.load(open(sys.argv[1]))
print("RESULT", json.dumps(usi.compute(**kwargs), sort_keys=True))
"""


def test_register_then_load_by_name_offline_from_any_folder(tmp_path: Path, mini: Path) -> None:
    hf_home, work = tmp_path / "hf", tmp_path / "somewhere" / "else"
    work.mkdir(parents=True)
    env = offline_env(hf_home)
    kwargs = {**evaluate_inputs(mini, "s"), "difficulty": DIFFICULTY}
    write_inputs(tmp_path / "in.json", kwargs)

    before = run_py(LOAD_BY_NAME, work, env, str(tmp_path / "in.json"))
    assert before.returncode != 0 and "Couldn't find a module script" in before.stderr

    reg = subprocess.run([sys.executable, "-m", "usi_metric", "register-evaluate"], cwd=work,
                         env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert reg.returncode == 0, reg.stderr
    installed = cached_module_dir(hf_home / "modules")
    assert f"registered the usi metric for evaluate: {installed}" in reg.stdout
    assert 'evaluate.load("usi")' in reg.stdout

    after = run_py(LOAD_BY_NAME, work, env, str(tmp_path / "in.json"))
    assert after.returncode == 0, after.stderr
    module = re.search(r"^MODULE (.+)$", after.stdout, re.M).group(1)
    assert module.startswith(f"evaluate_modules.metrics.{CACHED_NAME}.")
    got = json.loads(re.search(r"^RESULT (.+)$", after.stdout, re.M).group(1))
    assert got == json.loads(json.dumps(compute_usi(**kwargs)))
    assert not (work / "usi.py").exists() and sorted(work.iterdir()) == []


def test_install_module_layout_and_replacing_an_older_version(tmp_path: Path) -> None:
    cache = tmp_path / "modules"
    stale = cached_module_dir(cache) / ("0" * 64)
    stale.mkdir(parents=True)
    (stale / "usi.py").write_text("# an older version\n", "utf-8")
    target, removed = install_module(cache)
    assert removed == [stale] and not stale.exists()
    assert target.read_bytes() == Path(evaluate_module_path()).read_bytes()
    digest = target.parent.name
    assert len(digest) == 64 and int(digest, 16) >= 0
    for folder in (cache, cache / "evaluate_modules", cache / "evaluate_modules" / "metrics",
                   cached_module_dir(cache), target.parent):
        assert (folder / "__init__.py").is_file(), folder
    again, removed = install_module(cache)  # idempotent
    assert again == target and removed == []


WORKER = """
import json, sys
import evaluate
pid, exp, cache, inputs, script = sys.argv[1:]
pid = int(pid)
data = json.load(open(inputs))
usi = evaluate.load(script, num_process=2, process_id=pid, experiment_id=exp, cache_dir=cache)
mine = list(range(pid, len(data["predictions"]), 2))  # this process's half: every other row
for start in range(0, len(mine), 5):
    rows = mine[start:start + 5]
    usi.add_batch(predictions=[data["predictions"][i] for i in rows],
                  references=[data["references"][i] for i in rows])
print("RESULT", json.dumps(usi.compute(**data["kwargs"]), sort_keys=True))
"""


def test_two_processes_equal_one_process(tmp_path: Path) -> None:
    sim = sorted(load_release(sample_release_dir()).simulators)[-1]
    kwargs = evaluate_inputs(sample_release_dir(), sim)
    preds, refs = kwargs.pop("predictions"), kwargs.pop("references")
    write_inputs(tmp_path / "in.json", {"predictions": preds, "references": refs,
                                        "kwargs": kwargs})
    env = offline_env(tmp_path / "hf")
    exp = uuid.uuid4().hex
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(pid), exp,
                               str(tmp_path / "shared"), str(tmp_path / "in.json"),
                               evaluate_module_path()],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for pid in (0, 1)]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            assert p.returncode == 0, err
            outs.append(json.loads(re.search(r"^RESULT (.+)$", out, re.M).group(1)))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert outs[1] is None  # evaluate: only process 0 computes
    one_process = json.loads(json.dumps(compute_usi(preds, refs, **kwargs)))
    assert outs[0] == one_process
    assert outs[0]["n_tasks"] == len(preds)


def test_space_files_are_the_module_and_card_themselves() -> None:
    # one source: the Space's script and card are symlinks to the packaged ones
    for name in ("usi.py", "README.md"):
        assert (SPACE / name).is_symlink()
        assert (SPACE / name).resolve() == (MODULE_DIR / name).resolve()
        assert (SPACE / name).read_bytes() == (MODULE_DIR / name).read_bytes()
    reqs = [ln.strip() for ln in (SPACE / "requirements.txt").read_text("utf-8").splitlines()]
    assert "evaluate==0.4.6" in reqs  # the rest: tests/test_space_package.py


def test_space_app_does_not_launch_on_import(tmp_path: Path) -> None:
    code = ("import runpy, sys; ns = runpy.run_path(sys.argv[1], run_name='space_app'); "
            "print('MAIN', callable(ns['main']), 'gradio' in sys.modules)")
    proc = run_py(code, tmp_path, offline_env(tmp_path / "hf"), str(SPACE / "app.py"))
    assert proc.returncode == 0, proc.stderr
    assert "MAIN True False" in proc.stdout
    assert not (tmp_path / "hf" / "modules").exists()  # nothing was loaded either


def test_load_the_spaces_script_by_path(tmp_path: Path, mini: Path) -> None:
    code = ("import json, sys, evaluate; usi = evaluate.load(sys.argv[1]); "
            "print('RESULT', json.dumps(usi.compute(**json.load(open(sys.argv[2])))))")
    kwargs = {**evaluate_inputs(mini, "s2"), "difficulty": DIFFICULTY}
    write_inputs(tmp_path / "in.json", kwargs)
    proc = run_py(code, tmp_path, offline_env(tmp_path / "hf"), str(SPACE / "usi.py"),
                  str(tmp_path / "in.json"))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(re.search(r"^RESULT (.+)$", proc.stdout, re.M).group(1))
    assert got == json.loads(json.dumps(compute_usi(**kwargs)))


# ----------------------------------------------------------------------------- the card


CARD = (MODULE_DIR / "README.md").read_text("utf-8")
PAPER = {  # docs/usi.md: the paper's published table
    "Human (inter-ann.)": ["87.4±6.8", "97.9±0.9", "88.0±1.3", "93.5±2.5", "97.4±5.0",
                           "0.069±0.022", "92.9±0.9"],
    "DeepSeek-V3.1 (best)": ["0.122", "76.0"],
    "Gemini-2.0-Flash": ["51.6±1.6", "88.9±1.1", "68.2±2.1", "76.9±3.7", "73.7±0.8",
                         "0.196±0.020", "73.3±0.4"],
    "GPT-5.1": ["47.3±6.9", "77.4±0.6", "73.3±2.0", "88.1±2.6", "72.1±1.5", "0.331±0.030",
                "70.9±0.6"],
    "GPT-5": ["49.7±5.6", "73.7±0.7", "73.2±2.3", "73.4±3.3", "74.5±1.1", "0.210±0.019",
              "70.6±1.2"],
    "GPT-5-mini": ["39.4±5.9", "74.4±0.7", "83.1±2.3", "68.7±1.6", "73.5±0.5", "0.174±0.019",
                   "70.3±0.9"],
    "GPT-4o": ["0.206", "69.3"],
}


def card_section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", CARD, re.M | re.S)
    assert m, f"the card has no section {title!r}"
    return m.group(1)


def test_card_header_and_sections() -> None:
    header = re.match(r"---\n(.*?)\n---\n", CARD, re.S)
    assert header
    yaml = header.group(1)
    for line in ("title: USI", "sdk: gradio", "app_file: app.py", "- evaluate", "- metric"):
        assert re.search(rf"^{re.escape(line)}$", yaml, re.M), line
    assert re.search(r"^emoji: \S", yaml, re.M) and re.search(r"^description: ", yaml, re.M)
    for title in ("Metric Description", "How to Use", "Inputs", "Output Values", "Examples",
                  "Limitations and Bias", "Citation"):
        assert card_section(title).strip(), title
    limits = card_section("Limitations and Bias").lower()
    for word in ("synthetic", "english", "τ-bench", "lexicon"):
        assert word in limits, word
    cite = card_section("Citation")
    assert "@misc{" in cite and "2603.11245" in cite
    assert "Mind the Sim2Real Gap in User Simulation for Agentic Tasks" in cite
    surnames = ["Zhou", "Sun", "Ma", "Xie", "Liu", "Du", "Welleck", "Yang", "Neubig", "Wu",
                "Sap"]
    author = re.search(r"author\s*=\s*\{(.*?)\},", cite, re.S).group(1)
    assert [a.strip() for a in author.split(" and ")] == surnames


def test_card_shows_the_papers_table_as_the_papers() -> None:
    values = card_section("Output Values")
    assert "paper's published numbers" in values
    for name, cells in PAPER.items():
        line = next(ln for ln in values.splitlines() if ln.startswith(f"| {name} |"))
        assert [c.strip() for c in line.strip("|").split("|")[1:] if c.strip()] == cells, name


# The card's examples in one fresh process (evaluate's import is most of the time), each in
# its own namespace as a script of its own, its printed output kept apart.
RUN_BLOCKS = """
import contextlib, io, json, sys
outputs = []
for code in json.load(open(sys.argv[1])):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<card example>", "exec"), {"__name__": "__main__"})
    outputs.append(out.getvalue())
print("OUTPUTS", json.dumps(outputs))
"""


def test_card_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", card_section("Examples"), re.S)
    assert len(blocks) == 3
    (tmp_path / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
    proc = run_py(RUN_BLOCKS, tmp_path, offline_env(tmp_path / "hf"),
                  str(tmp_path / "blocks.json"))
    assert proc.returncode == 0, proc.stderr
    outputs = json.loads(re.search(r"^OUTPUTS (.+)$", proc.stdout, re.M).group(1))
    assert len(outputs) == 3
    assert outputs[0].strip() == "90.0 0.5 100.0"  # worked out by hand in the card
    assert "'usi'" in outputs[1] and "'human_usi'" in outputs[1]
    assert re.fullmatch(r"\d+\.\d \d+\n", outputs[2])


def test_evaluate_sees_the_scripts_library_imports() -> None:
    from evaluate.loading import get_imports

    imports = get_imports(str(MODULE_DIR / "usi.py"))
    found = {name for kind, name, _, _ in imports if kind == "library"}
    assert found == {"evaluate", "usi_metric"}
