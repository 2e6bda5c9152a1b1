"""The Gradio Space in a real browser: Debian's chromium, driven by Playwright, on loopback.

``make test`` installs chromium first (scripts/install_browser.sh); without it this test
FAILS on purpose. The app runs in a subprocess exactly as on a Space
(``python hub_cards/usi_space/app.py`` with ``GRADIO_SERVER_PORT``); the server is stopped at
the end. Also: the app's functions without a browser.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from usi_metric.io import load_release, load_simulator, load_survey
from usi_metric.samples import new_simulator_dir, sample_release_dir
from usi_metric.scoring import resolve_difficulty, score_simulator

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "hub_cards" / "usi_space" / "app.py"
RUNS = new_simulator_dir() / "runs.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]
STARTUP_TIMEOUT_S = 90.0
SHOTS = os.environ.get("USI_SCREENSHOT_DIR")  # set to keep the screenshots somewhere


def load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("usi_space_app", APP)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def expected_usi_text(survey: Path | None = None) -> str:
    """What ``usi score RUNS --data-dir SAMPLE`` gives (difficulty pooled over the release)."""
    release = load_release(sample_release_dir())
    row = score_simulator(load_simulator(RUNS), release.humans,
                          resolve_difficulty(release, "release"),
                          load_survey(survey) if survey else None)
    usi = row.cells["usi"]
    assert usi is not None
    return f"{usi.mean:.1f} ± {usi.std:.1f}"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app in a subprocess on a free loopback port; yields its URL, then stops it."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "PYTHONUNBUFFERED": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("USI_DATA_DIR", None)
    proc = subprocess.Popen([sys.executable, str(APP)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail("the app did not start in time:\n" + "".join(seen))
            if line is None:
                pytest.fail(f"the app exited ({proc.poll()}):\n" + "".join(seen))
            seen.append(line)
            if "Running on local URL" in line:
                break
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_upload_runs_shows_usi_and_plot(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), "chromium is missing: run `bash scripts/install_browser.sh`"
    assert RUNS.is_file(), f"missing sample runs file {RUNS}"
    want = expected_usi_text()
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(server)
            # leaderboard tab: the bundled sample, labelled synthetic
            expect(page.locator("#lb-table")).to_contain_text("Human (inter-ann.)")
            expect(page.locator("#lb-note")).to_contain_text("SYNTHETIC")
            page.screenshot(path=str(shots / "space_leaderboard.png"), full_page=True)

            page.get_by_role("tab", name="Score your simulator").click()
            page.locator("#runs-file input[type=file]").set_input_files(str(RUNS))
            expect(page.locator("#runs-file")).to_contain_text("runs.json")
            page.locator("#score-button").click()
            result = page.locator("#usi-result")
            expect(result).to_contain_text(f"USI of runs: {want}")
            expect(page.locator("#usi-table")).to_contain_text("Human (inter-ann.)")
            radar = page.locator("#usi-radar img")
            expect(radar).to_be_visible()
            page.wait_for_function("() => { const i = document.querySelector('#usi-radar img');"
                                   " return i !== null && i.complete && i.naturalWidth > 200; }")
            expect(page.locator("#usi-features img")).to_be_visible()
            expect(page.locator("#usi-diagnosis")).to_contain_text("for humans:")
            page.screenshot(path=str(shots / "space_score.png"), full_page=True)

            # a broken file: a readable one-line message, never a traceback
            page.locator("#runs-file button[aria-label='Clear']").first.click()
            page.locator("#runs-file input[type=file]").set_input_files(str(bad))
            expect(page.locator("#runs-file")).to_contain_text("broken.json")
            page.locator("#score-button").click()
            expect(result).to_contain_text("Error: broken.json: malformed JSON")
            expect(result).not_to_contain_text("Traceback")
            expect(page.locator("#usi-radar")).to_be_hidden()
        finally:
            browser.close()


# ----------------------------------------------------------------------------- no browser


def test_app_functions_without_a_browser(tmp_path: Path) -> None:
    app = load_app()
    view = app.leaderboard_view()
    assert view.rows[0][0] == "Human (inter-ann.)" and "SYNTHETIC" in view.note
    assert Path(view.image).read_bytes()[:4] == b"\x89PNG"
    assert not app.score_upload(None).ok
    bad = tmp_path / "runs.json"
    bad.write_text('{"airline_0": {"conversation": [], "reward": "high"}}', encoding="utf-8")
    res = app.score_upload(str(bad))
    assert not res.ok and res.radar is None
    assert res.message == "**Error:** runs.json: id airline_0: field reward: must be a number " \
        "or null, got str"
    ok = app.score_upload(str(RUNS))
    assert ok.ok and f"USI of runs: {expected_usi_text()}" in ok.message
    assert ok.rows[0][0] == "Human (inter-ann.)" and ok.rows[1][0] == "runs"
    assert Path(ok.radar).is_file() and Path(ok.features).is_file()
    assert "No survey file" in ok.message and ok.rows[1][5] == "—"
    survey = new_simulator_dir() / "survey.json"
    with_eval = app.score_upload(str(RUNS), str(survey), label="mine")
    assert with_eval.ok and f"USI of mine: {expected_usi_text(survey)}" in with_eval.message
    assert with_eval.rows[1][0] == "mine" and with_eval.rows[1][5] != "—"


def test_about_tab_falls_back_without_the_card(tmp_path: Path) -> None:
    app = load_app()
    assert app.about_text(tmp_path / "missing.md").startswith("## About the USI")
    card = tmp_path / "README.md"
    card.write_text("---\ntitle: USI\nsdk: gradio\n---\n\n# Metric Card\nhello\n", "utf-8")
    assert app.about_text(card) == "# Metric Card\nhello"


def test_space_readme_has_the_spaces_header() -> None:
    import yaml

    text = (APP.parent / "README.md").read_text("utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert {"title", "emoji", "colorFrom", "colorTo"} <= set(meta)
    assert "synthetic" in text.lower()
    reqs = (APP.parent / "requirements.txt").read_text("utf-8")
    assert "usi-metric" in reqs and "gradio" in reqs
