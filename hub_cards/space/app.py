"""The USI Space: a leaderboard, an upload-and-score tab and the metric card, offline.

This folder is one Hugging Face Space (``<org>/usi``) with two jobs: the ``evaluate`` metric
(``usi.py`` and its card ``README.md`` at the root, so ``evaluate.load("<org>/usi")`` finds
the script) and this app. ``python app.py`` serves it at ``$GRADIO_SERVER_NAME``
(default 127.0.0.1) and ``$GRADIO_SERVER_PORT`` (default 7860). Settings:

- ``USI_REFERENCE``: the people uploads are scored against, read once at start: the path of
  a human reference file (``usi reference build``), or a Hub dataset id whose ``reference``
  config holds one (``cmu-lti/tau-usi``, optionally ``@revision``; downloaded with
  ``huggingface_hub`` at start, only when this names one; a gated dataset needs the Space
  secret ``HF_TOKEN``). The page says whose people they are (source and counts from the
  reference's provenance). A setting that cannot be used (no such file, a Parquet file that
  is no reference, one of other feature definitions, a failed download) is one line in the
  log and on the page, and the Space falls back to the release below with its banner; it
  still starts, so the page can say what is wrong.
- ``USI_DATA_DIR``: the release shown (the ``cmu-lti/tau-usi`` layout); default: the bundled
  SYNTHETIC sample, labelled as such on every tab. Without ``USI_REFERENCE``, uploads are
  scored against its people.
- ``USI_MAX_UPLOAD_MB``: the upload limit per file in MB of 2**20 bytes (default 20). Gradio
  refuses a bigger upload before it reaches the app; the app checks the size on disk again
  before it parses anything.

Nothing a request makes outlives it: figures go to the page as inline PNG data, and the
uploaded files are deleted from the server once scored (gradio's ``delete_cache`` sweeps
uploads that were never scored). Text that comes from a user (labels, ids, file names) is
HTML-escaped wherever it reaches the page. A request holds a lock only while it draws a
figure (pyplot's state is global) or, on the first request, while the release is read.

Everything the page shows is computed by importable functions (testable without a browser):

>>> view = leaderboard_view()
>>> view.rows[0][0]
'Human (inter-ann.)'
>>> score_upload(None, None).ok
False
>>> current_people().real  # no USI_REFERENCE: the release's people
False
>>> esc('<b onclick="x()">A&B</b>')
'&lt;b onclick=&quot;x()&quot;&gt;A&amp;B&lt;/b&gt;'
"""

from __future__ import annotations

import base64
import gzip
import math
import os
import re
import stat
import sys
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls

from usi_metric.aggregation.ece import MIN_SAMPLES  # noqa: E402
from usi_metric.errors import UsiError  # noqa: E402
from usi_metric.io import Release, load_release, load_simulator, load_survey  # noqa: E402
from usi_metric.io.jsonfile import GZIP_MAGIC  # noqa: E402
from usi_metric.io.layout import REFERENCE_CONFIG_FILE  # noqa: E402
from usi_metric.reference import HumanReference  # noqa: E402
from usi_metric.report import plots  # noqa: E402
from usi_metric.report.diagnosis import feature_diagnosis, mean_batch_rows  # noqa: E402
from usi_metric.report.escape import for_html, one_line  # noqa: E402
from usi_metric.report.render import HEADERS, fmt_cell  # noqa: E402
from usi_metric.report.wording import FEATURE_LABELS, fmt_feature  # noqa: E402
from usi_metric.samples import SYNTHETIC_NOTE, is_synthetic, sample_release_dir  # noqa: E402
from usi_metric.scoring import (  # noqa: E402
    CELL_KEYS,
    PUBLISHED,
    ScoreRow,
    human_ceiling,
    leaderboard,
    pooled_difficulty,
    resolve_difficulty,
)
from usi_metric.scoring.explain import (  # noqa: E402
    coverage,
    coverage_line,
    no_usi_reason,
    partial_coverage_lines,
    sim_tasks,
    survey_coverage,
    survey_line,
    yardstick,
    yardstick_line,
)
from usi_metric.scoring.score import default_difficulty, input_notes, score  # noqa: E402

DATA_ENV = "USI_DATA_DIR"
REFERENCE_ENV = "USI_REFERENCE"
# A Hub dataset id, optionally @revision: one character class per part, so linear time.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(@[\w./-]+)?")
LIMIT_ENV = "USI_MAX_UPLOAD_MB"
DEFAULT_LIMIT_MB = 20.0
MB = 2**20
SCORE_CONCURRENCY = 4  # scorings that run at once (gradio's default is one at a time)
CACHE_SWEEP = (3600, 3600)  # gradio delete_cache: hourly, files older than an hour
LABEL_MAX = 80  # characters of a simulator name typed in the page
TABLE_HEADERS = ["simulator"] + [HEADERS[k] for k in CELL_KEYS]
YARDSTICKS = {  # the ECE yardstick of the upload tab, as `usi score --difficulty`
    PUBLISHED: "the paper's frozen per-task difficulty of its 31 simulators, so the USI is "
               "comparable with the published table",
    "release": "pooled over the simulators of the release shown here",
    "self": f"pooled over your runs alone (a task needs at least {MIN_SAMPLES} runs)",
    "reference": "the per-task difficulty map stored in the human reference",
}
ABOUT_FALLBACK = (
    "## About the USI\n\nThe User-Sim Index (USI, 0–100) says how human an LLM user simulator "
    "is on τ-bench tasks, compared with real people's sessions of the same tasks: four "
    "behavioural dimensions (D1–D4), evaluation agreement on the post-session survey (Eval) "
    "and outcome calibration ((1−ECE)·100). Paper: *Mind the Sim2Real Gap in User Simulation "
    "for Agentic Tasks*, arXiv:2603.11245. (The metric card was not found beside this app.)"
)
UPLOADS_GONE = ("Your uploaded files were deleted from the server once scored; upload them "
                "again to score with other options.")

_CACHE: dict[str, _Loaded] = {}
_CACHE_LOCK = threading.Lock()  # the shared release cache (held while a release is read)
_PEOPLE: dict[str, People] = {}  # USI_REFERENCE's people, read once (key: the setting)
_PEOPLE_LOCK = threading.Lock()
_DRAW_LOCK = threading.Lock()  # pyplot's figure list and rcParams are process-global


# ----------------------------------------------------------------------------- settings, text


def data_dir() -> Path:
    """The release shown: ``$USI_DATA_DIR`` or the bundled synthetic sample."""
    env = os.environ.get(DATA_ENV, "").strip()
    return Path(env) if env else sample_release_dir()


def upload_limit_bytes() -> int:
    """The upload limit per file: ``$USI_MAX_UPLOAD_MB`` MB (default 20), in bytes.

    >>> upload_limit_bytes() == int(float(os.environ.get(LIMIT_ENV) or 20) * 2**20)
    True
    """
    raw = os.environ.get(LIMIT_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_LIMIT_MB
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise ValueError(f"{LIMIT_ENV} must be a positive number of MB, got {raw!r}")
    return max(1, int(mb * MB))


def fmt_size(n: int) -> str:
    """A number of bytes for people (MB = 2**20 bytes).

    >>> fmt_size(20 * 2**20), fmt_size(262144), fmt_size(5001)
    ('20 MB', '0.25 MB', '4.88 KB')
    """
    return f"{n / MB:.3g} MB" if n >= MB // 100 else f"{n / 1024:.3g} KB"


def plain(text: object, limit: int = 300) -> str:
    """User text on one line, at most ``limit`` characters, encodable (lone surrogates -> ?),
    control characters as escapes (``usi_metric.report.escape.one_line``).

    >>> plain("a\\n  b" + "\\ud800"), len(plain("x" * 500, 10))
    ('a b?', 10)
    """
    return one_line(text, limit)


def esc(text: object, limit: int = 300) -> str:
    """User text made inert for HTML (``usi_metric.report.escape.for_html``)."""
    return for_html(text, limit)


def _fig_name(name: str) -> str:
    """A name for a figure label (``plots`` draws ``$`` as a dollar sign, not TeX)."""
    return plain(name, 60)


def data_note(path: Path) -> str:
    """An HTML line naming the release; loud when it is the synthetic sample."""
    if is_synthetic(path):
        return f"<p><strong>{esc(SYNTHETIC_NOTE)}</strong> (release: <code>{esc(path.name)}" \
               "</code>)</p>"
    return f"<p>Release folder: <code>{esc(path)}</code></p>"


def _draw(make: Callable[[], Any]) -> str:
    """Draw one figure and return it as an inline ``data:image/png;base64,...`` URI.

    The lock is held only while pyplot builds the figure and lets go of it; the PNG is
    encoded outside it, and no file is written.
    """
    with _DRAW_LOCK:
        fig = make()
        plots.plt.close(fig)  # out of pyplot's global figure list: this request's alone
    return "data:image/png;base64," + base64.b64encode(plots.png_bytes(fig)).decode("ascii")


def img_html(uri: str | None, alt: str) -> str:
    """An ``<img>`` of an inline PNG (empty when there is none)."""
    if not uri:
        return ""
    return f'<img src="{uri}" alt="{esc(alt)}" style="max-width:100%;height:auto">'


def table_rows(rows: Sequence[ScoreRow]) -> list[list[str]]:
    """Rows as text cells (``mean±std``; an em dash when missing); names as plain text."""
    return [[plain(r.name, LABEL_MAX)] + [fmt_cell(r.cells.get(k), k) for k in CELL_KEYS]
            for r in rows]


# ----------------------------------------------------------------------------- release cache


@dataclass(frozen=True)
class _Loaded:
    """A release read once, with its leaderboard (difficulty ``self``, as ``usi leaderboard``)."""

    release: Release
    rows: list[ScoreRow]
    yardstick: dict[str, Any]
    chart: str | None
    reference: HumanReference  # the release's people, as uploads are scored against them
    notes: list[str] = field(default_factory=list)  # what each simulator's inputs lack
    partial: list[str] = field(default_factory=list)  # simulators missing some tasks


def _load(path: Path) -> _Loaded:
    from usi_metric.reference.build import from_set

    release = load_release(path, strict=False, conversations=False)
    diff = resolve_difficulty(release, "published")
    rows = leaderboard(release, diff)
    tasks = {s.task_key for sim in release.simulators.values() for s in sim.sessions}
    sims = [r for r in rows if r.kind != "human"]
    chart = _draw(lambda: plots.leaderboard_figure(
        [(_fig_name(r.name), r.cells.get("usi")) for r in sims], rows[0].cells.get("usi")))
    ref = from_set(release.humans, release.human_eval, source=f"release {Path(path).name}",
                   synthetic=is_synthetic(path))
    notes = [n for name, sim in release.simulators.items()
             for n in input_notes(sim, release.humans, release.surveys.get(name))]
    partial = partial_coverage_lines(release.simulators.values(), release.humans)
    return _Loaded(release, rows, yardstick(diff, tasks), chart, ref, notes, partial)


def loaded_release(path: Path) -> _Loaded:
    """The release at ``path``, read on first use and shared by every request."""
    key = str(Path(path).resolve())
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is None:
            hit = _CACHE[key] = _load(Path(path))
        return hit


# ----------------------------------------------------------------------------- the people


@dataclass(frozen=True)
class People:
    """Whose people uploads are scored against, decided once at start.

    ``real``: True when they come from ``$USI_REFERENCE``; False for the release's own people
    (``$USI_DATA_DIR`` or the synthetic sample). ``note`` (HTML) says whose they are;
    ``problem`` is the one line saying why ``$USI_REFERENCE`` was not used (None when it was,
    or when it is not set).
    """

    reference: HumanReference
    real: bool
    note: str
    problem: str | None = None
    setting: str = ""


def hub_reference_file(repo_id: str, revision: str | None = None) -> str:
    """The ``reference`` config's file of a Hub dataset, downloaded with ``huggingface_hub``
    (the only network call of the app, made at start when ``$USI_REFERENCE`` asks for it)."""
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(repo_id, REFERENCE_CONFIG_FILE, repo_type="dataset",
                               revision=revision)
    except Exception as exc:  # network, auth, gating, offline, no such file: one line
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise UsiError(f"cannot download {REFERENCE_CONFIG_FILE} (its reference config) "
                       f"({type(exc).__name__}: {first}); a gated dataset needs the HF_TOKEN "
                       "secret of an account that accepted its terms",
                       file=f"hf://datasets/{repo_id}") from None


def _looks_like_path(setting: str) -> bool:
    return (setting.startswith(("/", ".", "~")) or setting.endswith(".parquet")
            or os.path.exists(setting))


def read_reference(setting: str,
                   download: Callable[[str, str | None], str] = hub_reference_file
                   ) -> HumanReference:
    """The reference ``$USI_REFERENCE`` names: a reference file's path, or a Hub dataset id
    (``owner/name`` or ``owner/name@revision``) whose ``reference`` config ``download``
    fetches. Anything else, or a file that is no reference of this usi-metric's feature
    definitions, is a one-line :class:`UsiError`.

    >>> read_reference("no such thing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: no such thing: neither a reference file nor a Hub dataset ...
    """
    setting = setting.strip()
    if _looks_like_path(setting):
        return HumanReference.load(os.path.expanduser(setting))
    if _HUB_ID.fullmatch(setting):
        repo, _, revision = setting.partition("@")
        return HumanReference.load(download(repo, revision or None))
    raise UsiError("neither a reference file nor a Hub dataset id like cmu-lti/tau-usi",
                   file=setting)


def reference_summary(ref: HumanReference) -> str:
    """Whose people a reference holds, in one sentence from its provenance.

    >>> reference_summary(HumanReference.synthetic()).startswith("SYNTHETIC sample release")
    True
    """
    prov = ref.provenance
    c = prov.get("counts") or ref.counts()
    batches = ", ".join(c.get("batches") or ref.batches)
    second = "with" if ref.human_eval() is not None else "without"
    return (f"{prov.get('source', 'a human reference')}: {c.get('sessions', len(ref))} "
            f"sessions ({c.get('kept', 0)} kept) over {c.get('tasks', 0)} tasks in batches "
            f"{batches}, {second} a second person's survey; feature definitions version "
            f"{prov.get('feature_version', '?')}, made by usi-metric "
            f"{prov.get('tool_version', '?')}")


def people_note(ref: HumanReference, real: bool, setting: str = "",
                problem: str | None = None) -> str:
    """HTML lines saying whose people uploads are scored against (and any problem); loud
    when they are the synthetic sample's."""
    if ref.provenance.get("synthetic"):
        line = (f"<p><strong>{esc(SYNTHETIC_NOTE)}</strong> Uploads are scored against its "
                f"people: {esc(reference_summary(ref))}.</p>")
    elif real:
        line = (f"<p>Uploads are scored against the human reference "
                f"<code>{esc(setting)}</code>: {esc(reference_summary(ref))}.</p>")
    else:
        line = f"<p>Uploads are scored against the people of {esc(reference_summary(ref))}.</p>"
    if problem:
        line = f'<p class="usi-error"><strong>Error:</strong> {esc(problem, 1000)}</p>' + line
    return line


def resolve_people(setting: str | None, release_dir: Path,
                   download: Callable[[str, str | None], str] = hub_reference_file) -> People:
    """The people to score against: ``setting``'s reference (``$USI_REFERENCE``) when it can
    be read, else the release's people with one line saying why."""
    setting = (setting or "").strip()
    problem = None
    if setting:
        try:
            ref = read_reference(setting, download)
        except UsiError as exc:
            what = "the SYNTHETIC sample" if is_synthetic(release_dir) else \
                f"the release {release_dir.name}"
            problem = (f"{REFERENCE_ENV} was not used: {exc}; uploads are scored against the "
                       f"people of {what} instead")
        else:
            return People(ref, True, people_note(ref, True, setting), None, setting)
    ref = loaded_release(release_dir).reference
    return People(ref, False, people_note(ref, False, setting, problem), problem, setting)


def current_people() -> People:
    """The people of ``$USI_REFERENCE`` (else of the release shown), read on first use and
    shared by every request."""
    setting = os.environ.get(REFERENCE_ENV, "").strip()
    with _PEOPLE_LOCK:
        hit = _PEOPLE.get(setting)
    if hit is None:
        hit = resolve_people(setting, data_dir())
        with _PEOPLE_LOCK:
            hit = _PEOPLE.setdefault(setting, hit)
    return hit


def yardsticks(ppl: People) -> dict[str, str]:
    """The ECE yardsticks the upload tab offers: ``release`` only when a release is shown
    (its simulators make it), ``reference`` only when the reference stores a map."""
    out = dict(YARDSTICKS)
    if ppl.real and not os.environ.get(DATA_ENV, "").strip():
        del out["release"]
    if ppl.reference.difficulty is None:
        del out["reference"]
    return out


# ----------------------------------------------------------------------------- leaderboard


@dataclass
class LeaderboardView:
    """What the leaderboard tab shows (``note`` and ``chart`` are HTML)."""

    note: str
    rows: list[list[str]]
    chart: str


def reference_view(ppl: People) -> LeaderboardView:
    """The leaderboard tab of a Space with a human reference and no release: the reference's
    human ceiling (its stored yardstick, else the published one), and whose people."""
    ref = ppl.reference
    diff = default_difficulty(ref)
    row = human_ceiling(ref.humans(), diff, ref.human_eval())
    y = yardstick(diff, set(ref.task_keys))
    note = (ppl.note + "<p>This Space holds no simulator runs: the table is the human "
            "ceiling of these people (every pair of their batches); score your simulator on "
            "the next tab. The paper's published table is under About.</p>"
            f"<p>{esc(yardstick_line(y))}</p>")
    return LeaderboardView(note, table_rows([row]), "")


def _people_or_none() -> People | None:
    try:
        return current_people()
    except UsiError:  # the release itself cannot be read: the view says so
        return None


def leaderboard_view(path: Path | None = None) -> LeaderboardView:
    """The release's leaderboard: caption, table rows and the USI bar chart; with
    ``$USI_REFERENCE`` and no ``$USI_DATA_DIR``, the reference's human ceiling."""
    ppl = _people_or_none() if path is None else None
    if ppl is not None and ppl.real and not os.environ.get(DATA_ENV, "").strip():
        return reference_view(ppl)
    path = path or data_dir()
    try:
        hit = loaded_release(path)
    except UsiError as exc:
        return LeaderboardView(f"<p><strong>Error:</strong> {esc(exc)}</p>", [], "")
    lines = [data_note(path), f"<p>{esc(yardstick_line(hit.yardstick))} Difficulty pooled "
             "over the simulators of the table, as <code>usi leaderboard</code> (the paper's "
             "table).</p>"]
    if ppl is not None and (ppl.real or ppl.problem):
        lines.insert(0, ppl.note)
    lines.append("<p>Coverage: every simulator's runs meet every task of the human "
                 "sessions.</p>" if not hit.partial else
                 "<p>Coverage (a row rests on the tasks its runs meet):</p><ul>"
                 + "".join(f"<li>{esc(line)}</li>" for line in hit.partial) + "</ul>")
    lines += [f"<p><strong>Left out of the table:</strong> {esc(p)}</p>"
              for p in hit.release.problems]
    lines += [f'<p class="usi-warning"><strong>Warning:</strong> {esc(_short(n))}</p>'
              for n in hit.release.notes + hit.notes]
    return LeaderboardView("\n".join(lines), table_rows(hit.rows),
                           img_html(hit.chart, "USI of each simulator with ± std and the "
                                    "human ceiling"))


# ----------------------------------------------------------------------------- upload


@dataclass
class UploadResult:
    """What the upload tab shows; ``ok`` False means ``message`` is a readable error.

    ``message`` and ``diagnosis`` are HTML; ``radar`` and ``features`` are PNG data URIs.
    """

    ok: bool
    message: str
    rows: list[list[str]] = field(default_factory=list)
    radar: str | None = None
    features: str | None = None
    diagnosis: str = ""
    usi: float | None = None
    yardstick: dict[str, Any] | None = None


def _error(text: str, *more: str) -> UploadResult:
    paras = "".join(f"<p>{esc(m)}</p>" for m in more)
    return UploadResult(False, f'<p class="usi-error"><strong>Error:</strong> {esc(text)}</p>'
                        + paras)


_PATH_DELIMS = re.compile(r"([\s:]+)")  # one character class: linear time on any text


def _short(text: str) -> str:
    """Upload paths are long temp paths: show the file name only. Every word (between
    spaces and colons) that is an absolute path of two or more parts becomes its last part;
    str methods only, so a crafted id full of ``/`` costs linear time.

    >>> _short("/tmp/gradio/ab12/runs.json: id a/b/c: field reward")
    'runs.json: id a/b/c: field reward'
    """
    parts = _PATH_DELIMS.split(text)
    for i in range(0, len(parts), 2):  # even places: the words; odd: the delimiters
        word = parts[i]
        if word.startswith("/") and word.count("/") >= 2:
            head, _, last = word.rpartition("/")
            if last and head.strip("/"):
                parts[i] = last
    return "".join(parts)


def size_problem(path: str, limit: int) -> str | None:
    """Why the file at ``path`` is not scored for its size (None when it is within the limit).

    >>> size_problem(__file__, 10**9) is None
    True
    """
    name = plain(Path(path).name, 120)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # /dev/zero behind a link would never end
            return f"{name} is not a regular file; upload a JSON file."
        size = st.st_size
        if size <= limit:
            size = max(size, unpacked_size(path, limit))
    except OSError as exc:
        return f"{name}: cannot read the uploaded file ({exc.strerror}); upload it again."
    if size > limit:
        return (f"{name} is {fmt_size(size)}, over this Space's upload limit of "
                f"{fmt_size(limit)} per file (unpacked); score bigger files on your machine "
                "with the command: usi score RUNS --data-dir RELEASE")
    return None


def unpacked_size(path: str, limit: int) -> int:
    """Bytes of the gzip'd file at ``path`` once unpacked, counted up to just over ``limit``
    (never held); 0 for a file that is not gzip'd or cannot be unpacked (its reader says so).

    >>> unpacked_size(__file__, 10)
    0
    """
    with open(path, "rb") as fh:
        if fh.read(2) != GZIP_MAGIC:
            return 0
        fh.seek(0)
        total = 0
        try:
            with gzip.GzipFile(fileobj=fh) as gz:
                while total <= limit and (chunk := gz.read(MB)):
                    total += len(chunk)
        except (EOFError, zlib.error, gzip.BadGzipFile):
            return 0
    return total


def score_upload(runs_path: str | None, survey_path: str | None = None,
                 label: str | None = None, yardstick_name: str = PUBLISHED,
                 path: Path | None = None, limit: int | None = None,
                 people: People | None = None) -> UploadResult:
    """Score an uploaded runs file (and optional survey file) against the people: ``people``,
    else the release at ``path``'s, else :func:`current_people` (``$USI_REFERENCE`` or the
    release shown), with :func:`usi_metric.scoring.score.score`.

    As ``usi score``: the ECE yardstick defaults to the paper's published difficulty.
    Files over ``limit`` bytes (default :func:`upload_limit_bytes`) are refused before they
    are parsed. Every problem comes back as a one-line message (``ok`` False), never as a
    traceback.
    """
    if not runs_path:
        return _error("upload a runs JSON file first ({id: entry} or {\"results\": [...]}).")
    try:
        ppl = people or (release_people(path) if path is not None else current_people())
    except UsiError as exc:
        return _error(_short(str(exc)))
    choices = yardsticks(ppl)
    if yardstick_name not in choices:
        return _error(f"unknown yardstick {plain(yardstick_name, 40)!r}; choose one of "
                      f"{', '.join(choices)}.")
    try:
        limit = upload_limit_bytes() if limit is None else limit
    except ValueError as exc:
        return _error(f"this Space is misconfigured: {exc}.")
    for p in (runs_path, survey_path):
        problem = size_problem(p, limit) if p else None
        if problem:
            return _error(problem)
    name = plain(label, LABEL_MAX) if label and label.strip() else None
    try:
        return _score(runs_path, survey_path, name, yardstick_name, path or data_dir(), ppl)
    except UsiError as exc:
        return _error(_short(str(exc)))
    except RecursionError:
        return _error(f"{Path(runs_path).name}: the JSON is nested too deeply to read.")
    except Exception as exc:  # noqa: BLE001 - the page must show a message, not a traceback
        return _error(f"could not score this file ({type(exc).__name__}: "
                      f"{_short(str(exc))}).")


def release_people(path: Path) -> People:
    """The people of the release at ``path`` (no ``$USI_REFERENCE``)."""
    ref = loaded_release(path).reference
    return People(ref, False, people_note(ref, False))


def _score(runs_path: str, survey_path: str | None, label: str | None, yard: str,
           path: Path, ppl: People) -> UploadResult:
    sim = load_simulator(runs_path, label, workers=1, conversations=False)
    survey = load_survey(survey_path, sim.name) if survey_path else None
    if yard == "self":
        diff = pooled_difficulty([sim], "self-pooled")
    elif yard == "reference":
        diff = default_difficulty(ppl.reference)
    elif yard == "release":
        diff = resolve_difficulty(loaded_release(path).release, yard)
    else:
        diff = resolve_difficulty(None, yard)
    ref = ppl.reference
    humans = ref.humans()
    row = score(sim, ref, survey=survey, difficulty=diff).row
    y = yardstick(diff, sim_tasks(sim))
    said = [f'<p class="usi-warning"><strong>Warning:</strong> {esc(_short(n))}</p>'
            for n in input_notes(sim, humans, survey)]
    others = [f"'{k}'" for k in yardsticks(ppl) if k != "self"]
    reason = no_usi_reason(row, diff, sim, f"choose the {' or '.join(others)} yardstick")
    if reason is not None:
        bad = _error(f"{Path(runs_path).name}: {reason}.", yardstick_line(y))
        bad.message += "".join(said)
        bad.yardstick = y
        return bad
    usi = row.cells["usi"]
    assert usi is not None  # no_usi_reason said so
    human = human_ceiling(humans, diff, ref.human_eval())
    where = "these people" if ppl.real else "this release"
    lines = [f"<h2>USI of {esc(sim.name, LABEL_MAX)}: {usi.mean:.1f} ± {usi.std:.1f}</h2>",
             f"<p>Human ceiling on {where}, same yardstick: "
             f"{fmt_cell(human.cells.get('usi'), 'usi')}.</p>",
             f'<p class="usi-yardstick"><strong>{esc(yardstick_line(y))}</strong> '
             f"The {esc(yard)} yardstick is {esc(YARDSTICKS[yard])}.</p>",
             f'<p class="usi-coverage">{esc(coverage_line(coverage(sim, humans)))}</p>',
             ppl.note if (ppl.real or ppl.problem) else data_note(path), *said]
    if survey is None:
        lines.append("<p>No survey file: the USI has five terms (no Eval).</p>")
    elif (cover := survey_coverage(survey, humans))["n_covered"]:
        lines.append(f"<p>{esc(survey_line(cover))}</p>")
    title = f"{_fig_name(sim.name)} (USI {fmt_cell(usi, 'usi')})"
    radar = _draw(lambda: plots.radar_figure([(title, plots.radar_values(row.cells))],
                                             plots.radar_values(human.cells), ncols=1))
    feats, diag = _features(row)
    return UploadResult(True, "\n".join(lines), table_rows([human, row]), radar, feats,
                        diag, usi.mean, y)


def _features(row: ScoreRow) -> tuple[str | None, str]:
    pair = mean_batch_rows(row)
    if pair is None:
        return None, ""
    diffs = feature_diagnosis(*pair)
    off = [d for d in diffs if d.similarity < 1.0][:6]
    items = "".join(f"<li><strong>{esc(FEATURE_LABELS[d.feature])}</strong>: "
                    f"{esc(d.sentence)}</li>" for d in off)
    text = ("<h3>Where it is least human (rows averaged over the human batches)</h3>"
            f"<ul>{items}</ul>")
    uri = _draw(lambda: plots.feature_figure(
        _fig_name(row.name), [FEATURE_LABELS[d.feature] for d in diffs],
        [d.human for d in diffs], [d.sim for d in diffs],
        [(fmt_feature(d.feature, d.human), fmt_feature(d.feature, d.sim)) for d in diffs]))
    return uri, text


# ----------------------------------------------------------------------------- uploads


def upload_folder() -> Path:
    """Where gradio keeps uploaded files (``$GRADIO_TEMP_DIR`` or ``<tmp>/gradio``)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def discard_uploads(paths: Sequence[str | None], root: Path | None = None) -> int:
    """Delete uploaded files (and their emptied folders) inside gradio's upload folder.

    A path outside ``root`` (default :func:`upload_folder`) is never touched. Returns how many
    files were deleted.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "ab12").mkdir(); _ = (root / "ab12" / "runs.json").write_text("{}")
    >>> discard_uploads([str(root / "ab12" / "runs.json"), __file__, None], root)
    1
    >>> sorted(root.iterdir()), Path(__file__).is_file()
    ([], True)
    """
    root = (root or upload_folder()).resolve()
    gone = 0
    for p in paths:
        if not p:
            continue
        target = Path(p).resolve()
        if target == root or not target.is_relative_to(root) or not target.is_file():
            continue
        try:
            target.unlink()
            gone += 1
            parent = target.parent
            if parent != root and parent.is_relative_to(root) and not any(parent.iterdir()):
                parent.rmdir()
        except OSError:
            pass  # another request removed it first, or it is in use: the sweep gets it
    return gone


# ----------------------------------------------------------------------------- about


def metric_card_path() -> Path:
    """The metric card: ``README.md`` beside this app (the Space), else the package's."""
    here = Path(__file__).resolve().with_name("README.md")
    if here.is_file():
        return here
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


def build_app(limit: int | None = None):  # -> gr.Blocks (gradio is imported only here)
    """The Gradio Blocks app with three tabs."""
    import gradio as gr

    limit = upload_limit_bytes() if limit is None else limit
    view = leaderboard_view()
    ppl = _people_or_none()
    choices = YARDSTICKS if ppl is None else yardsticks(ppl)
    whose = "" if ppl is None or not (ppl.real or ppl.problem) else ppl.note
    with gr.Blocks(title="USI: how human is your user simulator?",
                   delete_cache=CACHE_SWEEP) as app:
        gr.Markdown("# User-Sim Index (USI)\nHow human is an LLM user simulator? "
                    "(arXiv:2603.11245)")
        with gr.Tab("Leaderboard"):
            gr.HTML(view.note, elem_id="lb-note")
            gr.Dataframe(value=view.rows, headers=TABLE_HEADERS, interactive=False,
                         elem_id="lb-table")
            gr.HTML(view.chart, elem_id="lb-plot")
        with gr.Tab("Score your simulator"):
            gr.Markdown(
                "Upload your simulator's runs on the people's tasks (the `{id: entry}` "
                "form or `{\"results\": [...]}` with a `run` field) and, optionally, its "
                "answers to the 8-question survey on the human sessions. "
                f"**Limit: {fmt_size(limit)} per file.** The files are deleted from the "
                "server once scored.", elem_id="upload-help")
            if whose:
                gr.HTML(whose, elem_id="upload-people")
            with gr.Row():
                runs = gr.File(label="runs JSON", file_types=[".json"], type="filepath",
                               elem_id="runs-file")
                survey = gr.File(label="survey JSON (optional)", file_types=[".json"],
                                 type="filepath", elem_id="survey-file")
            with gr.Row():
                label = gr.Textbox(label="name to show (optional)", max_length=LABEL_MAX,
                                   elem_id="sim-label")
                yard = gr.Radio([(f"{k}: {v}", k) for k, v in choices.items()],
                                value=PUBLISHED, label="ECE yardstick (task difficulty)",
                                elem_id="yardstick")
            go = gr.Button("Compute the USI", variant="primary", elem_id="score-button")
            result = gr.HTML(elem_id="usi-result")
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False,
                                 elem_id="usi-table", visible=False)
            with gr.Row():
                radar = gr.HTML(elem_id="usi-radar")
                diagnosis = gr.HTML(elem_id="usi-diagnosis")
            feats = gr.HTML(elem_id="usi-features")

            def on_score(runs_path, survey_path, name, yard_name):
                try:
                    r = score_upload(runs_path, survey_path, name, yard_name, limit=limit)
                finally:
                    gone = discard_uploads([runs_path, survey_path])
                note = f"<p><em>{UPLOADS_GONE}</em></p>" if gone else ""
                return (r.message + note,
                        gr.update(value=r.rows or None, visible=r.ok),
                        img_html(r.radar, "the six terms against the human ceiling"),
                        img_html(r.features, "per-feature diagnosis"),
                        r.diagnosis, None, None)

            go.click(on_score, [runs, survey, label, yard],
                     [result, table, radar, feats, diagnosis, runs, survey],
                     api_name="score", concurrency_limit=SCORE_CONCURRENCY)
        with gr.Tab("About"):
            gr.Markdown(about_text(), elem_id="about")
    return app


def log_people() -> None:
    """One line in the log on whose people uploads are scored against (read now, once)."""
    if not os.environ.get(REFERENCE_ENV, "").strip():
        return
    try:
        ppl = current_people()
    except UsiError as exc:  # the release behind the fallback is unreadable too
        print(f"usi space: error: {exc}", file=sys.stderr, flush=True)
        return
    if ppl.problem:
        print(f"usi space: error: {ppl.problem}", file=sys.stderr, flush=True)
    else:
        print(f"usi space: uploads are scored against the human reference {ppl.setting}: "
              f"{reference_summary(ppl.reference)}", file=sys.stderr, flush=True)


def main() -> None:
    """Serve at ``$GRADIO_SERVER_NAME``:``$GRADIO_SERVER_PORT`` (default 127.0.0.1:7860)."""
    try:
        limit = upload_limit_bytes()
    except ValueError as exc:
        raise SystemExit(f"usi space: error: {exc}") from None
    import gradio as gr

    log_people()
    build_app(limit).launch(share=False, max_file_size=limit, theme=gr.themes.Default(),
                            footer_links=[])


if __name__ == "__main__":
    main()
