"""The Space as it is uploaded: its card is both an ``evaluate`` metric card and a Space card,
its requirements install with nothing but the file itself (as the Spaces builder runs them),
``make space`` (``scripts/make_space.py``) ships the package inside it, the assembled Space
serves its page with that copy, and ``evaluate.load("<org>/usi")`` resolves its script from a
Hub endpoint (a real HTTP server on loopback standing in for huggingface.co)."""

from __future__ import annotations

import doctest
import http.server
import importlib.util
import json
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import gradio
import pytest
import yaml
from minirelease import DIFFICULTY
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from space_server import ROOT, SPACE, http_get, offline_env, serve

from usi_metric import __version__
from usi_metric.hf.evaluate_inputs import evaluate_inputs
from usi_metric.hf.evaluate_metric import compute_usi

CARD = SPACE / "README.md"
MODULE_DIR = ROOT / "usi_metric" / "hf" / "evaluate_module"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
TIMEOUT = 300


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def front_matter(path: Path) -> dict:
    text = path.read_text("utf-8")
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert m, path
    return yaml.safe_load(m.group(1))


def requirement_lines(path: Path) -> list[str]:
    return [ln.split("#", 1)[0].strip() for ln in path.read_text("utf-8").splitlines()
            if ln.split("#", 1)[0].strip()]


# ----------------------------------------------------------------------------- the card


def test_the_card_is_a_metric_card_and_a_space_card() -> None:
    from huggingface_hub import SpaceCard

    meta = front_matter(CARD)
    assert CARD.resolve() == (MODULE_DIR / "README.md").resolve()  # one card, two jobs
    for key in ("title", "emoji", "colorFrom", "colorTo", "description", "short_description"):
        assert isinstance(meta[key], str) and meta[key].strip(), key
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["sdk_version"] == gradio.__version__  # the gradio the tests ran
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(
        meta["python_version"] + ".0")
    assert {"evaluate", "metric"} <= set(meta["tags"])
    assert len(meta["short_description"]) <= 60  # the Hub's limit
    card = SpaceCard.load(CARD)
    assert card.data.sdk == "gradio" and card.data.sdk_version == gradio.__version__
    assert card.data.python_version == meta["python_version"]
    assert card.data.app_file == "app.py"


def test_the_card_documents_the_upload_limit() -> None:
    spec = importlib.util.spec_from_file_location("space_app_limit", SPACE / "app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = app
    spec.loader.exec_module(app)
    text = CARD.read_text("utf-8")
    assert f"**{app.DEFAULT_LIMIT_MB:g} MB per file**" in text and app.LIMIT_ENV in text


# ----------------------------------------------------------------------------- requirements


def test_requirements_are_the_packages_dependencies_from_an_index() -> None:
    lines = requirement_lines(SPACE / "requirements.txt")
    assert lines and not any(ln.startswith(("-", ".", "/")) or "://" in ln or " @ " in ln
                             for ln in lines)  # nothing that needs the Space's other files
    listed = {Requirement(ln).name.lower(): Requirement(ln).specifier for ln in lines}
    deps = {Requirement(d).name.lower(): Requirement(d).specifier
            for d in PYPROJECT["project"]["dependencies"]}
    assert listed == deps
    assert "gradio" not in listed  # the Space installs gradio==sdk_version itself


def test_requirements_resolve_with_only_the_file_itself(tmp_path: Path) -> None:
    # the Spaces builder mounts requirements.txt alone and runs pip on it
    alone = tmp_path / "requirements.txt"
    alone.write_bytes((SPACE / "requirements.txt").read_bytes())
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                           "--disable-pip-version-check", "-r", str(alone)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("Requirement already satisfied") >= len(
        requirement_lines(alone))
    assert "Would install" not in proc.stdout


# ----------------------------------------------------------------------------- make space


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the wheel ``make space`` builds, the Space it assembles), in temp folders."""
    make_space = load_script("make_space")
    tmp = tmp_path_factory.mktemp("make_space")
    wheel = make_space.build_wheel(make_space.copy_sources(tmp / "src"), tmp / "wheel")
    yield wheel, make_space.assemble(tmp / "dist" / "space", wheel)


def test_the_wheel_installs_by_name_from_its_folder(built: tuple[Path, Path]) -> None:
    wheel, _ = built
    assert wheel.name == f"usi_metric-{__version__}-py3-none-any.whl"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                           "--no-deps", "--ignore-installed", "--disable-pip-version-check",
                           "--find-links", str(wheel.parent), f"usi-metric=={__version__}"],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Would install usi-metric-{__version__}" in proc.stdout


def test_the_assembled_space_holds_the_package(built: tuple[Path, Path]) -> None:
    wheel, space = built
    names = sorted(p.name for p in space.iterdir())
    assert names == sorted(["README.md", "app.py", "dataset_builder", "requirements.txt",
                            "usi.py", "usi_metric", f"usi_metric-{__version__}.dist-info",
                            wheel.name])
    for name in ("README.md", "usi.py"):  # real files with the packaged content
        assert not (space / name).is_symlink()
        assert (space / name).read_bytes() == (MODULE_DIR / name).read_bytes()
    assert (space / "app.py").read_bytes() == (SPACE / "app.py").read_bytes()
    assert (space / "usi_metric" / "data" / "published_difficulty.json").is_file()
    assert (space / "usi_metric" / "samples" / "synthetic_new_simulator" / "runs.json").is_file()
    assert not list(space.rglob("__pycache__"))
    code = ("import usi_metric, importlib.metadata as m; "
            "print(usi_metric.__file__); print(m.version('usi-metric'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=space, capture_output=True,
                          text=True, timeout=TIMEOUT, check=False, env=offline_env())
    assert proc.returncode == 0, proc.stderr
    where, version = proc.stdout.split()
    assert Path(where) == space / "usi_metric" / "__init__.py" and version == __version__


def test_the_assembled_space_serves_its_page(built: tuple[Path, Path]) -> None:
    _, space = built
    with serve(space / "app.py", cwd=space) as server:
        status, _ = http_get(server.url)
        assert status == 200
        config = json.loads(http_get(server.url + "config")[1])
        assert config["title"] == "USI: how human is your user simulator?"
        assert "SYNTHETIC DATA" in json.dumps(config)


def test_the_scripts_docstring_examples_run() -> None:
    result = doctest.testmod(load_script("make_space"))
    assert result.attempted >= 1 and result.failed == 0


def test_requirements_that_drift_from_the_package_stop_the_build(
        built: tuple[Path, Path], tmp_path: Path) -> None:
    wheel, _ = built
    make_space = load_script("make_space")
    src = tmp_path / "space"
    src.mkdir()
    for name in ("app.py", "README.md", "usi.py"):
        (src / name).write_bytes((SPACE / name).read_bytes())
    lines = (SPACE / "requirements.txt").read_text("utf-8").splitlines()
    (src / "requirements.txt").write_text(
        "\n".join(ln for ln in lines if not ln.startswith("scipy")) + "\n", "utf-8")
    with pytest.raises(SystemExit, match=r"differs from the package's dependencies "
                                         r"\(scipy>=1\.12\)"):
        make_space.assemble(tmp_path / "out", wheel, src)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- from the Hub


class _SpaceFiles(http.server.BaseHTTPRequestHandler):
    """``/spaces/<org>/<name>/resolve/main/<file>`` -> a file of the served Space folder."""

    folder: Path
    repo: str
    seen: list[str]

    def _file(self) -> Path | None:
        prefix = f"/spaces/{self.repo}/resolve/main/"
        if not self.path.startswith(prefix):
            return None
        target = self.folder / self.path[len(prefix):]
        return target if target.is_file() and target.parent == self.folder else None

    def _answer(self, body: bool) -> None:
        self.seen.append(f"{self.command} {self.path}")
        target = self._file()
        if target is None:
            self.send_error(404)
            return
        data = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"{len(data)}"')
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def log_message(self, *args: object) -> None:
        pass


LOAD_FROM_HUB = """
import json, sys
import evaluate
usi = evaluate.load(sys.argv[1])
print("MODULE", type(usi).__module__)
print("RESULT", json.dumps(usi.compute(**json.load(open(sys.argv[2]))), sort_keys=True))
"""


def test_evaluate_load_org_usi_resolves_the_spaces_script(
        built: tuple[Path, Path], tmp_path: Path, mini: Path) -> None:
    _, space = built
    handler = type("Handler", (_SpaceFiles,), {"folder": space, "repo": "test-org/usi",
                                               "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        kwargs = {**evaluate_inputs(mini, "s2"), "difficulty": DIFFICULTY}
        (tmp_path / "in.json").write_text(json.dumps(kwargs), "utf-8")
        env = offline_env({"HF_HOME": str(tmp_path / "hf"),
                           "HF_ENDPOINT": f"http://127.0.0.1:{httpd.server_port}",
                           "HF_EVALUATE_OFFLINE": "0", "HF_UPDATE_DOWNLOAD_COUNTS": "0"})
        proc = subprocess.run([sys.executable, "-c", LOAD_FROM_HUB, "test-org/usi",
                               str(tmp_path / "in.json")], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT, check=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert proc.returncode == 0, proc.stderr
    module = re.search(r"^MODULE (.+)$", proc.stdout, re.M).group(1)
    assert module.startswith("evaluate_modules.metrics.test-org--usi.")
    got = json.loads(re.search(r"^RESULT (.+)$", proc.stdout, re.M).group(1))
    assert got == json.loads(json.dumps(compute_usi(**kwargs)))
    assert "GET /spaces/test-org/usi/resolve/main/usi.py" in handler.seen
