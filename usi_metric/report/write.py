"""``usi report``: a Markdown + HTML report with pictures of where a simulator is not human.

The report holds (1) the leaderboard with the human ceiling, (2) a radar of the six USI terms,
(3) the evaluative gap of docs/gap.md (:mod:`usi_metric.report.gap`), (4) the per-feature
behaviour diagnosis in words and bars, and (5) outcome calibration per difficulty bin.

Scores are those of ``usi leaderboard`` on the same folder: the published yardstick by
default (or ``difficulty``: ``self`` pools over every simulator of the release even when
``simulators`` selects only some of them to show).

>>> import tempfile
>>> from usi_metric.samples import sample_release_dir
>>> out = write_report(sample_release_dir(), tempfile.mkdtemp())
>>> out.markdown.name, sorted(p.name for p in out.files)[:2]
('report.md', ['calibration.png', 'features_01.png'])
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from usi_metric.aggregation.ece import MIN_SAMPLES
from usi_metric.io import Release, load_release, select_simulators
from usi_metric.io.layout import release_inputs
from usi_metric.report import plots
from usi_metric.report.bins import human_bins, simulator_bins
from usi_metric.report.diagnosis import feature_diagnosis, mean_batch_rows
from usi_metric.report.document import Doc
from usi_metric.report.gap import evaluative_gap
from usi_metric.report.render import HEADERS, fmt_cell
from usi_metric.report.wording import (
    FEATURE_LABELS,
    fmt_feature,
    fmt_num,
    fmt_share,
    largest_overestimation,
    survey_table_rows,
)
from usi_metric.runtime.output import check_folder_target, refuse_own_input, write_folder_atomic
from usi_metric.runtime.progress import progress_steps
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic
from usi_metric.scoring import CELL_KEYS, Difficulty, ScoreRow, leaderboard, resolve_difficulty
from usi_metric.scoring.explain import coverage, partial_coverage_lines, survey_coverage
from usi_metric.scoring.intervals import Intervals, leaderboard_intervals

MAX_RADAR = 12  # small multiples shown; the rest are in the tables
MAX_CALIBRATION = 7  # one Okabe–Ito colour each
MARKDOWN, HTML = "report.md", "report.html"
REPORT_FILES = frozenset({MARKDOWN, HTML})

def _slug(i: int) -> str:
    return f"features_{i:02d}.png"


# ----------------------------------------------------------------------------- the report


@dataclass
class ReportOutput:
    """What :func:`write_report` wrote."""

    out_dir: Path
    markdown: Path
    html: Path
    files: list[Path]
    gap: dict[str, Any]
    # simulators shown whose runs miss some of the people's tasks, one line each
    partial: list[str] = field(default_factory=list)


def report_file(name: str) -> bool:
    """A name ``usi report`` writes (``--overwrite`` replaces only a folder of these).

    >>> report_file("features_03.png"), report_file("notes.txt")
    (True, False)
    """
    return name in REPORT_FILES or name.endswith(".png")


def write_report(data_dir: str | Path, out_dir: str | Path,
                 simulators: Sequence[str] | None = None,
                 progress: bool | None = None, overwrite: bool = False,
                 difficulty: str | Difficulty = "published") -> ReportOutput:
    """Write ``report.md``, ``report.html`` and the PNGs into ``out_dir``.

    The folder appears whole when the report is done (``runtime.output.write_folder_atomic``):
    an existing non-empty ``out_dir`` is replaced only with ``overwrite`` (and only when it
    holds nothing but a previous report), so no stale picture stays beside a new report.
    ``progress`` shows a rich progress bar (default: only when stderr is a terminal).
    """
    if progress is None:
        progress = sys.stderr.isatty()
    inputs = release_inputs(data_dir)
    refuse_own_input(out_dir, inputs)
    check_folder_target(out_dir, overwrite, report_file, "report")
    with progress_steps(progress) as step:
        release = load_release(data_dir)
        names = select_simulators(release, simulators)
        step.total(6 + len(names))
        step("read the release")
        diff = resolve_difficulty(release, difficulty)
        rows = leaderboard(release, diff)
        intervals = leaderboard_intervals(release, diff) if release.simulators else None
        step("scored the leaderboard")
        by_name = {r.name: r for r in rows}
        human = next(r for r in rows if r.kind == "human")
        shown = [r for r in rows if r.kind != "human" and r.name in names]
        gap = evaluative_gap(release, [r.name for r in shown])
        covered = coverage_rows(release, shown)
        step("computed the evaluative gap")

        def build(out: Path) -> list[str]:
            files: list[Path] = []
            doc = Doc()
            _intro(doc, release, diff, shown)
            files.append(_leaderboard(doc, out, human, shown, intervals, covered))
            step("drew the leaderboard")
            files.append(_radar(doc, out, human, shown))
            step("drew the radar")
            _gap_section(doc, gap)
            doc.h(2, "4. Behaviour: what to fix")
            doc.p("For each simulator, the 19 behavioural features of its sessions against the "
                  "humans' on the same tasks. The rows are those of the USI (per "
                  "human batch, the simulator's pooled row and the batch's row on the "
                  "overlapping sessions), averaged over the batches. Features are sorted by the "
                  "metric's own Sørensen–Dice similarity, least similar first. Rates are the "
                  "mean per-session share of user turns (or of sessions, for repetition and "
                  "agent talk).")
            for i, r in enumerate(shown, start=1):
                files.extend(_features(doc, out, by_name[r.name], i))
                step(f"drew the features of {r.name}")
            files.append(_calibration(doc, out, release, diff, shown))
            step("drew the calibration")
            _notes(doc)
            (out / MARKDOWN).write_text(doc.markdown(), encoding="utf-8")
            (out / HTML).write_text(doc.html(f"USI report: {release.root}"), encoding="utf-8")
            step("wrote report.md and report.html")
            return [p.name for p in files]

        pictures = write_folder_atomic(out_dir, build, overwrite, report_file, "report",
                                       inputs)
    out = Path(out_dir)
    return ReportOutput(out, out / MARKDOWN, out / HTML, [out / n for n in pictures], gap,
                        partial_coverage_lines([release.simulators[r.name] for r in shown],
                                               release.humans))


def _intro(doc: Doc, release: Release, diff: Difficulty, shown: Sequence[ScoreRow]) -> None:
    doc.h(1, f"USI report: {Path(release.root).name}")
    if is_synthetic(release.root):
        doc.note(SYNTHETIC_NOTE)
    doc.p(f"Release folder: {release.root}. Simulators shown: {len(shown)} of "
          f"{len(release.simulators)}. The User-Sim Index (USI, 0–100) says how human an LLM "
          "user simulator is (arXiv:2603.11245); the definition is in the usi-metric "
          "project's docs/ folder.")
    if diff.pooled:
        doc.p(f"Task difficulty: mean success pooled over every run of the "
              f"{len(diff.simulators)} simulators of the release ({diff.source}); "
              f"{len(diff.values)} tasks have one (≥ {MIN_SAMPLES} samples).")
    else:
        doc.p(f"Task difficulty: the {diff.source} yardstick (a frozen per-task success "
              f"map, as `usi leaderboard` by default); {len(diff.values)} tasks have one.")


def coverage_rows(release: Release, shown: Sequence[ScoreRow]) -> list[list[str]]:
    """The report's coverage table: one row per simulator shown."""
    out = []
    for r in shown:
        sim = release.simulators[r.name]
        c = coverage(sim, release.humans)
        survey = release.surveys.get(r.name)
        if survey is None:
            evals = "no survey file (five terms)"
        else:
            sc = survey_coverage(survey, release.humans)
            evals = (f"{sc['n_covered']} of {sc['n_kept_human_sessions']} kept human "
                     f"sessions; {sc['n_filled']} of {sc['n_compared']} compared answers "
                     "are seeded fills")
        out.append([r.name, f"{c['n_tasks_matched']} of {c['n_human_tasks']}",
                    f"{c['n_sessions_matched']} of {c['n_kept_sessions']}",
                    str(c["n_matched_featureless"]), evals])
    return out


def _leaderboard(doc: Doc, out: Path, human: ScoreRow, shown: Sequence[ScoreRow],
                 intervals: Intervals | None = None,
                 covered: Sequence[Sequence[str]] = ()) -> Path:
    doc.h(2, "1. Leaderboard")
    head = ["simulator"] + [HEADERS[k] for k in CELL_KEYS]
    doc.table(head, [[r.name] + [fmt_cell(r.cells.get(k), k) for k in CELL_KEYS]
                     for r in [human, *shown]])
    doc.p("Cells are mean ± population std over the three human batches (the human ceiling: "
          "over the three pairs of batches). ECE: lower is better; everything else: higher.")
    if covered:
        doc.p("What each row rests on: the tasks of the human sessions its runs meet, its kept "
              "sessions that meet a kept human session (and of those, the ones that yield no "
              "features, left out of D1–D4), and the survey file behind its Eval.")
        doc.table(["simulator", "tasks met", "kept sessions met", "without features",
                   "Eval rests on"], covered)
    path = out / "leaderboard.png"
    sims = [(r.name, r.cells.get("usi")) for r in shown]
    if intervals is None:
        plots.save_png(plots.leaderboard_figure(sims, human.cells.get("usi")), path)
        doc.img(path.name, "USI per simulator with ± std bars and the human ceiling")
        return path
    doc.p(f"Intervals: {intervals.options.describe()}: the {intervals.n_tasks} tasks are "
          "resampled with replacement (the same draw for the human batches, every run and the "
          "survey answers; the difficulty map fixed) and the whole USI is recomputed; the "
          "figure writes each simulator's interval beside its bar. ≈ marks "
          f"a simulator that cannot be told apart from the leader ({intervals.leader}): the "
          "interval of its paired USI gap to the leader holds 0. The std says how much the "
          "three human batches disagree; the interval says how much the score could move with "
          "another sample of tasks. At small sizes the USI is biased downward (Dice takes a "
          "minimum, ECE an absolute value), which the interval does not remove.")
    fig = plots.leaderboard_figure(
        sims, human.cells.get("usi"),
        intervals=[intervals.cells.get(r.name, {}).get("usi") for r in shown],
        tied=[intervals.tied_with_leader(r.name) for r in shown],
        interval_label=intervals.options.describe().replace(" intervals", " interval"),
        leader=intervals.leader)
    plots.save_png(fig, path)
    doc.img(path.name, "USI per simulator with bootstrap intervals over tasks, the simulators "
            "that cannot be told apart from the leader, and the human ceiling")
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
    doc.p("The paper's RQ2/RQ3: do simulators judge the agent like people do, and "
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
          "vs with humans (kept sessions of the three batches), on the tasks both have "
          "sessions of (the tasks column: shared / the humans'); inflation in percentage "
          "points. The last column is the inflation over every session of both sides.")
    rows = []
    for s in gap["simulators"]:
        sh = s["success"]["shared"]
        rows.append([s["name"], f"{sh['n_tasks']} / {sh['n_tasks_human']}",
                     fmt_num(sh["simulator"]["success_pct"], ".1f"),
                     fmt_num(sh["human"]["success_pct"], ".1f"),
                     fmt_num(sh["inflation_pp"], "+.1f"),
                     f"{sh['simulator']['n_sessions']} / {sh['human']['n_sessions']}",
                     fmt_num(s["success"]["inflation_pp"], "+.1f")])
    doc.table(["simulator", "tasks (shared / humans')", "success with simulator (%)",
               "success with humans (%)", "inflation (pp)", "sessions (sim / human)",
               "inflation over all sessions (pp)"], rows)
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
    doc.ul([d.sentence[0].upper() + d.sentence[1:] for d in off]
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
    doc.p("Agent success rate per task-difficulty bin (difficulty = simulator success per task, "
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


