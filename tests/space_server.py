"""Run a Space's ``app.py`` as a Space runs it, on loopback and offline, and stop it after.

``python app.py`` in a subprocess with ``GRADIO_SERVER_NAME=127.0.0.1``, a free
``GRADIO_SERVER_PORT``, ``GRADIO_ANALYTICS_ENABLED=False`` and the Hugging Face libraries
offline; ready when ``GET /`` answers 200. The server's output is kept for failure messages.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "hub_cards" / "space"
APP = SPACE / "app.py"
STARTUP_TIMEOUT_S = 180.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def offline_env(extra: Mapping[str, str] = ()) -> dict[str, str]:
    """This environment, offline, without a release override, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_", "GRADIO_", "USI_"))}
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_EVALUATE_OFFLINE="1", PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost")
    env.update(dict(extra))
    return env


def http_get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """``(status, body)`` of a GET on loopback (no proxy)."""
    try:
        with _DIRECT.open(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def log(self) -> str:
        return "".join(self.lines)


@contextmanager
def serve(app: Path = APP, *, cwd: Path | None = None,
          env: Mapping[str, str] = ()) -> Iterator[Server]:
    """Start ``python app`` on a free loopback port; yield once ``GET /`` is 200; stop it."""
    port = free_port()
    full_env = offline_env({"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
                            **dict(env)})
    proc = subprocess.Popen([sys.executable, str(app)], cwd=cwd or app.parent, env=full_env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", proc)
    done: queue.Queue[None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.lines.append(line)
        done.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                done.get(timeout=10)
                raise AssertionError(f"{app} exited ({proc.returncode}):\n{server.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{app} did not serve in time:\n{server.log()}")
            try:
                status, _ = http_get(server.url, timeout=5)
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.25)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
