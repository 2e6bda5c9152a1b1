"""Assemble the USI Space for upload (``make space``): ``dist/space/`` from ``hub_cards/space/``.

The Space's source is ``hub_cards/space/``: ``app.py``, ``requirements.txt``, and the metric's
card ``README.md`` and script ``usi.py`` (links to the packaged ones). The Spaces builder runs
``pip install -r requirements.txt`` with that one file mounted, before the rest of the Space
is copied in, so a requirement naming a file of the Space (``./usi_metric-...whl``,
``--find-links .``) cannot resolve there. The package therefore ships inside the Space: this
script builds the usi-metric wheel (``pip wheel --no-deps``) and unpacks it beside ``app.py``,
as pip installs a pure-Python wheel, so ``import usi_metric`` finds it (a script's folder is
the first entry of ``sys.path``). ``requirements.txt`` must list the wheel's own dependencies
(checked here). The wheel file is kept in the Space too, for people who want the package.

    python scripts/make_space.py [OUT_DIR]     # default dist/space; replaced when present
    hf upload <org>/usi dist/space . --repo-type space

>>> sorted(requirement_names(["numpy>=1.26,<3", "# note", "", "evaluate==0.4.6"]))
['evaluate', 'numpy']
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "hub_cards" / "space"
DEFAULT_OUT = ROOT / "dist" / "space"
SOURCES = ("pyproject.toml", "README.md", "usi_metric", "dataset_builder")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def requirement_names(lines: Iterable[str]) -> dict[str, Requirement]:
    """``{normalised name: requirement}`` of requirement lines (comments and blanks skipped)."""
    out = {}
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            req = Requirement(text)
            out[canonicalize_name(req.name)] = req
    return out


def copy_sources(dst: Path, root: Path = ROOT) -> Path:
    """Copy what the wheel is built from into ``dst`` (the build then writes nothing in the
    checkout)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=SKIP)
        else:
            shutil.copyfile(src, dst / name)
    return dst


def build_wheel(src: Path, wheel_dir: Path) -> Path:
    """Build the usi-metric wheel from a source tree (offline: no build isolation)."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
           "--quiet", "--wheel-dir", str(wheel_dir), str(src)]
    subprocess.run(cmd, check=True)
    wheels = sorted(wheel_dir.glob("usi_metric-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"make_space: expected one usi_metric wheel in {wheel_dir}, "
                         f"found {[w.name for w in wheels]}")
    return wheels[0]


def wheel_requirements(wheel: Path) -> dict[str, str]:
    """The wheel's ``Requires-Dist`` lines without extras (what the package itself needs)."""
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode("utf-8"))
    return requirement_names(r for r in meta.get_all("Requires-Dist") or []
                             if "extra ==" not in r)


def check_requirements(space: Path, wheel: Path) -> None:
    """``requirements.txt`` must name exactly the wheel's dependencies, with its bounds."""
    listed = requirement_names((space / "requirements.txt").read_text("utf-8").splitlines())
    need = wheel_requirements(wheel)
    differ = sorted(k for k in set(listed) | set(need)
                    if k not in listed or k not in need
                    or listed[k].specifier != need[k].specifier)
    if differ:
        names = ", ".join(str(need.get(k, k)) for k in differ)
        raise SystemExit("make_space: hub_cards/space/requirements.txt differs from the "
                         f"package's dependencies ({names})")


def assemble(out: Path, wheel: Path, space: Path = SPACE) -> Path:
    """Write the Space to ``out``: its files (links followed), the unpacked wheel and the
    wheel itself. ``out`` is built beside itself and swapped in whole."""
    check_requirements(space, wheel)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        stage.chmod(0o755)
        for item in sorted(space.iterdir()):
            if item.is_dir():
                shutil.copytree(item, stage / item.name, ignore=SKIP)
            elif item.name not in ("__pycache__",) and not item.name.endswith(".pyc"):
                shutil.copyfile(item, stage / item.name)  # follows the card/script links
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(stage)
        shutil.copyfile(wheel, stage / wheel.name)
        if out.exists():
            shutil.rmtree(out)
        stage.rename(out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[0]).resolve() if argv else DEFAULT_OUT
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(copy_sources(Path(tmp) / "src"), Path(tmp) / "wheel")
        assemble(out, wheel)
    print(f"wrote the Space to {out} (usi-metric from {wheel.name}); upload it with: "
          f"hf upload <org>/usi {out} . --repo-type space")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
