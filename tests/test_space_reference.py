"""The Space scores against a real human reference when ``USI_REFERENCE`` names one (issue 20,
item 7): a reference file's path, or a Hub dataset id whose ``reference`` config is downloaded
at start. No test touches the network: the Hub is a fake download function in-process and,
for the served app, a real HTTP server on 127.0.0.1 standing in for huggingface.co.

The people are a generated release's (``release_gen``: not the synthetic sample); the expected
numbers come from ``paper_reference`` (the independent scorer, from the raw transcripts).
A bad setting (missing file, a Parquet file that is no reference, a reference of other feature
definitions, a failed download, a value that is neither) is one line in the log and on the
page, and the Space falls back to the synthetic sample with its banner.
"""

from __future__ import annotations

import dataclasses
import html
import http.server
import importlib.util
import json
import math
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from paper_reference import HUMAN_ROW, score_release
from release_gen import make_release
from space_server import APP, http_get, serve

from usi_metric.reference import HumanReference
from usi_metric.samples import SYNTHETIC_NOTE, sample_release_dir

SEED = 5
HUB_FILE = "reference/test-00000-of-00001.parquet"  # where `usi dataset build` puts it


def shown(config: bytes) -> dict[str, str]:
    """The served page's components by ``elem_id``: their value as text (HTML unescaped)."""
    out = {}
    for c in json.loads(config)["components"]:
        props = c.get("props") or {}
        if props.get("elem_id"):
            out[props["elem_id"]] = html.unescape(json.dumps(props.get("value"),
                                                             ensure_ascii=False))
    return out


def load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("usi_space_app_ref", APP)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def app() -> ModuleType:
    return load_app()


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A generated release, its people saved as a reference (with the release's difficulty
    map stored), and the independent scorer's rows of it."""
    root = tmp_path_factory.mktemp("space_ref_release") / "acme-support-study"
    root.mkdir()
    diff = make_release(root, SEED)
    ref_file = tmp_path_factory.mktemp("space_ref") / "acme.parquet"
    HumanReference.from_release(root, difficulty=diff).save(ref_file)
    paper = {r["name"]: r for r in score_release(root, diff)}
    sims = [n for n, r in paper.items() if n != HUMAN_ROW and r["usi"] is not None
            and r["eval_agree"] is not None
            and (root / "survey_data" / f"survey_comparable_{n}.json").is_file()]
    assert sims, "the generated release must give a simulator with every term"
    return {"root": root, "ref": ref_file, "paper": paper, "sim": sims[0]}


def runs_and_survey(people: dict) -> tuple[Path, Path]:
    root, name = people["root"], people["sim"]
    return (root / "eval_results" / f"eval_results_{name}.json",
            root / "survey_data" / f"survey_comparable_{name}.json")


def cell_text(cell: tuple[float, float] | dict) -> str:
    mean, std = (cell["mean"], cell["std"]) if isinstance(cell, dict) else cell
    return f"{mean:.1f}±{std:.1f}"


def mean_of(cell: tuple[float, float] | dict) -> float:
    return cell["mean"] if isinstance(cell, dict) else cell[0]


# ----------------------------------------------------------------------------- in-process


def test_a_reference_file_is_what_uploads_are_scored_against(app: ModuleType,
                                                              people: dict) -> None:
    ppl = app.resolve_people(str(people["ref"]), sample_release_dir())
    assert ppl.real and ppl.problem is None
    runs, survey = runs_and_survey(people)
    res = app.score_upload(str(runs), str(survey), label=people["sim"],
                           yardstick_name="reference", people=ppl)
    assert res.ok, res.message
    want = people["paper"][people["sim"]]["usi"]
    assert math.isclose(res.usi, mean_of(want), rel_tol=0, abs_tol=1e-9)
    human = people["paper"][HUMAN_ROW]
    assert res.rows[0][0] == HUMAN_ROW and res.rows[0][-1] == cell_text(human["usi"])
    assert res.rows[1][5] == cell_text(people["paper"][people["sim"]]["eval_agree"])
    text = html.unescape(res.message)
    # the page says which people: the source and the counts of the reference's provenance
    counts = HumanReference.load(people["ref"]).provenance["counts"]
    assert "release acme-support-study: " in text
    assert f"{counts['sessions']} sessions ({counts['kept']} kept) over {counts['tasks']} " \
           "tasks in batches 1, 2, 3, with a second person's survey" in text
    assert str(people["ref"]) in text
    assert "SYNTHETIC" not in text and "Human ceiling on these people" in text
    assert "Yardstick: map stored in the reference" in text


def test_the_leaderboard_tab_shows_the_reference_s_human_ceiling(
        app: ModuleType, people: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USI_REFERENCE", str(people["ref"]))
    monkeypatch.delenv("USI_DATA_DIR", raising=False)
    view = app.leaderboard_view()
    assert view.rows == [[HUMAN_ROW] + [
        "—" if people["paper"][HUMAN_ROW][k] is None else _fmt(k, people["paper"][HUMAN_ROW][k])
        for k in ("D1_conv", "D2_info", "D3_clarif", "D4_react", "eval_agree", "ece", "usi")]]
    assert "SYNTHETIC" not in view.note and "no simulator runs" in view.note
    assert "acme-support-study" in view.note and view.chart == ""


def _fmt(key: str, cell: tuple[float, float] | dict) -> str:
    mean, std = (cell["mean"], cell["std"]) if isinstance(cell, dict) else cell
    return f"{mean:.3f}±{std:.3f}" if key == "ece" else f"{mean:.1f}±{std:.1f}"


def test_the_yardsticks_offered_follow_the_people(app: ModuleType, people: dict,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("USI_DATA_DIR", raising=False)
    real = app.resolve_people(str(people["ref"]), sample_release_dir())
    assert list(app.yardsticks(real)) == ["published", "self", "reference"]
    sample = app.resolve_people("", sample_release_dir())
    assert list(app.yardsticks(sample)) == ["published", "release", "self"]
    runs, _ = runs_and_survey(people)
    res = app.score_upload(str(runs), yardstick_name="release", people=real)
    assert not res.ok and "choose one of published, self, reference" in res.message


def test_a_hub_dataset_id_is_downloaded_once_by_the_download_function(
        app: ModuleType, people: dict) -> None:
    calls = []

    def fake_download(repo: str, revision: str | None) -> str:
        calls.append((repo, revision))
        return str(people["ref"])

    ppl = app.resolve_people("acme/support-people@v2", sample_release_dir(), fake_download)
    assert calls == [("acme/support-people", "v2")]
    assert ppl.real and ppl.problem is None and "acme-support-study" in ppl.note
    app.resolve_people("cmu-lti/tau-usi", sample_release_dir(), fake_download)
    assert calls[-1] == ("cmu-lti/tau-usi", None)


def _foreign_parquet(folder: Path) -> Path:
    p = folder / "foreign.parquet"
    pq.write_table(pa.table({"id": ["airline_1"], "x": [1.0]}), p)
    return p


def _other_definitions(folder: Path, people: dict) -> Path:
    ref = HumanReference.load(people["ref"])
    old = dataclasses.replace(ref, provenance=dict(ref.provenance, feature_version="0"))
    return old.save(folder / "old.parquet")


def _failed_download(repo: str, revision: str | None) -> str:
    from usi_metric.errors import UsiError

    raise UsiError("cannot download reference/test-00000-of-00001.parquet (its reference "
                   "config) (GatedRepoError: 401)", file=f"hf://datasets/{repo}")


BAD = {
    "missing file": (lambda d, p: str(d / "nope.parquet"), "file not found"),
    "foreign Parquet": (lambda d, p: str(_foreign_parquet(d)),
                        "a Parquet file but not a human reference"),
    "other feature version": (lambda d, p: str(_other_definitions(d, p)),
                              "made under feature definitions version 0"),
    "failed download": (lambda d, p: "cmu-lti/tau-usi", "GatedRepoError: 401"),
    "neither": (lambda d, p: "people please", "neither a reference file nor a Hub dataset"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_setting_falls_back_to_the_synthetic_sample_and_says_why(
        app: ModuleType, people: dict, tmp_path: Path, case) -> None:
    make, needle = case
    setting = make(tmp_path, people)
    ppl = app.resolve_people(setting, sample_release_dir(), _failed_download)
    assert not ppl.real and ppl.reference.provenance["synthetic"] is True
    assert ppl.problem.startswith("USI_REFERENCE was not used: ") and "\n" not in ppl.problem
    assert needle in ppl.problem
    assert ppl.problem.endswith("uploads are scored against the people of the SYNTHETIC "
                                "sample instead")
    note = html.unescape(ppl.note)
    assert ppl.problem in note and SYNTHETIC_NOTE in note  # the banner stays
    res = app.score_upload(str(sample_release_dir() / "eval_results" /
                               "eval_results_synth-terse.json"), people=ppl)
    assert res.ok and SYNTHETIC_NOTE in html.unescape(res.message)
    assert ppl.problem in html.unescape(res.message)


# ----------------------------------------------------------------------------- served


def test_the_served_space_scores_against_a_reference_file(people: dict) -> None:
    from gradio_client import Client, handle_file

    runs, survey = runs_and_survey(people)
    with serve(env={"USI_REFERENCE": str(people["ref"])}) as server:
        status, config = http_get(server.url + "config")
        assert status == 200
        page = shown(config)
        for where in ("lb-note", "upload-people"):
            assert "acme-support-study" in page[where] and "SYNTHETIC" not in page[where]
        assert cell_text(people["paper"][HUMAN_ROW]["usi"]) in page["lb-table"]  # ceiling
        client = Client(server.url, verbose=False, download_files=False)
        out = client.predict(handle_file(str(runs)), handle_file(str(survey)), "mine",
                             "reference", api_name="/score")
    want = people["paper"][people["sim"]]["usi"]
    assert f"USI of mine: {want[0]:.1f} ± {want[1]:.1f}" in out[0], out[0]
    log = [ln for ln in server.lines if ln.startswith("usi space:")]
    assert len(log) == 1 and log[0].startswith(
        f"usi space: uploads are scored against the human reference {people['ref']}: "
        "release acme-support-study: "), server.log()


def test_the_served_space_with_a_bad_setting_starts_and_says_it_once(tmp_path: Path) -> None:
    missing = tmp_path / "acme.parquet"
    with serve(env={"USI_REFERENCE": str(missing)}) as server:
        status, config = http_get(server.url + "config")
        page = shown(config)
    assert status == 200
    line = (f"USI_REFERENCE was not used: {missing}: file not found; uploads are scored "
            "against the people of the SYNTHETIC sample instead")
    assert [ln for ln in server.lines if ln.startswith("usi space:")] == [
        f"usi space: error: {line}\n"], server.log()
    for where in ("lb-note", "upload-people"):
        assert line in page[where] and SYNTHETIC_NOTE in page[where]
    assert "synth-terse" in page["lb-table"]  # the synthetic sample's leaderboard


class _HubFiles(http.server.BaseHTTPRequestHandler):
    """``/datasets/<repo>/resolve/<revision>/<file>`` -> the bytes of ``files``."""

    files: dict[str, bytes]
    seen: list[str]

    def _answer(self, body: bool) -> None:
        self.seen.append(f"{self.command} {self.path}")
        data = self.files.get(self.path.split("?", 1)[0])
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"{len(data)}"')
        self.send_header("X-Repo-Commit", "0" * 40)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def hub(people: dict) -> Iterator[tuple[str, type[_HubFiles]]]:
    files = {f"/datasets/acme/support-people/resolve/main/{HUB_FILE}":
             people["ref"].read_bytes()}
    handler = type("Handler", (_HubFiles,), {"files": files, "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_served_space_downloads_a_hub_reference_at_start(people: dict, hub,
                                                            tmp_path: Path) -> None:
    endpoint, handler = hub
    env = {"USI_REFERENCE": "acme/support-people", "HF_ENDPOINT": endpoint,
           "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}
    with serve(env=env) as server:
        status, config = http_get(server.url + "config")
        page = shown(config)
        http_get(server.url)  # a second page load reads nothing from the Hub again
    assert status == 200
    assert "acme-support-study" in page["lb-note"] and "SYNTHETIC" not in page["lb-note"]
    got = f"GET /datasets/acme/support-people/resolve/main/{HUB_FILE}"
    assert handler.seen.count(got) == 1, handler.seen  # read once, at start
    assert re.search(r"^usi space: uploads are scored against the human reference "
                     r"acme/support-people: release acme-support-study: ", server.log(),
                     re.M), server.log()


def test_the_card_documents_the_setting(app: ModuleType) -> None:
    from space_server import SPACE

    text = " ".join((SPACE / "README.md").read_text("utf-8").split())
    assert f"**Real people: `{app.REFERENCE_ENV}`.**" in text
    assert "the Space still starts: one line in its log and at the top of both tabs" in text

