"""Regexes that meet user text run in linear time: crafted inputs that take exponential time
under a nested quantifier finish here. Each runs in a child process with a generous timeout,
a hang guard (the old Space pattern took 2.4 s on 36 slashes and doubles per two more; these
inputs hold thousands), not a speed assert."""

from __future__ import annotations

import json
import random
import re
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


# A judge's reply read for its fenced JSON block: one fence and then much white space made
# the old ``re.findall(r"```(?:json)?\s*(.*?)```", re.S | re.I)`` backtrack quadratically
# (20,000 spaces: about 5 s; these hold 400,000, hours for it).
FENCES = ['"```" + " " * 400_000', '"```json" + "\\n" * 400_000 + "{"',
          '"``` \\t" * 100_000', '"```" + " " * 200_000 + "```" + "\\n" * 200_000']


@pytest.mark.parametrize("reply", FENCES, ids=[f"fence{i}" for i in range(len(FENCES))])
def test_a_judges_reply_with_open_fences_and_white_space_is_read(reply: str) -> None:
    """``reply``: the expression that builds the reply in the child (too long for argv)."""
    code = ("from usi_metric.judge.prompt import parse_answers, fenced_blocks\n"
            f"r = {reply}\n"
            "print(parse_answers(r), len(fenced_blocks(r)), r.count('```') // 2)")
    answers, found, pairs = run_child(code).split()
    assert answers == "None" and found == pairs


OLD_FENCED = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def test_fenced_blocks_are_the_old_patterns_blocks_on_small_replies() -> None:
    """The linear reader finds what the old pattern found (up to white space at the ends,
    which the caller strips), on replies built from fences, tags, braces and spaces."""
    from usi_metric.judge.prompt import fenced_blocks

    rng = random.Random(19)
    parts = ["```", "`", "json", "JSON", "Json", " ", "\n", "{", "}", '"a"', ":", "x"]
    for _ in range(3000):
        reply = "".join(rng.choice(parts) for _ in range(rng.randint(0, 14)))
        old = [m.strip() for m in OLD_FENCED.findall(reply)]
        assert [b.strip() for b in fenced_blocks(reply)] == old, repr(reply)
