"""``usi report``: a Markdown + HTML report with pictures of where a simulator is not human.

The report holds (1) the leaderboard with the human ceiling, (2) a radar of the six USI terms,
(3) the evaluative gap of USI_SPEC.md §9 (:mod:`usi_metric.report.gap`), (4) the per-feature
behaviour diagnosis in words and bars, and (5) outcome calibration per difficulty bin.

Scores are those of ``usi leaderboard`` on the same folder: the difficulty is pooled over all
simulators of the release even when ``simulators`` selects only some of them to show.

>>> import tempfile
>>> from usi_metric.samples import sample_release_dir
>>> out = write_report(sample_release_dir(), tempfile.mkdtemp())
>>> out.markdown.name, sorted(p.name for p in out.files)[:2]
('report.md', ['calibration.png', 'features_01.png'])
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from usi_metric.aggregation import dice_similarity
from usi_metric.aggregation.ece import N_BINS, bin_index
from usi_metric.errors import UsiError
from usi_metric.features import COLUMNS, FEATURE_NAMES, PERCENT_COLUMNS
from usi_metric.io import Release, Session, SessionSet, load_release
from usi_metric.report import plots
from usi_metric.report.gap import SURVEY_FIELDS, evaluative_gap, is_synthetic
from usi_metric.report.render import HEADERS, fmt_cell
from usi_metric.scoring import CELL_KEYS, Difficulty, ScoreRow, leaderboard, resolve_difficulty

MAX_RADAR = 12  # small multiples shown; the rest are in the tables
MAX_CALIBRATION = 7  # one Okabe–Ito colour each

SYNTHETIC_NOTE = ("SYNTHETIC DATA: this release is the bundled synthetic sample, made-up "
                  "sessions for trying the tools. None of these numbers are the paper's.")

# How to say each feature in words: "{v}" is the value with its unit.
FEATURE_PHRASES: dict[str, str] = {
    "politeness_rate": "polite in {v} of turns",
    "short_msg_rate": "short (≤ 3 words) in {v} of turns",
    "formality_rate": "uses an em/en dash in {v} of turns",
    "ack_only_rate": "only acknowledges (\"ok\", \"thanks\") in {v} of turns",
    "verbosity_cv": "varies its turn length with a CV of {v}",
    "repeat_rate": "repeats a phrase more than 10 times in {v} of sessions",
    "id_confuse_rate": "talks like the agent in {v} of sessions",
    "info_frontload": "puts {v} of its words in the first two turns",
    "id_density": "uses {v} identifier-like tokens per turn",
    "user_words_per_turn": "writes {v} words per turn",
    "opening_words": "opens with {v} words",
    "uncertainty_rate": "sounds unsure in {v} of turns",
    "certainty_rate": "sounds certain in {v} of turns",
    "pushback_q_rate": "pushes back with a question in {v} of turns",
    "clarify_q_rate": "asks for clarification in {v} of turns",
    "info_q_rate": "asks for information in {v} of turns",
    "emotion_rate": "shows emotion in {v} of turns",
    "accusation_rate": "blames the agent in {v} of turns",
    "pivot_rate": "changes course in {v} of turns",
}
FEATURE_LABELS: dict[str, str] = {
    "politeness_rate": "politeness", "short_msg_rate": "short messages",
    "formality_rate": "dashes (formality)", "ack_only_rate": "acknowledgement only",
    "verbosity_cv": "turn-length variation (CV)", "repeat_rate": "repetition",
    "id_confuse_rate": "talks like the agent", "info_frontload": "info up front",
    "id_density": "identifiers per turn", "user_words_per_turn": "words per turn",
    "opening_words": "opening words", "uncertainty_rate": "uncertainty",
    "certainty_rate": "certainty", "pushback_q_rate": "push-back questions",
    "clarify_q_rate": "clarifying questions", "info_q_rate": "info questions",
    "emotion_rate": "emotion", "accusation_rate": "accusation", "pivot_rate": "pivots",
}
FIELD_LABELS: dict[str, str] = {
    "task_success": "task success", "efficiency": "efficiency",
    "question_amount_preference": "amount of questions", "answer_effort_time": "answer effort",
    "human_like": "human-likeness", "interaction_flow": "interaction flow",
    "overall_score": "overall score", "reuse": "would reuse",
}


# ----------------------------------------------------------------------------- numbers


def fmt_feature(feature: str, value: float) -> str:
    """A row value with its unit: percent features as ``49%``, others as numbers.

    >>> fmt_feature("politeness_rate", 49.04), fmt_feature("politeness_rate", 1.04)
    ('49%', '1.0%')
    >>> fmt_feature("user_words_per_turn", 11.04), fmt_feature("verbosity_cv", 0.5)
    ('11.0', '0.50')
    """
    if feature in PERCENT_COLUMNS:
        return f"{value:.0f}%" if abs(value) >= 10 else f"{value:.1f}%"
    if feature == "verbosity_cv":
        return f"{value:.2f}"
    return f"{value:.1f}"


def ratio_words(sim: float, human: float) -> str:
    """The simulator's value relative to the humans', in words.

    >>> ratio_words(49.0, 15.3), ratio_words(1.0, 29.0), ratio_words(0, 0), ratio_words(3, 0)
    ('3.2×', '0.03× (29.0× less)', 'the same', 'humans: never')
    """
    if human == 0:
        return "the same" if sim == 0 else "humans: never"
    r = sim / human
    if r >= 1:
        return f"{r:.1f}×"
    if r == 0:
        return "0× (never)"
    return f"{r:.2f}× ({1 / r:.1f}× less)"


@dataclass(frozen=True)
class FeatureDiff:
    """One feature of a simulator against the humans (rows averaged over batches)."""

    feature: str
    human: float
    sim: float
    similarity: float  # the metric's own Sørensen–Dice similarity, 0..1

    @property
    def sentence(self) -> str:
        """E.g. ``polite in 49% of turns vs 15% for humans: 3.2×``."""
        phrase = FEATURE_PHRASES[self.feature].format(v=fmt_feature(self.feature, self.sim))
        return (f"{phrase} vs {fmt_feature(self.feature, self.human)} for humans: "
                f"{ratio_words(self.sim, self.human)}")


def mean_batch_rows(row: ScoreRow) -> tuple[np.ndarray, np.ndarray] | None:
    """(human row, simulator row) averaged over the batches that have rows, or None."""
    pairs = [(b.human_row, b.sim_row) for b in row.batches
             if b.human_row is not None and b.sim_row is not None]
    if not pairs:
        return None
    return (np.mean([p[0] for p in pairs], axis=0), np.mean([p[1] for p in pairs], axis=0))


def feature_diagnosis(human_row: np.ndarray, sim_row: np.ndarray) -> list[FeatureDiff]:
    """The 19 features, least similar (by the metric's Dice) first; ties in feature order.

    >>> h = np.zeros(len(COLUMNS)); s = np.zeros(len(COLUMNS)); h[0], s[0] = 15.0, 49.0
    >>> d = feature_diagnosis(h, s)[0]
    >>> d.feature, d.sentence
    ('politeness_rate', 'polite in 49% of turns vs 15% for humans: 3.3×')
    """
    out = []
    for f in FEATURE_NAMES:
        i = COLUMNS.index(f)
        h, s = float(human_row[i]), float(sim_row[i])
        out.append(FeatureDiff(f, h, s, float(dice_similarity(h, s))))
    order = sorted(range(len(out)), key=lambda k: (out[k].similarity, k))
    return [out[k] for k in order]


@dataclass(frozen=True)
class BinRates:
    """Success % per difficulty bin (None for an empty bin) and the session counts."""

    pct: tuple[float | None, ...]
    n: tuple[int, ...]


def success_by_bin(sessions: Sequence[Session], difficulty: dict[str, float]) -> BinRates:
    """Success (``reward > 0``) % per difficulty bin over sessions whose task has a difficulty.

    >>> from usi_metric.io import Session
    >>> mk = lambda t, r: Session(t, t, t, "1", 1, r, True, (), {})
    >>> success_by_bin([mk("a", 1.0), mk("b", 0.0)], {"a": 0.1, "b": 0.15}).pct[0]
    50.0
    """
    n = [0] * N_BINS
    k = [0] * N_BINS
    for s in sessions:
        d = difficulty.get(s.task_key)
        if d is None:
            continue
        b = bin_index(d)
        n[b] += 1
        k[b] += s.success
    return BinRates(tuple(100.0 * k[b] / n[b] if n[b] else None for b in range(N_BINS)),
                    tuple(n))


def human_bins(humans: SessionSet, difficulty: Difficulty) -> BinRates:
    """Kept human sessions of all three batches."""
    return success_by_bin([s for s in humans.sessions if s.kept], difficulty.values)


def simulator_bins(sim: SessionSet, difficulty: Difficulty) -> BinRates:
    """Every run's sessions except ``keep: false`` (as in §6)."""
    return success_by_bin([s for s in sim.sessions if s.keep is not False], difficulty.values)


# ----------------------------------------------------------------------------- documents


@dataclass
class Doc:
    """A tiny document model rendered to both Markdown and HTML (plain text only)."""

    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def note(self, text: str) -> None:
        self.blocks.append(("note", text))

    def ul(self, items: Sequence[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(("table", (list(head), [list(r) for r in rows])))

    def img(self, src: str, alt: str) -> None:
        self.blocks.append(("img", (src, alt)))

    def markdown(self) -> str:
        out: list[str] = []
        for kind, val in self.blocks:
            if kind == "h":
                out.append("#" * val[0] + " " + val[1])
            elif kind == "p":
                out.append(val)
            elif kind == "note":
                out.append(f"> **{val}**")
            elif kind == "ul":
                out.append("\n".join(f"- {item}" for item in val))
            elif kind == "table":
                head, rows = val
                lines = ["| " + " | ".join(head) + " |",
                         "|" + "|".join("---" for _ in head) + "|"]
                lines += ["| " + " | ".join(r) + " |" for r in rows]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{val[1]}]({val[0]})")
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        def e(text: str) -> str:  # escape, then `code` spans
            return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

        body: list[str] = []
        for kind, val in self.blocks:
            if kind == "h":
                body.append(f"<h{val[0]}>{e(val[1])}</h{val[0]}>")
            elif kind == "p":
                body.append(f"<p>{e(val)}</p>")
            elif kind == "note":
                body.append(f'<div class="note">{e(val)}</div>')
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in val) + "</ul>")
            elif kind == "table":
                head, rows = val
                t = ["<table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in head)
                     + "</tr></thead><tbody>"]
                t += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
                body.append("".join(t) + "</tbody></table>")
            elif kind == "img":
                body.append(f'<figure><img src="{e(val[0])}" alt="{e(val[1])}"></figure>')
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")


_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.45;color:#111}table{border-collapse:collapse;margin:1rem 0}"
        "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}"
        "th:first-child,td:first-child{text-align:left}thead{background:#f2f2f2}"
        "img{max-width:100%}.note{background:#fff3cd;border:2px solid #E69F00;padding:.6rem 1rem;"
        "font-weight:bold}")


# ----------------------------------------------------------------------------- formatting


def fmt_num(value: float | None, spec: str) -> str:
    """A number with a format spec, or an em dash for a missing one.

    >>> fmt_num(0.25, ".3f"), fmt_num(None, ".1f")
    ('0.250', '—')
    """
    return "—" if value is None else format(value, spec)


def fmt_share(share: float | None, part: int, whole: int) -> str:
    """``70.6% (12 of 17)``; an em dash and the counts when there is no data.

    >>> fmt_share(2 / 3, 2, 3), fmt_share(None, 0, 0)
    ('66.7% (2 of 3)', '— (0 of 0)')
    """
    return f"{fmt_num(None if share is None else 100 * share, '.1f')}" + (
        "%" if share is not None else "") + f" ({part} of {whole})"


def survey_table_rows(fields: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Rows ``field | simulator mean | human mean | over-estimation | n sim / n human``."""
    return [[f, fmt_num(g["sim_mean"], ".3f"), fmt_num(g["human_mean"], ".3f"),
             fmt_num(g["overestimation_pct"], "+.1f"), f"{g['n_sim']} / {g['n_human']}"]
            for f, g in ((f, fields[f]) for f in SURVEY_FIELDS)]


def largest_overestimation(fields: dict[str, dict[str, Any]]) -> str | None:
    """A sentence about the field the simulator over-rates most, or None without data.

    >>> g = lambda v: {"overestimation_pct": v}
    >>> largest_overestimation({"human_like": g(55.0), "reuse": g(3.0)})
    'Largest over-estimation: human-likeness, by 55.0% of the scale.'
    >>> largest_overestimation({"human_like": g(-5.0), "reuse": g(None)})
    'No field is over-rated; the closest is human-likeness at -5.0% of the scale.'
    """
    best = [(g["overestimation_pct"], f) for f, g in fields.items()
            if g["overestimation_pct"] is not None]
    if not best:
        return None
    v, f = max(best, key=lambda t: (t[0], -SURVEY_FIELDS.index(t[1])))
    if v > 0:
        return f"Largest over-estimation: {FIELD_LABELS[f]}, by {v:.1f}% of the scale."
    return f"No field is over-rated; the closest is {FIELD_LABELS[f]} at {v:+.1f}% of the scale."


def _slug(i: int) -> str:
    return f"features_{i:02d}.png"


# ----------------------------------------------------------------------------- progress


class _Steps:
    """Advances a rich progress bar on a terminal; does nothing otherwise."""

    def __init__(self, progress: Any = None) -> None:
        self._progress = progress
        self._task = None if progress is None else progress.add_task("reading the release",
                                                                      total=None)

    def total(self, n: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=n)

    def __call__(self, desc: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=desc)


@contextmanager
def _progress(enabled: bool) -> Iterator[_Steps]:
    """A :class:`_Steps` with a transient rich progress bar on stderr when ``enabled``."""
    if not enabled:
        yield _Steps()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as prog:
        yield _Steps(prog)


# ----------------------------------------------------------------------------- the report


@dataclass
class ReportOutput:
    """What :func:`write_report` wrote."""

    out_dir: Path
    markdown: Path
    html: Path
    files: list[Path]
    gap: dict[str, Any]


def select(release: Release, simulators: Sequence[str] | None) -> list[str]:
    """The simulator names to show, checked against the release (default: all)."""
    if not simulators:
        return list(release.simulators)
    missing = [n for n in simulators if n not in release.simulators]
    if missing:
        have = ", ".join(release.simulators) or "none"
        raise UsiError(f"no simulator {missing[0]!r} in the release (have: {have})",
                       file=release.root)
    return list(dict.fromkeys(simulators))


def write_report(data_dir: str | Path, out_dir: str | Path,
                 simulators: Sequence[str] | None = None,
                 progress: bool | None = None) -> ReportOutput:
    """Write ``report.md``, ``report.html`` and the PNGs into ``out_dir``.

    ``progress`` shows a rich progress bar (default: only when stderr is a terminal).
    """
    if progress is None:
        progress = sys.stderr.isatty()
    with _progress(progress) as step:
        release = load_release(data_dir)
        names = select(release, simulators)
        step.total(6 + len(names))
        step("read the release")
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsiError(f"cannot create the output folder ({exc.strerror})",
                           file=str(out)) from None
        diff = resolve_difficulty(release, "self")
        rows = leaderboard(release, diff)
        step("scored the leaderboard")
        by_name = {r.name: r for r in rows}
        human = next(r for r in rows if r.kind == "human")
        shown = [r for r in rows if r.kind != "human" and r.name in names]
        gap = evaluative_gap(release, [r.name for r in shown])
        step("computed the evaluative gap")
        files: list[Path] = []
        doc = Doc()
        _intro(doc, release, diff, shown)
        files.append(_leaderboard(doc, out, human, shown))
        step("drew the leaderboard")
        files.append(_radar(doc, out, human, shown))
        step("drew the radar")
        _gap_section(doc, gap)
        doc.h(2, "4. Behaviour: what to fix")
        doc.p("For each simulator, the 19 behavioural features of its sessions against the "
              "humans' on the same tasks. The rows are those of the USI (§8 step 1: per human "
              "batch, the simulator's pooled row and the batch's row on the overlapping "
              "sessions), averaged over the batches. Features are sorted by the metric's own "
              "Sørensen–Dice similarity, least similar first. Rates are the mean per-session "
              "share of user turns (or of sessions, for repetition and agent talk).")
        for i, r in enumerate(shown, start=1):
            files.extend(_features(doc, out, by_name[r.name], i))
            step(f"drew the features of {r.name}")
        files.append(_calibration(doc, out, release, diff, shown))
        step("drew the calibration")
        _notes(doc)
        md = out / "report.md"
        md.write_text(doc.markdown(), encoding="utf-8")
        page = out / "report.html"
        page.write_text(doc.html(f"USI report: {release.root}"), encoding="utf-8")
        step("wrote report.md and report.html")
    return ReportOutput(out, md, page, files, gap)


def _intro(doc: Doc, release: Release, diff: Difficulty, shown: Sequence[ScoreRow]) -> None:
    doc.h(1, f"USI report: {Path(release.root).name}")
    if is_synthetic(str(Path(release.root).resolve())):
        doc.note(SYNTHETIC_NOTE)
    doc.p(f"Release folder: {release.root}. Simulators shown: {len(shown)} of "
          f"{len(release.simulators)}. The User-Sim Index (USI, 0–100) says how human an LLM "
          "user simulator is (arXiv:2603.11245); the definition is USI_SPEC.md.")
    doc.p(f"Task difficulty: mean success pooled over every run of the "
          f"{len(diff.simulators)} simulators of the release ({diff.source}, as "
          f"`usi leaderboard`); {len(diff.values)} tasks have one (≥ 10 samples).")


def _leaderboard(doc: Doc, out: Path, human: ScoreRow, shown: Sequence[ScoreRow]) -> Path:
    doc.h(2, "1. Leaderboard")
    head = ["simulator"] + [HEADERS[k] for k in CELL_KEYS]
    doc.table(head, [[r.name] + [fmt_cell(r.cells.get(k), k) for k in CELL_KEYS]
                     for r in [human, *shown]])
    doc.p("Cells are mean ± population std over the three human batches (the human ceiling: "
          "over the three pairs of batches). ECE: lower is better; everything else: higher.")
    path = out / "leaderboard.png"
    plots.save_png(plots.leaderboard_figure([(r.name, r.cells.get("usi")) for r in shown],
                                            human.cells.get("usi")), path)
    doc.img(path.name, "USI per simulator with ± std bars and the human ceiling")
    return path


def _radar(doc: Doc, out: Path, human: ScoreRow, shown: Sequence[ScoreRow]) -> Path:
    doc.h(2, "2. The six USI terms")
    sims = [(f"{r.name} (USI {fmt_cell(r.cells.get('usi'), 'usi')})",
             plots.radar_values(r.cells)) for r in shown[:MAX_RADAR]]
    doc.p("D1 conversation style, D2 information, D3 clarification, D4 reactions, Eval "
          "(evaluation agreement) and (1−ECE)·100 per simulator (solid), against the human "
          "ceiling (dashed). n/a: no survey file, so no Eval."
          + (f" Only the first {MAX_RADAR} simulators of the leaderboard are drawn."
             if len(shown) > MAX_RADAR else ""))
    path = out / "radar.png"
    plots.save_png(plots.radar_figure(sims, plots.radar_values(human.cells)), path)
    doc.img(path.name, "radar of D1-D4, Eval and (1-ECE)*100 per simulator vs the human ceiling")
    return path


def _gap_section(doc: Doc, gap: dict[str, Any]) -> None:
    doc.h(2, "3. The evaluative gap")
    doc.p("Spec §9 (the paper's RQ2/RQ3): do simulators judge the agent like people do, and "
          "do they make it look better than it is?")
    doc.h(3, "3a. Survey answers: simulator vs humans")
    doc.p("On the covered sessions (kept human sessions whose id is in the simulator's survey "
          "file), the mean normalised answer (0 = worst option, 1 = best; valid answers only) "
          "of the simulator and of the humans on the same sessions, and the over-estimation "
          "= 100 × (simulator − human) in % of the scale.")
    any_survey = False
    for s in gap["simulators"]:
        if s["survey"] is None:
            continue
        any_survey = True
        doc.h(4, f"{s['name']} ({s['survey']['n_covered']} covered sessions)")
        sentence = largest_overestimation(s["survey"]["fields"])
        if sentence:
            doc.p(sentence)
        doc.table(["field", "simulator mean", "human mean", "over-estimation (% of scale)",
                   "n answers (sim / human)"], survey_table_rows(s["survey"]["fields"]))
    if not any_survey:
        doc.p("No simulator shown has a survey file, so there is nothing to compare.")
    doc.h(3, "3b. Success inflation")
    doc.p("Agent success rate (reward > 0) with the simulator (all runs, keep: false dropped) "
          "vs with humans (kept sessions of the three batches); inflation in percentage "
          "points.")
    doc.table(["simulator", "success with simulator (%)", "success with humans (%)",
               "inflation (pp)", "sessions (sim / human)"],
              [[s["name"], fmt_num(s["success"]["simulator"]["success_pct"], ".1f"),
                fmt_num(s["success"]["human"]["success_pct"], ".1f"),
                fmt_num(s["success"]["inflation_pp"], "+.1f"),
                f"{s['success']['simulator']['n_sessions']} / "
                f"{s['success']['human']['n_sessions']}"] for s in gap["simulators"]])
    doc.h(3, "3c. Reward vs human judgement")
    rj = gap["reward_vs_judgement"]
    doc.p("Kept human sessions with a valid task_success answer; judged successful = "
          "'Yes - Task completed' or better. "
          f"{rj['n_without_answer']} kept sessions without a valid answer are left out.")
    doc.table(["question", "share (count)"], [
        ["reward 0, but the human judged the task successful",
         fmt_share(rj["reward0_judged_success"], rj["n_reward0_judged_success"],
                   rj["n_reward0"])],
        ["reward 1, but the human judged the task unsuccessful",
         fmt_share(rj["reward1_judged_failure"], rj["n_reward1_judged_failure"],
                   rj["n_reward1"])],
    ])


def _features(doc: Doc, out: Path, row: ScoreRow, i: int) -> list[Path]:
    doc.h(3, row.name)
    rows = mean_batch_rows(row)
    if rows is None:
        doc.p("No session of this simulator overlaps a kept human session: no rows.")
        return []
    diffs = feature_diagnosis(*rows)
    off = [d for d in diffs if d.similarity < 1.0][:5]
    doc.ul([f"{FEATURE_LABELS[d.feature]}: {d.sentence}" for d in off]
           or ["every feature equals the humans'"])
    path = out / _slug(i)
    fig = plots.feature_figure(
        row.name, [FEATURE_LABELS[d.feature] for d in diffs], [d.human for d in diffs],
        [d.sim for d in diffs],
        [(fmt_feature(d.feature, d.human), fmt_feature(d.feature, d.sim)) for d in diffs])
    plots.save_png(fig, path)
    doc.img(path.name, f"per-feature bars, humans vs {row.name}")
    return [path]


def _calibration(doc: Doc, out: Path, release: Release, diff: Difficulty,
                 shown: Sequence[ScoreRow]) -> Path:
    doc.h(2, "5. Outcome calibration")
    hb = human_bins(release.humans, diff)
    sims = [(r.name, simulator_bins(release.simulators[r.name], diff)) for r in shown]
    doc.p("Agent success rate per task-difficulty bin (difficulty = pooled simulator success, "
          "so bin 0–0.2 holds the hardest tasks): humans (kept sessions) vs each simulator "
          "(all runs). A calibrated simulator follows the human line; the ECE of the "
          "leaderboard is the bin-weighted gap per run and batch."
          + (f" The figure draws the first {MAX_CALIBRATION} simulators of the leaderboard."
             if len(sims) > MAX_CALIBRATION else ""))
    path = out / "calibration.png"
    plots.save_png(plots.calibration_figure(
        hb.pct, [(n, b.pct) for n, b in sims[:MAX_CALIBRATION]], hb.n), path)
    doc.img(path.name, "success rate per difficulty bin, humans vs simulators")
    head = ["sessions", *(lab.replace("\n", " ") for lab in plots.BIN_LABELS)]
    rows = [["humans"] + [f"{fmt_num(p, '.1f')} (n={k})" for p, k in zip(hb.pct, hb.n,
                                                                       strict=True)]]
    rows += [[n] + [f"{fmt_num(p, '.1f')} (n={k})" for p, k in zip(b.pct, b.n, strict=True)]
             for n, b in sims]
    doc.table(head, rows)
    return path


def _notes(doc: Doc) -> None:
    doc.h(2, "Notes")
    doc.ul([
        "Every (mean, std) is a plain mean and numpy.std (ddof 0) over human batches.",
        "The evaluative-gap numbers are those of `usi gap --format json` on the same folder.",
        "Colours: Okabe–Ito colour-blind-safe palette; black/grey is always the humans.",
    ])


# ----------------------------------------------------------------------------- gap table


def print_gap_table(gap: dict[str, Any]) -> None:
    """Print the evaluative gap as rich tables on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(100, Console().width))
    if gap["synthetic"]:
        console.print(SYNTHETIC_NOTE, style="bold")
    t = Table(title="Success inflation (reward > 0)", title_justify="left")
    for c in ("simulator", "with simulator %", "with humans %", "inflation pp", "sessions"):
        t.add_column(c, justify="left" if c == "simulator" else "right")
    for s in gap["simulators"]:
        su = s["success"]
        t.add_row(s["name"], fmt_num(su["simulator"]["success_pct"], ".1f"),
                  fmt_num(su["human"]["success_pct"], ".1f"), fmt_num(su["inflation_pp"], "+.1f"),
                  f"{su['simulator']['n_sessions']} / {su['human']['n_sessions']}")
    console.print(t)
    for s in gap["simulators"]:
        if s["survey"] is None:
            continue
        t = Table(title=f"Survey: {s['name']} vs humans ({s['survey']['n_covered']} sessions)",
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


def gap_for(data_dir: str | Path, simulators: Sequence[str] | None = None) -> dict[str, Any]:
    """The evaluative gap of a release folder, reading only the simulators asked for."""
    release = load_release(data_dir, only=list(simulators) if simulators else None)
    names = select(release, simulators)
    return evaluative_gap(release, names)
