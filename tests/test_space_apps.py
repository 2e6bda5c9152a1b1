"""Every ``app.py`` under ``hub_cards/`` starts offline and serves its page; the Space keeps
no per-request files, refuses an oversized upload before it is stored, and says what is wrong
with a bad setting in one line.

Each test runs the app in a subprocess as a Space does (``space_server.serve``: loopback, a
free port, ``GRADIO_ANALYTICS_ENABLED=False``, ``HF_HUB_OFFLINE=1``) and stops it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from space_server import ROOT, http_get, offline_env, serve

from usi_metric.samples import new_simulator_dir

APPS = sorted((ROOT / "hub_cards").rglob("app.py"))
RUNS = new_simulator_dir() / "runs.json"


def test_the_one_space_is_the_only_app() -> None:
    assert [p.relative_to(ROOT).as_posix() for p in APPS] == ["hub_cards/space/app.py"]


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.parent.name)
def test_every_app_starts_offline_and_serves_its_page(app: Path, tmp_path: Path) -> None:
    with serve(app, cwd=tmp_path) as server:  # an unrelated working folder
        status, body = http_get(server.url)
        assert status == 200
        assert "USI: how human is your user simulator?" in body.decode("utf-8", "replace")
        config_status, config = http_get(server.url + "config")
        assert config_status == 200
        conf = json.loads(config)
        assert conf["title"] == "USI: how human is your user simulator?"
        assert "Human (inter-ann.)" in config.decode("utf-8")  # the leaderboard's rows
    assert server.proc.returncode is not None  # stopped


def tree_bytes(folder: Path) -> tuple[int, list[str]]:
    """(bytes in the files under ``folder``, the non-empty files' relative paths)."""
    total, names = 0, []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            size = p.stat().st_size
            total += size
            if size:
                names.append(p.relative_to(folder).as_posix())
    return total, names


def test_twenty_scorings_leave_the_temp_space_as_it_was(tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    gradio_tmp, app_tmp = tmp_path / "gradio", tmp_path / "tmp"
    gradio_tmp.mkdir()
    app_tmp.mkdir()
    data = json.loads(RUNS.read_text("utf-8"))
    uploads = []
    for i in range(20):  # twenty different files (gradio stores uploads by content hash)
        p = tmp_path / "uploads" / f"runs_{i:02d}.json"
        p.parent.mkdir(exist_ok=True)
        p.write_text(json.dumps(data, indent=i % 4) + " " * i, "utf-8")
        uploads.append(p)
    env = {"GRADIO_TEMP_DIR": str(gradio_tmp), "TMPDIR": str(app_tmp),
           "MPLCONFIGDIR": str(tmp_path / "mpl")}
    with serve(env=env) as server:
        client = Client(server.url, verbose=False, download_files=False)
        sizes = []
        for i, path in enumerate(uploads):
            out = client.predict(handle_file(str(path)), None, f"sim {i}", "published",
                                 api_name="/score")
            assert f"USI of sim {i}: " in out[0], out[0]
            assert "data:image/png;base64," in out[2]
            sizes.append((tree_bytes(gradio_tmp), tree_bytes(app_tmp)))
        # nothing a scoring made is kept: no upload, no PNG, in gradio's folder or the app's
        assert sizes[0] == ((0, []), (0, [])), sizes[0]
        assert all(s == sizes[0] for s in sizes), sizes
    assert tree_bytes(gradio_tmp) == (0, []) and tree_bytes(app_tmp) == (0, [])


def test_an_oversized_upload_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    gradio_tmp = tmp_path / "gradio"
    gradio_tmp.mkdir()
    limit = 0.25 * 2**20
    big = tmp_path / "big.json"
    big.write_text(json.dumps(json.loads(RUNS.read_text("utf-8")), indent=6), "utf-8")
    assert big.stat().st_size > limit > RUNS.stat().st_size
    with serve(env={"USI_MAX_UPLOAD_MB": "0.25", "GRADIO_TEMP_DIR": str(gradio_tmp)}) as server:
        for path, status in ((big, 413), (RUNS, 200)):
            boundary = uuid.uuid4().hex
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                    f"filename=\"{path.name}\"\r\nContent-Type: application/json\r\n\r\n"
                    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
            req = urllib.request.Request(server.url + "gradio_api/upload", data=body,
                                         method="POST", headers={
                                             "Content-Type": "multipart/form-data; "
                                                             f"boundary={boundary}"})
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(req, timeout=60) as resp:
                    got, text = resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                got, text = exc.code, exc.read().decode()
            assert got == status, text
            if status == 413:
                assert "exceeded maximum allowed size of 262144 bytes" in text
                assert tree_bytes(gradio_tmp)[1] == []  # nothing of it was kept
            else:
                assert json.loads(text)[0].endswith("/runs.json")


def test_a_bad_upload_limit_setting_is_one_line(tmp_path: Path) -> None:
    env = offline_env({"USI_MAX_UPLOAD_MB": "lots"})
    proc = subprocess.run([sys.executable, str(APPS[0])], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert proc.stderr == ("usi space: error: USI_MAX_UPLOAD_MB must be a positive number of "
                           "MB, got 'lots'\n")
    assert os.listdir(tmp_path) == []
