"""The USI Space: a leaderboard, an upload-and-score tab and the metric card, offline.

``python app.py`` serves the app on 127.0.0.1 at the port in ``GRADIO_SERVER_PORT`` (default
7860). The release shown is the folder in ``USI_DATA_DIR``, else the bundled SYNTHETIC sample
(``usi_metric/samples/synthetic_tau_usi``), which is labelled as such on every tab.

Everything the page shows is computed by importable functions (testable without a browser):

>>> view = leaderboard_view()
>>> view.rows[0][0]
'Human (inter-ann.)'
>>> score_upload(None, None).ok
False
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls

from usi_metric.errors import UsiError  # noqa: E402
from usi_metric.io import Release, load_release, load_simulator, load_survey  # noqa: E402
from usi_metric.report import plots  # noqa: E402
from usi_metric.report.diagnosis import feature_diagnosis, mean_batch_rows  # noqa: E402
from usi_metric.report.render import HEADERS, fmt_cell  # noqa: E402
from usi_metric.report.wording import FEATURE_LABELS, fmt_feature  # noqa: E402
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic, sample_release_dir  # noqa: E402
from usi_metric.scoring import (  # noqa: E402
    CELL_KEYS,
    Difficulty,
    ScoreRow,
    human_ceiling,
    leaderboard,
    resolve_difficulty,
    score_simulator,
)

DATA_ENV = "USI_DATA_DIR"
TABLE_HEADERS = ["simulator"] + [HEADERS[k] for k in CELL_KEYS]
ABOUT_FALLBACK = (
    "## About the USI\n\nThe User-Sim Index (USI, 0–100) says how human an LLM user simulator "
    "is on τ-bench tasks, compared with real people's sessions of the same tasks: four "
    "behavioural dimensions (D1–D4), evaluation agreement on the post-session survey (Eval) "
    "and outcome calibration ((1−ECE)·100). Paper: *Mind the Sim2Real Gap in User Simulation "
    "for Agentic Tasks*, arXiv:2603.11245. (The metric card was not found beside this app.)"
)
_OUT = Path(tempfile.mkdtemp(prefix="usi_space_"))
_LOCK = threading.Lock()  # pyplot is not thread-safe; gradio runs handlers in threads


def data_dir() -> Path:
    """The release shown: ``$USI_DATA_DIR`` or the bundled synthetic sample."""
    env = os.environ.get(DATA_ENV, "").strip()
    return Path(env) if env else sample_release_dir()


def data_note(path: Path) -> str:
    """A Markdown line naming the release; loud when it is the synthetic sample."""
    if is_synthetic(path):
        return f"**{SYNTHETIC_NOTE}** (release: `{path.name}`)"
    return f"Release folder: `{path}`"


@functools.lru_cache(maxsize=4)
def _release(path: str) -> tuple[Release, Difficulty, Difficulty, list[ScoreRow]]:
    """The release read once: (release, self-pooled difficulty, release difficulty, rows)."""
    release = load_release(path)
    own = resolve_difficulty(release, "self")
    return release, own, resolve_difficulty(release, "release"), leaderboard(release, own)


def _png(fig: object, stem: str) -> str:
    """Save a figure in this process's temp folder and return the path."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
    path = Path(tempfile.mkstemp(prefix=f"{safe}_", suffix=".png", dir=_OUT)[1])
    plots.save_png(fig, path)  # type: ignore[arg-type]
    return str(path)


def table_rows(rows: Sequence[ScoreRow]) -> list[list[str]]:
    """Leaderboard rows as text cells (``mean±std``; an em dash when missing)."""
    return [[r.name] + [fmt_cell(r.cells.get(k), k) for k in CELL_KEYS] for r in rows]


# ----------------------------------------------------------------------------- leaderboard


@dataclass
class LeaderboardView:
    """What the leaderboard tab shows."""

    note: str
    rows: list[list[str]]
    image: str | None


def leaderboard_view(path: Path | None = None) -> LeaderboardView:
    """The release's leaderboard: caption, table rows and the USI bar chart."""
    path = path or data_dir()
    try:
        _, _, _, rows = _release(str(path))
    except UsiError as exc:
        return LeaderboardView(f"**Error:** {exc}", [], None)
    human = rows[0]
    sims = [r for r in rows if r.kind != "human"]
    with _LOCK:
        image = _png(plots.leaderboard_figure([(r.name, r.cells.get("usi")) for r in sims],
                                              human.cells.get("usi")), "leaderboard")
    return LeaderboardView(data_note(path), table_rows(rows), image)


# ----------------------------------------------------------------------------- upload


@dataclass
class UploadResult:
    """What the upload tab shows; ``ok`` False means ``message`` is a readable error."""

    ok: bool
    message: str
    rows: list[list[str]] = field(default_factory=list)
    radar: str | None = None
    features: str | None = None
    diagnosis: str = ""
    usi: float | None = None


def _error(text: str) -> UploadResult:
    return UploadResult(False, f"**Error:** {text}")


def score_upload(runs_path: str | None, survey_path: str | None = None,
                 label: str | None = None, path: Path | None = None) -> UploadResult:
    """Score an uploaded runs file (and optional survey file) against the release's humans.

    As ``usi score``: the difficulty is pooled over the release's simulators. Every problem
    comes back as a one-line message (``ok`` False), never as a traceback.
    """
    if not runs_path:
        return _error("upload a runs JSON file first (`{id: entry}` or `{\"results\": [...]}`).")
    path = path or data_dir()
    try:
        with _LOCK:
            return _score(runs_path, survey_path, (label or "").strip() or None, path)
    except UsiError as exc:
        return _error(_short(str(exc)))
    except Exception as exc:  # noqa: BLE001 - the page must show a message, not a traceback
        return _error(f"could not score this file ({type(exc).__name__}: {_short(str(exc))}).")


def _short(text: str) -> str:
    """Upload paths are long temp paths: show the file name only."""
    return re.sub(r"(/[^\s:]+)+/([^/\s:]+)", r"\2", text)


def _score(runs_path: str, survey_path: str | None, label: str | None,
           path: Path) -> UploadResult:
    release, _, diff, _ = _release(str(path))
    sim = load_simulator(runs_path, label)
    survey = load_survey(survey_path, sim.name) if survey_path else None
    row = score_simulator(sim, release.humans, diff, survey)
    if all(b.dims is None for b in row.batches):
        return _error("no kept session of this file matches a kept human session id of the "
                      "release (ids look like `airline_7`, with runs as `airline_7_1` or a "
                      "`run` field).")
    if row.cells["ece"] is None:
        return _error(f"no task of this file has a difficulty ({diff.source}), so there is "
                      "no ECE and no USI.")
    human = human_ceiling(release.humans, diff, release.human_eval)
    usi = row.cells["usi"]
    if usi is None:
        return _error("no human batch has both an overlap and an ECE with this file, so there "
                      "is no USI.")
    lines = [f"## USI of {sim.name}: {usi.mean:.1f} ± {usi.std:.1f}",
             f"Human ceiling on this release: {fmt_cell(human.cells.get('usi'), 'usi')}. "
             f"Difficulty pooled over {len(diff.simulators)} simulators of the release, "
             "as `usi score`.",
             data_note(path)]
    if survey is None:
        lines.append("No survey file: the USI has five terms (no Eval).")
    title = f"{sim.name} (USI {fmt_cell(usi, 'usi')})"
    radar = _png(plots.radar_figure([(title, plots.radar_values(row.cells))],
                                    plots.radar_values(human.cells), ncols=1), "radar")
    feats, diag = _features(row)
    return UploadResult(True, "\n\n".join(lines), table_rows([human, row]), radar, feats,
                        diag, usi.mean)


def _features(row: ScoreRow) -> tuple[str | None, str]:
    pair = mean_batch_rows(row)
    if pair is None:
        return None, ""
    diffs = feature_diagnosis(*pair)
    off = [d for d in diffs if d.similarity < 1.0][:6]
    text = "### Where it is least human (rows averaged over the human batches)\n\n" + "\n".join(
        f"- **{FEATURE_LABELS[d.feature]}**: {d.sentence}" for d in off)
    fig = plots.feature_figure(
        row.name, [FEATURE_LABELS[d.feature] for d in diffs], [d.human for d in diffs],
        [d.sim for d in diffs],
        [(fmt_feature(d.feature, d.human), fmt_feature(d.feature, d.sim)) for d in diffs])
    return _png(fig, "features"), text


# ----------------------------------------------------------------------------- about


def metric_card_path() -> Path:
    """The metric card written for the ``evaluate`` module, inside the package."""
    import usi_metric

    return Path(usi_metric.__file__).resolve().parent / "hf" / "evaluate_module" / "README.md"


def about_text(card: Path | None = None) -> str:
    """The metric card without its YAML header, or a short text when it is missing.

    >>> about_text(Path("/nonexistent/README.md")).startswith("## About the USI")
    True
    """
    card = card or metric_card_path()
    try:
        text = card.read_text(encoding="utf-8")
    except OSError:
        return ABOUT_FALLBACK
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            text = text[end + 4:]
    return text.strip() or ABOUT_FALLBACK


# ----------------------------------------------------------------------------- the app


def build_app():  # -> gr.Blocks (gradio is imported only when the app is built)
    """The Gradio Blocks app with three tabs."""
    import gradio as gr

    view = leaderboard_view()
    with gr.Blocks(title="USI: how human is your user simulator?") as app:
        gr.Markdown("# User-Sim Index (USI)\nHow human is an LLM user simulator? "
                    "(arXiv:2603.11245)")
        with gr.Tab("Leaderboard"):
            gr.Markdown(view.note, elem_id="lb-note")
            gr.Dataframe(value=view.rows, headers=TABLE_HEADERS, interactive=False,
                         elem_id="lb-table")
            gr.Image(value=view.image, label="USI with ± std and the human ceiling",
                     show_label=False, elem_id="lb-plot", interactive=False, format="png")
        with gr.Tab("Score your simulator"):
            gr.Markdown("Upload your simulator's runs on the release's tasks (the `{id: entry}` "
                        "form or `{\"results\": [...]}` with a `run` field) and, optionally, "
                        "its answers to the 8-question survey on the human sessions.")
            with gr.Row():
                runs = gr.File(label="runs JSON", file_types=[".json"], type="filepath",
                               elem_id="runs-file")
                survey = gr.File(label="survey JSON (optional)", file_types=[".json"],
                                 type="filepath", elem_id="survey-file")
            label = gr.Textbox(label="name to show (optional)", elem_id="sim-label")
            go = gr.Button("Compute the USI", variant="primary", elem_id="score-button")
            result = gr.Markdown(elem_id="usi-result")
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False,
                                 elem_id="usi-table", visible=False)
            with gr.Row():
                radar = gr.Image(label="the six terms vs the human ceiling", format="png",
                                 show_label=False, elem_id="usi-radar", interactive=False,
                                 visible=False)
                diagnosis = gr.Markdown(elem_id="usi-diagnosis")
            feats = gr.Image(label="per-feature diagnosis", format="png", show_label=False,
                             elem_id="usi-features", interactive=False, visible=False)

            def on_score(runs_path, survey_path, name):
                r = score_upload(runs_path, survey_path, name)
                return (r.message,
                        gr.update(value=r.rows or None, visible=r.ok),
                        gr.update(value=r.radar, visible=r.radar is not None),
                        gr.update(value=r.features, visible=r.features is not None),
                        r.diagnosis)

            go.click(on_score, [runs, survey, label], [result, table, radar, feats, diagnosis])
        with gr.Tab("About"):
            gr.Markdown(about_text(), elem_id="about")
    return app


def main() -> None:
    """Serve on 127.0.0.1 at ``$GRADIO_SERVER_PORT`` (default 7860)."""
    import gradio as gr

    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    build_app().launch(server_name="127.0.0.1", server_port=port, share=False,
                       theme=gr.themes.Default(), allowed_paths=[str(_OUT)],
                       footer_links=[])


if __name__ == "__main__":
    main()
