"""Printing leaderboard rows: a rich table like the paper's, CSV, or stable JSON.

>>> from usi_metric.aggregation import MeanStd
>>> fmt_cell(MeanStd(73.28, 0.41), "usi"), fmt_cell(MeanStd(0.1964, 0.02), "ece")
('73.3±0.4', '0.196±0.020')
>>> fmt_cell(None, "usi")
'—'
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from typing import Any

from usi_metric.aggregation import MeanStd
from usi_metric.report.escape import for_csv, for_terminal
from usi_metric.report.wording import fmt_num, fmt_share, survey_table_rows
from usi_metric.runtime.output import stdout_console
from usi_metric.samples import SYNTHETIC_NOTE
from usi_metric.scoring import CELL_KEYS, ScoreRow, rows_json

HEADERS = {"D1_conv": "D1 conv", "D2_info": "D2 info", "D3_clarif": "D3 clarif",
           "D4_react": "D4 react", "eval_agree": "Eval", "ece": "ECE", "usi": "USI"}


def fmt_cell(cell: MeanStd | None, key: str) -> str:
    """``mean±std`` with one decimal (ECE: three); an em dash when there is no value."""
    if cell is None:
        return "—"
    if key == "ece":
        return f"{cell.mean:.3f}±{cell.std:.3f}"
    return f"{cell.mean:.1f}±{cell.std:.1f}"


def fmt_interval(ci: tuple[float, float] | None, key: str) -> str:
    """A bootstrap interval ``[low, high]`` with the cell's decimals; ``[—]`` when none.

    >>> fmt_interval((72.06, 74.55), "usi"), fmt_interval(None, "ece")
    ('[72.1, 74.5]', '[—]')
    """
    if ci is None:
        return "[—]"
    spec = ".3f" if key == "ece" else ".1f"
    return f"[{ci[0]:{spec}}, {ci[1]:{spec}}]"


def rows_csv(rows: Sequence[ScoreRow]) -> str:
    """CSV with ``name`` and ``<cell>_mean`` / ``<cell>_std`` columns; empty when no value.
    Rows with intervals add ``<cell>_ci_low`` / ``<cell>_ci_high`` columns at the end."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    with_ci = any(r.ci is not None for r in rows)
    head = ["name"] + [f"{k}_{p}" for k in CELL_KEYS for p in ("mean", "std")]
    if with_ci:
        head += [f"{k}_ci_{p}" for k in CELL_KEYS for p in ("low", "high")]
    w.writerow(head)
    for r in rows:
        line: list[str] = [r.name]
        for k in CELL_KEYS:
            c = r.cells.get(k)
            line += ["", ""] if c is None else [repr(c.mean), repr(c.std)]
        if with_ci:
            for k in CELL_KEYS:
                ci = None if r.ci is None or r.cells.get(k) is None else r.ci.get(k)
                line += ["", ""] if ci is None else [repr(ci[0]), repr(ci[1])]
        line[0] = for_csv(line[0])
        w.writerow(line)
    return buf.getvalue()


def _table_cell(r: ScoreRow, key: str) -> str:
    """``mean±std``, and under it the interval when the row carries intervals."""
    text = fmt_cell(r.cells.get(key), key)
    if r.ci is None or r.cells.get(key) is None:
        return text
    return f"{text}\n{fmt_interval(r.ci.get(key), key)}"


def print_rows(rows: Sequence[ScoreRow], fmt: str, title: str, caption: str = "",
               extra: dict[str, Any] | None = None, notes: Sequence[str] = ()) -> None:
    """Print rows to stdout as ``table`` (rich), ``json`` or ``csv``.

    ``extra``: top-level keys added to the JSON (e.g. the yardstick); ``notes``: lines said
    under the table (on stderr for CSV, whose stdout stays a plain CSV).
    """
    if fmt == "json":
        print(rows_json(rows, extra))
        return
    if fmt == "csv":
        print(rows_csv(rows), end="")
        for note in notes:
            print(for_terminal(note), file=sys.stderr)
        return
    from rich.table import Table

    table = Table(title=plain(title, "table.title"),
                  caption=plain(caption, "table.caption") if caption else None,
                  title_justify="left")
    table.add_column("simulator", style="bold")
    for k in CELL_KEYS:
        table.add_column(HEADERS[k], justify="right")
    for r in rows:
        style = "italic" if r.kind == "human" else None
        table.add_row(plain(r.name, one_line=True),
                      *(plain(_table_cell(r, k)) for k in CELL_KEYS),
                      style=style)
    console = stdout_console(150 if any(r.ci is not None for r in rows) else 110)
    console.print(table)
    for note in notes:
        console.print(plain(note, one_line=True), highlight=False)


def plain(text: str, style: str = "", one_line: bool = False) -> Any:
    r"""User text (names, paths, labels) as a rich ``Text``: shown as written, never read as
    markup, so "[/]", "exp[v2]" or a trailing backslash print as they are; control
    characters (an escape sequence in a file name) as their escapes
    (``report.escape.for_terminal``), line breaks kept unless ``one_line``.

    >>> plain("x[old]").plain, plain("a\x1b[2Jb\nc").plain, plain("a\nb", one_line=True).plain
    ('x[old]', 'a\\x1b[2Jb\nc', 'a\\nb')
    """
    from rich.text import Text

    lines = [text] if one_line else text.split("\n")
    return Text("\n".join(for_terminal(line) for line in lines), style=style)


def print_gap_table(gap: dict[str, Any]) -> None:
    """Print the evaluative gap as rich tables on stdout."""
    from rich.table import Table

    console = stdout_console(100)
    if gap["synthetic"]:
        console.print(SYNTHETIC_NOTE, style="bold")
    t = Table(title="Success inflation (reward > 0), on the tasks both have sessions of",
              title_justify="left")
    for c in ("simulator", "tasks", "with simulator %", "with humans %", "inflation pp",
              "sessions"):
        t.add_column(c, justify="left" if c == "simulator" else "right")
    for s in gap["simulators"]:
        su = s["success"]["shared"]
        t.add_row(plain(s["name"], one_line=True), f"{su['n_tasks']} / {su['n_tasks_human']}",
                  fmt_num(su["simulator"]["success_pct"], ".1f"),
                  fmt_num(su["human"]["success_pct"], ".1f"), fmt_num(su["inflation_pp"], "+.1f"),
                  f"{su['simulator']['n_sessions']} / {su['human']['n_sessions']}")
    console.print(t)
    console.print("tasks: shared / the humans'. The JSON also gives the rates over every "
                  "session of both sides (success.simulator, success.human, "
                  "success.inflation_pp).", highlight=False)
    for s in gap["simulators"]:
        if s["survey"] is None:
            continue
        t = Table(title=plain(f"Survey: {s['name']} vs humans "
                              f"({s['survey']['n_covered']} sessions)", "table.title"),
                  title_justify="left")
        for c in ("field", "sim mean", "human mean", "over-est. % of scale", "n sim / human"):
            t.add_column(c, justify="left" if c == "field" else "right")
        for r in survey_table_rows(s["survey"]["fields"]):
            t.add_row(*r)
        console.print(t)
    rj = gap["reward_vs_judgement"]
    console.print("Reward 0 but judged successful by the human: " + fmt_share(
        rj["reward0_judged_success"], rj["n_reward0_judged_success"], rj["n_reward0"]))
    console.print("Reward 1 but judged unsuccessful by the human: " + fmt_share(
        rj["reward1_judged_failure"], rj["n_reward1_judged_failure"], rj["n_reward1"]))
    console.print(f"({rj['n_without_answer']} kept human sessions without a valid "
                  "task_success answer left out)")
