"""The one Space (``hub_cards/space/app.py``) in a real browser, and its functions without one.

Debian's chromium, driven by Playwright, on loopback (``make test`` installs chromium first,
scripts/install_browser.sh; without it this test FAILS on purpose). The app runs in a
subprocess exactly as on a Space (``python app.py``, see ``space_server.py``) and is stopped
at the end. Screenshots go to ``$USI_SCREENSHOT_DIR`` when it is set.

Expected numbers come from the library's scoring functions and from the sample files read
with plain ``json``, not from the app.
"""

from __future__ import annotations

import base64
import doctest
import importlib.util
import json
import os
import re
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest
from space_server import APP, CHROMIUM, CHROMIUM_ARGS, serve

from usi_metric.io import load_release, load_simulator, load_survey
from usi_metric.samples import new_simulator_dir, sample_release_dir
from usi_metric.scoring import human_ceiling, published_difficulty, score_simulator

RUNS = new_simulator_dir() / "runs.json"
SURVEY = new_simulator_dir() / "survey.json"
PUBLISHED_JSON = Path(sys.modules["usi_metric"].__file__).parent / "data" / \
    "published_difficulty.json"
LIMIT_MB = "0.25"  # the browser server's upload limit: the sample files are under it
SHOTS = os.environ.get("USI_SCREENSHOT_DIR")
HOSTILE = '<b>mine</b> & "co" <img src=x onerror=alert(1)>'


def load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("usi_space_app", APP)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def expected_usi_text(runs: Path = RUNS, survey: Path | None = None) -> str:
    """What ``usi score RUNS --data-dir SAMPLE`` gives (the published yardstick)."""
    release = load_release(sample_release_dir())
    row = score_simulator(load_simulator(runs), release.humans, published_difficulty(),
                          load_survey(survey) if survey else None)
    usi = row.cells["usi"]
    assert usi is not None
    return f"{usi.mean:.1f} ± {usi.std:.1f}"


def task_counts(runs: Path) -> tuple[int, int]:
    """(tasks of a runs file, those not in the published map), with plain ``json``."""
    records = json.loads(runs.read_text("utf-8"))["results"]
    tasks = {r["instance_id"] for r in records}
    published = set(json.loads(PUBLISHED_JSON.read_text("utf-8"))["difficulty"])
    return len(tasks), len(tasks - published)


def shown_file(name: str) -> re.Pattern[str]:
    """A file name as Gradio's file box shows it: stem and extension are two spans, so the
    element's text reads "runs.json" or, in some layouts, "runs .json"."""
    stem, ext = name.rsplit(".", 1)
    return re.compile(re.escape(stem) + r"\s*\." + re.escape(ext))


def test_leaderboard_upload_and_oversized_upload_in_a_browser(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), "chromium is missing: run `bash scripts/install_browser.sh`"
    want = expected_usi_text()
    n_tasks, outside = task_counts(RUNS)
    assert (n_tasks, outside) == (58, 0)
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    big = tmp_path / "big_runs.json"  # a valid runs file, pretty-printed over the limit
    big.write_text(json.dumps(json.loads(RUNS.read_text("utf-8")), indent=6), "utf-8")
    assert big.stat().st_size > float(LIMIT_MB) * 2**20 > RUNS.stat().st_size
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with serve(env={"USI_MAX_UPLOAD_MB": LIMIT_MB}) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)  # a scoring takes seconds on a busy machine
            page.goto(server.url)
            # leaderboard tab: the bundled sample, labelled SYNTHETIC
            expect(page.locator("#lb-table")).to_contain_text("Human (inter-ann.)")
            expect(page.locator("#lb-table")).to_contain_text("synth-terse")
            expect(page.locator("#lb-note")).to_contain_text("SYNTHETIC DATA")
            page.wait_for_function("() => { const i = document.querySelector('#lb-plot img');"
                                   " return i !== null && i.complete && i.naturalWidth > 300; }")
            page.screenshot(path=str(shots / "space_leaderboard.png"), full_page=True)

            page.get_by_role("tab", name="Score your simulator").click()
            expect(page.locator("#upload-help")).to_contain_text(f"Limit: {LIMIT_MB} MB")
            # an oversized upload is refused by gradio before the app sees it
            page.locator("#runs-file input[type=file]").set_input_files(str(big))
            expect(page.get_by_text("exceed the maximum allowed size")).to_be_visible()
            expect(page.get_by_text("big_runs.json", exact=False).first).to_be_visible()
            page.screenshot(path=str(shots / "space_oversized.png"), full_page=True)
            page.locator("#score-button").click()  # nothing was uploaded
            result = page.locator("#usi-result")
            expect(result).to_contain_text("Error: upload a runs JSON file first")

            # the bundled NEW simulator, with a label full of markup
            page.locator("#runs-file input[type=file]").set_input_files(str(RUNS))
            expect(page.locator("#runs-file")).to_contain_text(shown_file("runs.json"))
            page.locator("#sim-label textarea, #sim-label input").first.fill(HOSTILE)
            page.locator("#score-button").click()
            expect(result).to_contain_text(f"USI of {HOSTILE}: {want}")
            expect(result).to_contain_text(
                f"Yardstick: published (165 tasks with a difficulty); every one of the "
                f"{n_tasks} tasks of the runs has one.")
            assert page.locator("#usi-result b, #usi-result img, #usi-table b").count() == 0
            expect(page.locator("#usi-table")).to_contain_text("Human (inter-ann.)")
            expect(page.locator("#usi-table")).to_contain_text(HOSTILE)
            for box in ("#usi-radar", "#usi-features"):
                page.wait_for_function(f"() => {{ const i = document.querySelector('{box} img');"
                                       " return i !== null && i.complete && "
                                       "i.naturalWidth > 300; }")
            expect(page.locator("#usi-diagnosis")).to_contain_text("for humans:")
            expect(result).to_contain_text("deleted from the server once scored")
            runs_box = page.locator("#runs-file")
            expect(runs_box).not_to_contain_text(shown_file("runs.json"))  # cleared
            page.screenshot(path=str(shots / "space_score.png"), full_page=True)

            # a broken file: a readable one-line message, never a traceback
            page.locator("#runs-file input[type=file]").set_input_files(str(bad))
            expect(page.locator("#runs-file")).to_contain_text(shown_file("broken.json"))
            page.locator("#score-button").click()
            expect(result).to_contain_text("Error: broken.json: malformed JSON")
            expect(result).not_to_contain_text("Traceback")
            assert page.locator("#usi-radar img").count() == 0
        finally:
            browser.close()


# ----------------------------------------------------------------------------- no browser


def png_of(uri: str | None) -> bytes:
    assert uri is not None and uri.startswith("data:image/png;base64,")
    return base64.b64decode(uri.split(",", 1)[1])


def test_app_functions_without_a_browser(tmp_path: Path) -> None:
    app = load_app()
    view = app.leaderboard_view()
    assert view.rows[0][0] == "Human (inter-ann.)" and "SYNTHETIC DATA" in view.note
    assert 'src="data:image/png;base64,' in view.chart
    assert not app.score_upload(None).ok
    bad = tmp_path / "runs.json"
    bad.write_text('{"airline_0": {"conversation": [], "reward": "high"}}', encoding="utf-8")
    res = app.score_upload(str(bad))
    assert not res.ok and res.radar is None
    assert res.message == ('<p class="usi-error"><strong>Error:</strong> runs.json: id '
                           "airline_0: field reward: must be a number or null, got str</p>")
    ok = app.score_upload(str(RUNS))
    assert ok.ok and f"USI of runs: {expected_usi_text()}" in ok.message
    assert ok.yardstick == {"source": "published", "n_tasks_with_difficulty": 165,
                            "n_tasks_scored": 58, "n_tasks_outside": 0}
    assert ok.rows[0][0] == "Human (inter-ann.)" and ok.rows[1][0] == "runs"
    release = load_release(sample_release_dir())
    ceiling = human_ceiling(release.humans, published_difficulty(), release.human_eval)
    assert ok.rows[0][-1] == f"{ceiling.cells['usi'].mean:.1f}±{ceiling.cells['usi'].std:.1f}"
    assert png_of(ok.radar)[:4] == b"\x89PNG" and png_of(ok.features)[:4] == b"\x89PNG"
    assert "No survey file" in ok.message and ok.rows[1][5] == "—"
    with_eval = app.score_upload(str(RUNS), str(SURVEY), label="mine")
    assert with_eval.ok and f"USI of mine: {expected_usi_text(survey=SURVEY)}" in \
        with_eval.message
    assert with_eval.rows[1][0] == "mine" and with_eval.rows[1][5] != "—"


def test_the_yardstick_line_counts_the_tasks_outside_it(tmp_path: Path) -> None:
    app = load_app()
    data = json.loads(RUNS.read_text("utf-8"))
    extra = [dict(r, instance_id="airline_50") for r in data["results"]
             if r["instance_id"] == "airline_7"]  # the published map has airline 0-49
    assert len(extra) == 3
    runs = tmp_path / "runs_plus.json"
    runs.write_text(json.dumps({"results": data["results"] + extra}), "utf-8")
    n_tasks, outside = task_counts(runs)
    assert (n_tasks, outside) == (59, 1)
    res = app.score_upload(str(runs))
    assert res.ok and res.yardstick["n_tasks_outside"] == 1
    assert ("Yardstick: published (165 tasks with a difficulty); 1 of the 59 tasks of the "
            "runs has none.") in res.message
    assert f"USI of runs_plus: {expected_usi_text(runs)}" in res.message
    release_yard = app.score_upload(str(runs), yardstick_name="release")
    assert release_yard.ok and release_yard.yardstick["source"] == "release simulators"
    self_yard = app.score_upload(str(runs), yardstick_name="self")  # 3 runs < 10 per task
    assert not self_yard.ok and "choose the &#x27;published&#x27; or &#x27;release&#x27;" \
        in self_yard.message


def test_user_text_is_escaped_and_sizes_are_checked_before_parsing(tmp_path: Path) -> None:
    app = load_app()
    res = app.score_upload(str(RUNS), label=HOSTILE + "\ud800")
    assert res.ok
    assert "<b>" not in res.message and "<img" not in res.message
    assert "USI of &lt;b&gt;mine&lt;/b&gt; &amp; &quot;co&quot; &lt;img src=x " \
           "onerror=alert(1)&gt;?:" in res.message
    assert res.rows[1][0] == HOSTILE + "?"  # table cells are text, shown as they are
    named = tmp_path / "<script>alert(1)<\\script>.json"
    named.write_text('{"airline_0": 3}', "utf-8")
    err = app.score_upload(str(named))
    assert not err.ok and "<script>" not in err.message and "&lt;script&gt;" in err.message
    # over the limit: refused from the size on disk; the JSON is never read
    huge = tmp_path / "huge.json"
    huge.write_text("{" + " " * 5000, "utf-8")  # malformed: parsing it would say so
    over = app.score_upload(str(huge), limit=4096)
    assert not over.ok and "huge.json is 4.88 KB, over this Space&#x27;s upload limit of " \
        "4 KB per file" in over.message
    big_survey = tmp_path / "survey.json"
    big_survey.write_text("{" + " " * RUNS.stat().st_size, "utf-8")  # 1 byte bigger
    survey_over = app.score_upload(str(RUNS), str(big_survey), limit=RUNS.stat().st_size)
    assert not survey_over.ok and survey_over.message.startswith(
        '<p class="usi-error"><strong>Error:</strong> survey.json is ')


class OwnedLock:
    """A lock that knows which thread holds it (``threading.Lock`` only says *whether* some
    thread does, so a check through ``locked()`` races with the other threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
        return got

    def release(self) -> None:
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def held_by_me(self) -> bool:
        return self.owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def test_no_lock_is_held_while_an_upload_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a thread reads an upload it holds neither the release cache's lock nor the
    drawing lock (other threads may hold them meanwhile: that is the point)."""
    app = load_app()
    app.leaderboard_view()  # the release is in the shared cache
    cache_lock, draw_lock = OwnedLock(), OwnedLock()
    monkeypatch.setattr(app, "_CACHE_LOCK", cache_lock)
    monkeypatch.setattr(app, "_DRAW_LOCK", draw_lock)
    seen: list[tuple[bool, bool]] = []
    real = app.load_simulator

    def spy(*args, **kwargs):
        seen.append((cache_lock.held_by_me(), draw_lock.held_by_me()))
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "load_simulator", spy)
    results = []
    threads = [threading.Thread(target=lambda: results.append(app.score_upload(str(RUNS))))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [(False, False)] * 3
    assert len({r.message for r in results}) == 1 and results[0].ok


def test_the_owned_lock_sees_its_own_thread_only() -> None:
    """The check above can fail: a thread holding the lock is seen, another is not."""
    lock = OwnedLock()
    with lock:
        assert lock.held_by_me()
        other: list[bool] = []
        t = threading.Thread(target=lambda: other.append(lock.held_by_me()))
        t.start()
        t.join()
        assert other == [False]
    assert not lock.held_by_me() and not lock.locked()


def test_about_tab_shows_the_metric_card(tmp_path: Path) -> None:
    app = load_app()
    assert app.metric_card_path() == APP.parent / "README.md"
    about = app.about_text()
    assert about.startswith("# Metric Card for USI") and "sdk_version" not in about
    assert app.about_text(tmp_path / "missing.md").startswith("## About the USI")
    card = tmp_path / "README.md"
    card.write_text("---\ntitle: USI\nsdk: gradio\n---\n\n# Metric Card\nhello\n", "utf-8")
    assert app.about_text(card) == "# Metric Card\nhello"


def test_the_apps_docstring_examples_run() -> None:
    result = doctest.testmod(load_app(), optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0
