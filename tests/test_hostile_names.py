"""Hostile round 2, injection through names: a simulator's file name carrying a terminal
escape sequence, raw HTML, a ``javascript:`` link, a table pipe, a line break or a formula
reaches no medium live (``usi_metric.report.escape``, one helper per medium)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from hostile import mini_release, one_line_error, usi

ESC = "\x1b"
# retitles a terminal (OSC 0), then turns the screen red (CSI 31m)
TERMINAL = f"t{ESC}]0;PWNED\x07{ESC}[31m"
HTML = "<img src=x onerror=alert(1)>"
LINK = "[click](javascript:alert(1))"
HOSTILE = f"{TERMINAL}|{HTML}{LINK}\nnext"
FORMULA = "=HYPERLINK(1)"


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = mini_release(tmp_path_factory.mktemp("names"))
    ev, sv = root / "eval_results", root / "survey_data"
    os.rename(ev / "eval_results_s.json", ev / f"eval_results_{HOSTILE}.json")
    os.rename(sv / "survey_comparable_s.json", sv / f"survey_comparable_{HOSTILE}.json")
    os.rename(ev / "eval_results_s2.json", ev / f"eval_results_{FORMULA}.json")
    return root


def no_raw_controls(text: str) -> None:
    assert ESC not in text and "\x07" not in text, repr(text)


def test_the_table_shows_escapes_not_raw_sequences(named: Path) -> None:
    for command in ("leaderboard", "gap"):
        proc = usi(command, "--data-dir", str(named))
        assert proc.returncode == 0, proc.stderr
        no_raw_controls(proc.stdout)
        assert "t\\x1b]0;PWNED\\x07\\x1b[31m|" in proc.stdout
        assert "\\nnext" in proc.stdout  # the name's line break as its escape, one row


def test_an_error_naming_the_file_shows_escapes(named: Path, tmp_path: Path) -> None:
    bad = tmp_path / f"runs{TERMINAL}.json"
    bad.write_text("{", "utf-8")
    err = one_line_error(usi("score", "--data-dir", str(named), str(bad)), "runs")
    no_raw_controls(err)
    assert "runs t\\x1b]0;PWNED".replace(" ", "") in err


def test_the_markdown_report_carries_no_live_markup(named: Path, tmp_path: Path) -> None:
    proc = usi("report", "--data-dir", str(named), "--out", str(tmp_path / "rep"))
    assert proc.returncode == 0, proc.stderr
    no_raw_controls(proc.stdout)
    no_raw_controls(proc.stderr)  # no warning of a plotting library carries the name raw
    md = (tmp_path / "rep" / "report.md").read_text("utf-8")
    no_raw_controls(md)
    assert "<img" not in md and not re.search(r"[^\\]\]\(javascript:", md)
    assert "&lt;img src=x onerror=alert(1)&gt;\\[click\\](javascript:alert(1))" in md
    for table in md.split("\n\n"):
        lines = table.splitlines()
        if not lines or not lines[0].startswith("| "):
            continue
        cells = [len(ln.replace("\\|", "").split("|")) for ln in lines]
        assert len(set(cells)) == 1, table  # every row as wide as the head: no cell split
        assert all(ln.startswith("|") and ln.endswith("|") for ln in lines), table
    html = (tmp_path / "rep" / "report.html").read_text("utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_csv_name_cells_are_never_formulas(named: Path) -> None:
    proc = usi("leaderboard", "--data-dir", str(named), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    names = [row[0] for row in csv.reader(io.StringIO(proc.stdout))][1:]
    assert f"'{FORMULA}" in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names), names
    # JSON keeps the name exactly (no spreadsheet reads it)
    rows = json.loads(usi("leaderboard", "--data-dir", str(named), "--format",
                          "json").stdout)["rows"]
    assert {r["name"] for r in rows} >= {FORMULA, HOSTILE}


def _runs_with(tmp_path: Path, name: str, change: dict) -> Path:
    """The mini release's runs with the first record changed, saved as ``name``."""
    from minirelease import RUNS

    runs = json.loads(json.dumps(RUNS))
    runs["results"][0].update(change)
    path = tmp_path / name
    path.write_text(json.dumps(runs), "utf-8")
    return path


def test_a_usage_error_shows_escapes(named: Path) -> None:
    err = one_line_error(usi("leaderboard", "--data-dir", str(named), "--format", TERMINAL),
                         "--format")
    no_raw_controls(err)
    assert "t\\x1b]0;PWNED\\x07" in err


def test_an_id_in_an_error_shows_escapes(named: Path, tmp_path: Path) -> None:
    bad = _runs_with(tmp_path, "runs.json", {"instance_id": f"airline_0{TERMINAL}",
                                             "reward": "x"})
    err = one_line_error(usi("score", "--data-dir", str(named), str(bad)),
                         "runs.json", "airline_0t\\x1b]0;PWNED", "reward")
    no_raw_controls(err)


def test_compare_and_features_show_escapes(named: Path, tmp_path: Path) -> None:
    proc = usi("compare", "--data-dir", str(named), HOSTILE, FORMULA, "--resamples", "50",
               "--permutations", "50")
    assert proc.returncode == 0, proc.stderr
    no_raw_controls(proc.stdout + proc.stderr)
    assert "t\\x1b]0;PWNED\\x07" in proc.stdout
    # an id that would be a formula in a spreadsheet: its CSV cell starts with an apostrophe
    runs = _runs_with(tmp_path, "f.json", {"instance_id": "=1+1", "reward": 1.0})
    proc = usi("features", str(runs), "--format", "csv")
    cells = [c for row in csv.reader(io.StringIO(proc.stdout)) for c in row]
    assert proc.returncode == 0 and "'=1+1" in cells, (proc.stdout, proc.stderr)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_score_csv_of_a_file_named_like_a_formula(named: Path, tmp_path: Path) -> None:
    runs = _runs_with(tmp_path, "@SUM(A1).json", {})
    proc = usi("score", "--data-dir", str(named), str(runs), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    names = [row[0] for row in csv.reader(io.StringIO(proc.stdout))][1:]
    assert "'@SUM(A1)" in names, names


def test_the_space_shows_hostile_names_inert(named: Path, tmp_path: Path) -> None:
    from test_space_browser import load_app

    app = load_app()
    view = app.leaderboard_view(named)
    shown = view.note + "".join(c for row in view.rows for c in row)
    no_raw_controls(shown)
    assert any("t\\x1b]0;PWNED\\x07" in row[0] for row in view.rows), view.rows
    runs = _runs_with(tmp_path, "x.json", {})
    res = app.score_upload(str(runs), label=HOSTILE, path=named)
    assert res.ok, res.message
    no_raw_controls(res.message + "".join(c for row in res.rows for c in row))
    assert "<img" not in res.message and "&lt;img src=x onerror=alert(1)&gt;" in res.message
    hostile_file = _runs_with(tmp_path, f"{TERMINAL}{HTML}.json", {"reward": "x"})
    err = app.score_upload(str(hostile_file), path=named)
    assert not err.ok and "<img" not in err.message
    no_raw_controls(err.message)


# ----------------------------------------------------------------------------- the human row
HUMAN_ROW = "Human (inter-ann.)"  # written out: the test does not import the label


@pytest.fixture(scope="module")
def human_named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini release whose simulator ``s2`` is a file named like the human row."""
    root = mini_release(tmp_path_factory.mktemp("humanrow"))
    ev = root / "eval_results"
    os.rename(ev / "eval_results_s2.json", ev / f"eval_results_{HUMAN_ROW}.json")
    return root


def test_a_simulator_named_like_the_human_row_is_left_out_in_one_line(human_named: Path
                                                                       ) -> None:
    bad = str(human_named / "eval_results" / f"eval_results_{HUMAN_ROW}.json")
    for fmt in ("table", "csv", "json"):
        proc = usi("leaderboard", "--data-dir", str(human_named), "--format", fmt)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("usi: error:")]
        assert len(errors) == 1, proc.stderr  # (CSV's notes are on stderr too)
        assert bad in errors[0] and "human row" in errors[0], errors
        assert "rename the file" in errors[0] and "left out of the table" in errors[0]
        if fmt == "json":
            names = [r["name"] for r in json.loads(proc.stdout)["rows"]]
        elif fmt == "csv":
            names = [row[0] for row in csv.reader(io.StringIO(proc.stdout))][1:]
        else:
            names = [ln.split("│")[1].strip() for ln in proc.stdout.splitlines()
                     if ln.count("│") > 2]  # the body's rows (the head's bars are ┃)
        assert names == [HUMAN_ROW, "s"], names  # the human row once, the other simulator


@pytest.mark.parametrize("label", [HUMAN_ROW, " human (INTER-ANN.) ", "Human\u200b (inter-ann.)",
                                   "Ｈuman (inter-ann.)",
                                   "\u041duman (inter-ann.)",  # a Cyrillic capital En
                                   "Hum\u0430n (in\u03c4er\u2011ann.)"])  # Cyrillic a, Greek tau
def test_score_refuses_a_label_that_reads_as_the_human_row(human_named: Path, tmp_path: Path,
                                                            label: str) -> None:
    runs = _runs_with(tmp_path, "runs.json", {})
    one_line_error(usi("score", "--data-dir", str(human_named), str(runs), "--label", label),
                   "runs.json", "human row")
    named = _runs_with(tmp_path, f"{label}.json", {})  # the name from the file name
    one_line_error(usi("score", "--data-dir", str(human_named), str(named)), "human row")
    ok = usi("score", "--data-dir", str(human_named), str(named), "--label", "Human-like sim")
    assert ok.returncode == 0 and "Human-like sim" in ok.stdout, ok.stderr


def test_report_and_the_space_never_show_two_human_rows(human_named: Path,
                                                        tmp_path: Path) -> None:
    one_line_error(usi("report", "--data-dir", str(human_named), "--out",
                       str(tmp_path / "rep")), "human row")
    assert not (tmp_path / "rep").exists()
    from test_space_browser import load_app

    app = load_app()
    view = app.leaderboard_view(human_named)
    assert [row[0] for row in view.rows] == [HUMAN_ROW, "s"], view.rows
    assert "Left out of the table" in view.note and "human row" in view.note
    res = app.score_upload(str(_runs_with(tmp_path, "x.json", {})), label=HUMAN_ROW,
                           path=human_named)
    assert not res.ok and "human row" in res.message


def test_bidirectional_controls_in_a_name_are_shown_as_escapes(tmp_path: Path) -> None:
    """A right-to-left override reorders the rest of the line ("Trojan Source"): shown as
    its escape on the terminal, in Markdown and on the Space's page."""
    from test_space_browser import load_app

    from usi_metric.report.escape import for_markdown

    root = mini_release(tmp_path)
    ev = root / "eval_results"
    os.rename(ev / "eval_results_s2.json", ev / "eval_results_evil\u202e1.0 ± 0.0.json")
    proc = usi("leaderboard", "--data-dir", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "\u202e" not in proc.stdout and "evil\\u202e1.0 ± 0.0" in proc.stdout
    assert for_markdown("evil\u202ex") == "evil\\\\u202ex"
    view = load_app().leaderboard_view(root)
    assert "evil\\u202e1.0 ± 0.0" in [row[0] for row in view.rows], view.rows


WARN_PRELUDE = """
import warnings
from usi_metric.errors import UsiWarning
import usi_metric.report.render as _r
_real = _r.print_rows
def _patched(*a, **k):
    warnings.warn("ours: t\\x1b]0;PWNED\\x07", UsiWarning)
    warnings.warn("theirs: t\\x1b]0;PWNED\\x07", UserWarning)
    return _real(*a, **k)
_r.print_rows = _patched
"""


def test_every_warning_of_a_command_reaches_the_terminal_inert(named: Path) -> None:
    """Warnings raised anywhere in a command (ours, another library's) carry no raw escape
    sequence; ours are one ``usi: warning:`` line."""
    proc = usi("leaderboard", "--data-dir", str(named), prelude=WARN_PRELUDE)
    assert proc.returncode == 0, proc.stderr
    no_raw_controls(proc.stderr)
    lines = proc.stderr.splitlines()
    assert "usi: warning: ours: t\\x1b]0;PWNED\\x07" in lines, lines
    assert any("UserWarning: theirs: t\\x1b]0;PWNED\\x07" in ln for ln in lines), lines


def test_the_dataset_cards_simulator_table_keeps_names_inert() -> None:
    from dataset_builder.card import Counts, simulator_table

    names = [HOSTILE, "a`b|c", "plain", FORMULA]
    table = simulator_table(Counts(per_simulator={n: {1: 2} for n in names},
                                   per_judge={HOSTILE: 3}))
    no_raw_controls(table)
    assert "<img" not in table and not re.search(r"[^\\]\]\(javascript:", table)
    lines = table.splitlines()
    assert len(lines) == 2 + len(names), table  # one row per name: no line break got in
    assert len({len(ln.replace("\\|", "").split("|")) for ln in lines}) == 1, table
    assert "| `plain` |" in table



def test_notes_under_the_table_keep_a_name_on_one_line(named: Path, tmp_path: Path) -> None:
    """A name in a note under the table (here: no survey file) is escaped like the row."""
    import shutil

    root = tmp_path / "rel"
    shutil.copytree(named, root)
    (root / "survey_data" / f"survey_comparable_{HOSTILE}.json").unlink()
    proc = usi("leaderboard", "--data-dir", str(root))
    assert proc.returncode == 0, proc.stderr
    below = proc.stdout.split("\u2518")[-1]  # after the table's last corner
    assert "\\nnext" in below, below  # the note names the simulator, its break escaped
    assert not [ln for ln in below.splitlines() if ln.startswith("next")], below
