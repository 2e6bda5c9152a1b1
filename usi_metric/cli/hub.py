"""``usi register-evaluate``: make ``evaluate.load("usi")`` work offline, from any folder.

``evaluate`` 0.4.6 resolves a bare name like ``"usi"`` in this order (``evaluate/loading.py``,
``evaluation_module_factory``): a script ``./usi.py`` or ``./usi/usi.py`` in the working
folder; then the Hub Space ``evaluate-metric/usi`` (skipped when ``HF_EVALUATE_OFFLINE=1``,
and absent anyway); then its module cache, ``<HF_MODULES_CACHE>/evaluate_modules/metrics/
evaluate-metric--usi/<hash>/usi.py`` (the most recent ``<hash>``), where ``HF_MODULES_CACHE``
defaults to ``$HF_HOME/modules``. This command writes the metric script there, in the layout
``evaluate`` itself writes when it caches a Hub metric: nothing of ``evaluate`` is patched.

>>> cached_module_dir("/tmp/hf/modules").parts[-3:]
('evaluate_modules', 'metrics', 'evaluate-metric--usi')
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from usi_metric.errors import UsiError
from usi_metric.report.escape import for_terminal

DYNAMIC_MODULES = "evaluate_modules"  # evaluate.config.MODULE_NAME_FOR_DYNAMIC_MODULES
MODULE_TYPE_DIR = "metrics"  # evaluate's folder for metric modules
CACHED_NAME = "evaluate-metric--usi"  # what evaluate looks up for evaluate.load("usi")
SCRIPT = "usi.py"


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``usi`` parser."""
    p = sub.add_parser(
        "register-evaluate",
        help="one-time: make evaluate.load('usi') work offline, from any working folder",
        description="Install the usi metric script into evaluate's module cache "
        "(HF_MODULES_CACHE, default $HF_HOME/modules) so that evaluate.load('usi') finds it "
        "without the Hub. Run it again after upgrading usi-metric or changing HF_HOME.",
    )
    p.add_argument("--modules-cache", metavar="DIR",
                   help="evaluate's modules cache (default: evaluate's own: HF_MODULES_CACHE, "
                   "or $HF_HOME/modules)")
    p.set_defaults(func=cmd_register_evaluate)


def cached_module_dir(modules_cache: str | Path) -> Path:
    """Where ``evaluate`` looks for a cached ``usi`` metric in a modules cache."""
    return Path(modules_cache) / DYNAMIC_MODULES / MODULE_TYPE_DIR / CACHED_NAME


def _touch(path: Path) -> None:
    if not path.exists():
        path.write_text("", encoding="utf-8")


def install_module(modules_cache: str | Path | None = None) -> tuple[Path, list[Path]]:
    """Copy the metric script into ``evaluate``'s module cache; return (script, removed).

    The script goes to ``.../evaluate-metric--usi/<sha256 of its lines>/usi.py`` (evaluate's
    ``files_to_hash``), beside the ``__init__.py`` files evaluate creates; other versions in
    that folder are removed, so the one installed is the one ``evaluate`` picks.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     script, removed = install_module(cache)
    ...     print(script.parent.parent.name, script.name, removed)
    evaluate-metric--usi usi.py []
    """
    from evaluate import config
    from evaluate.loading import files_to_hash

    from usi_metric.hf.evaluate_metric import evaluate_module_path

    source = Path(evaluate_module_path())
    if not source.is_file():
        raise UsiError("the metric script is missing from the installed package",
                       file=str(source))
    cache = Path(modules_cache) if modules_cache is not None else Path(config.HF_MODULES_CACHE)
    digest = files_to_hash([str(source)])
    module_dir = cached_module_dir(cache)
    target_dir = module_dir / digest
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        for folder in (cache, cache / DYNAMIC_MODULES, module_dir.parent, module_dir,
                       target_dir):
            _touch(folder / "__init__.py")
        removed = []
        for old in sorted(module_dir.iterdir()):
            if old.is_dir() and len(old.name) == 64 and old.name != digest:
                shutil.rmtree(old)
                removed.append(old)
        target = target_dir / SCRIPT
        shutil.copyfile(source, target)
        os.utime(target)
        meta = {"original file path": str(source), "local file path": str(target)}
        (target_dir / "usi.json").write_text(json.dumps(meta), encoding="utf-8")
    except OSError as exc:
        raise UsiError(f"cannot write evaluate's module cache ({exc.strerror})",
                       file=str(exc.filename or cache)) from None
    return target, removed


def cmd_register_evaluate(args: argparse.Namespace) -> int:
    target, removed = install_module(args.modules_cache)
    for old in removed:
        print(f"removed an older registered version: {for_terminal(old)}")
    print(f"registered the usi metric for evaluate: {for_terminal(target)}")
    print("load it, offline and from any working folder, with:")
    print("  HF_EVALUATE_OFFLINE=1 python -c 'import evaluate; print(evaluate.load(\"usi\"))'")
    print("(without HF_EVALUATE_OFFLINE=1, evaluate first asks the Hub for evaluate-metric/usi, "
          "then falls back to this copy; a ./usi.py or ./usi/usi.py in the working folder "
          "takes precedence)")
    if args.modules_cache is not None:
        print(for_terminal(f"evaluate reads this cache only when "
                           f"HF_MODULES_CACHE={args.modules_cache}"))
    return 0
