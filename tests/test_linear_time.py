"""Regexes that meet user text run in linear time: crafted inputs that take exponential time
under a nested quantifier finish here. Each runs in a child process with a generous timeout,
a hang guard (the old Space pattern took 2.4 s on 36 slashes and doubles per two more; these
inputs hold thousands), not a speed assert."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "hub_cards" / "space" / "app.py"
HANG_GUARD_S = 120

LOAD_APP = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("usi_space_app", {str(APP)!r})
app = importlib.util.module_from_spec(spec); sys.modules[spec.name] = app
spec.loader.exec_module(app)
"""

CRAFTED = ["//" * 3000, "//" * 3000 + ":", "/a" * 3000 + "/", "a/" * 3000 + " x",
           "/" + "x/" * 2000 + "//:", ("//" * 50 + " ") * 40]


def run_child(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=HANG_GUARD_S, check=False)
    assert proc.returncode == 0, proc.stderr[-1500:]
    return proc.stdout


@pytest.mark.parametrize("text", CRAFTED, ids=[f"crafted{i}" for i in range(len(CRAFTED))])
def test_the_spaces_message_shortening_finishes_on_crafted_text(text: str) -> None:
    out = run_child(LOAD_APP + f"print(len(app._short({text!r})))")
    assert int(out) > 0


def test_short_keeps_the_file_name_of_a_path_and_leaves_ids_alone() -> None:
    code = LOAD_APP + ("print(app._short('/tmp/gradio/0a1b/my runs.json: id x//y: "
                       "field reward /var/x/survey.json'))")
    assert run_child(code).strip() == "my runs.json: id x//y: field reward survey.json"


def test_an_upload_whose_id_is_all_slashes_is_answered(tmp_path: Path) -> None:
    """The 183-byte upload of the report: an id of many ``/`` and a bad reward. The page
    must answer with its one-line error (the old pattern froze the app on it)."""
    runs = tmp_path / "runs.json"
    bad_id = "/" * 150
    runs.write_text(json.dumps({bad_id: {"conversation": [], "reward": "x"}}), "utf-8")
    assert runs.stat().st_size < 200
    code = LOAD_APP + f"r = app.score_upload({str(runs)!r}); print(r.ok); print(r.message)"
    ok, message = run_child(code).split("\n", 1)
    assert ok == "False" and "reward" in message
