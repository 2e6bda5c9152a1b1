"""``usi`` starts light: building the parser imports neither numpy nor the featurizer, and the
package's public names still import on first use (PEP 562)."""

from __future__ import annotations

import json

from pyrun import run_python

HEAVY = ("numpy", "usi_metric.features.extract", "usi_metric.io.sessions", "rich",
         "usi_metric.scoring", "usi_metric.hf.evaluate_metric", "datasets", "evaluate")


def loaded_after(code: str) -> list[str]:
    """The HEAVY modules loaded once ``code`` has run in a fresh interpreter."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    return json.loads(run_python(probe).stdout.decode().splitlines()[-1])


def test_the_parser_builds_without_numpy() -> None:
    assert loaded_after("import usi_metric.cli\nusi_metric.cli.build_parser()") == []


def test_usi_version_and_help_run_without_numpy() -> None:
    code = ("from usi_metric.cli import main\n"
            "for argv in (['--version'], ['score', '--help'], ['dataset', 'build', '--help']):\n"
            "    try:\n"
            "        main(argv)\n"
            "    except SystemExit as exc:\n"
            "        assert exc.code == 0, exc.code\n")
    assert loaded_after(code) == []


def test_a_command_imports_what_it_needs_when_it_runs() -> None:
    # the probe itself can fail: a command that scores does load numpy
    code = ("from usi_metric.cli import main\n"
            "from usi_metric.samples import sample_release_dir\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['leaderboard', '--data-dir', str(sample_release_dir()),\n"
            "                 '--format', 'json']) == 0\n")
    assert "numpy" in loaded_after(code)


def test_public_names_import_on_first_use() -> None:
    code = ("import sys, usi_metric\n"
            "assert 'numpy' not in sys.modules\n"
            "from usi_metric import COLUMNS, UsiError, leaderboard, load_release\n"
            "from usi_metric.io import HUMAN_FILE, Session, ids\n"
            "from usi_metric.features import featurize\n"
            "assert callable(leaderboard) and callable(load_release) and len(COLUMNS) == 20\n"
            "assert HUMAN_FILE == 'tau_bench_tasks_unified.json' and callable(ids.task_key)\n"
            "assert set(usi_metric.__all__) <= set(dir(usi_metric))\n"
            "for name in usi_metric.__all__:\n"
            "    getattr(usi_metric, name)\n"
            "try:\n"
            "    usi_metric.no_such_name\n"
            "except AttributeError as exc:\n"
            "    assert 'no_such_name' in str(exc)\n"
            "else:\n"
            "    raise AssertionError('an unknown name must be an AttributeError')\n")
    assert "numpy" in loaded_after(code)
