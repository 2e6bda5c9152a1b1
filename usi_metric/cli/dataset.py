"""``usi dataset build`` (the raw release as a Hub-ready Parquet repo) and ``usi dataset
download`` (the raw release from the Hub, only when asked).

``dataset_builder`` (and so ``datasets``) is imported when a command runs, not when ``usi``
starts.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any

from usi_metric.io.layout import REPO_ID
from usi_metric.report.escape import for_terminal


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``usi`` parser."""
    p = sub.add_parser("dataset", help="the release as a typed Hub dataset (Parquet + card)",
                       description="Build the Hub-ready Parquet dataset repo of a raw release, "
                       f"or download the raw release ({REPO_ID}) when you ask for it.")
    dsub = p.add_subparsers(dest="dataset_command", metavar="SUBCOMMAND")
    dsub.required = True

    b = dsub.add_parser(
        "build", help="write the Parquet repo (4 configs + README.md card) of a raw release",
        description="Validate every file of RELEASE_DIR with usi_metric, featurize every "
        "session, and write OUT_DIR: Parquet shards per config (human, simulators, surveys), "
        "the people as a human reference without any text (config reference: the file of "
        "usi reference build --data-dir) and a README.md card whose YAML declares them "
        "(load_dataset(OUT_DIR, 'human') works offline). A bad file stops the build and "
        "leaves nothing behind.")
    b.add_argument("release_dir", metavar="RELEASE_DIR", help="raw release (tau-usi layout)")
    b.add_argument("out_dir", metavar="OUT_DIR", help="where to write the dataset repo")
    b.add_argument("--overwrite", action="store_true",
                   help="replace OUT_DIR when it holds a previous build")
    b.add_argument("--max-shard-mb", type=float, default=256.0, metavar="MB",
                   help="split a config into Parquet shards of about this many MB of Arrow "
                   "data (default 256)")
    b.add_argument("--card-template", metavar="README.md",
                   help="card template (default: hub_cards/dataset/README.md)")
    b.set_defaults(func=cmd_build)

    d = dsub.add_parser(
        "download", help=f"download the raw JSON release from the Hub ({REPO_ID})",
        description=f"Download the raw JSON files of {REPO_ID} with huggingface_hub (network; "
        "a gated dataset needs `hf auth login`). Prints the release folder.")
    d.add_argument("--local-dir", metavar="DIR",
                   help="download into DIR (default: the huggingface_hub cache)")
    d.add_argument("--revision", help="a branch, tag or commit of the dataset repo")
    d.set_defaults(func=cmd_download)


def _progress(total: int) -> tuple[Any, Callable[[str, str], None] | None]:
    """A rich progress bar over the files when stdout is a terminal, else nothing."""
    if not sys.stdout.isatty():
        return None, None
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   transient=True)
    task = bar.add_task("reading", total=total)
    state = {"started": False}

    def step(config: str, name: str) -> None:
        if state["started"]:
            bar.advance(task)
        state["started"] = True
        bar.update(task, description=escape(f"reading {config}: {name}"))

    return bar, step


def cmd_build(args: argparse.Namespace) -> int:
    from usi_metric.errors import UsiError

    if not (math.isfinite(args.max_shard_mb) and args.max_shard_mb * 2**20 >= 1):
        raise UsiError(f"must be a positive finite number of MB, at least 1e-06 (one byte), "
                       f"got {args.max_shard_mb}", field="--max-shard-mb")
    from dataset_builder.repo import build_repo, n_files

    bar, step = _progress(n_files(args.release_dir))
    kwargs = {"overwrite": args.overwrite, "max_shard_bytes": int(args.max_shard_mb * 2**20),
              "progress": step, "template_path": args.card_template}
    if bar is None:
        result = build_repo(args.release_dir, args.out_dir, **kwargs)
    else:
        with bar:
            result = build_repo(args.release_dir, args.out_dir, **kwargs)
    print_summary(result)
    return 0


def print_summary(result: Any) -> None:
    """Counts per config, per simulator and run, per judge; where the repo is."""
    c = result.counts
    if result.synthetic:
        print("SYNTHETIC sample release: the card says so; these are not the paper's data.")
    ann = ", ".join(f"annotator {a}: {n}" for a, n in c.per_annotator.items())
    print(f"human: {c.records['human']} sessions over {c.n_tasks} tasks ({ann})")
    print(f"simulators: {c.records['simulators']} sessions from {len(c.per_simulator)} "
          "simulators")
    width = max((len(for_terminal(s)) for s in [*c.per_simulator, *c.per_judge]), default=0)
    for sim, runs in c.per_simulator.items():
        by_run = ", ".join(f"run {r}: {n}" for r, n in runs.items())
        print(f"  {for_terminal(sim):<{width}}  {sum(runs.values()):>6}  ({by_run})")
    print(f"surveys: {c.records['surveys']} answers from {len(c.per_judge)} judges")
    for judge, n in c.per_judge.items():
        print(f"  {for_terminal(judge):<{width}}  {n:>6}")
    for config in ("simulators", "surveys"):
        if not c.records[config]:
            print(f"  (no {config} rows: the {config} config is left out of the repo, as "
                  "load_dataset cannot read an empty one)")
    if c.reference:
        ref = c.reference.get("counts") or {}
        print(f"reference: {ref.get('sessions', 0)} human sessions as a human reference, no "
              "text (usi score RUNS --reference OUT_DIR/reference/*.parquet)")
    n_shards = sum(len(v) for v in result.shards.values())
    print(f"wrote {for_terminal(result.out_dir)}: README.md, LICENSE.md and {n_shards} "
          "Parquet files (load with datasets.load_dataset(OUT_DIR, 'human'))")


def cmd_download(args: argparse.Namespace) -> int:
    from dataset_builder.download import download_release

    root = download_release(args.local_dir, args.revision)
    print(for_terminal(root))
    return 0
