"""Write a Hub-ready dataset repo from a raw release folder: Parquet shards per config, the
people as a human reference (the ``reference`` config: one Parquet file that
``HumanReference.load`` and ``load_dataset(OUT_DIR, "reference")`` both read, no text), the
card (``README.md``) and the use terms (``LICENSE.md``).

The build reads and validates everything first; then it writes into a temporary folder beside
``OUT_DIR`` and renames it at the end. A bad file stops the build with the library's one-line
:class:`UsiError`, and nothing is left behind (neither ``OUT_DIR`` nor the temporary folder).

>>> import tempfile
>>> from usi_metric.samples import sample_release_dir
>>> out = Path(tempfile.mkdtemp()) / "tau-usi"
>>> result = build_repo(sample_release_dir(), out)
>>> sorted(p.name for p in out.iterdir())
['LICENSE.md', 'README.md', 'human', 'reference', 'simulators', 'surveys']
>>> result.synthetic, result.shards["reference"]
(True, ['reference/test-00000-of-00001.parquet'])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from dataset_builder.card import LICENSE_TEXT, Counts, built_configs, render_card
from dataset_builder.records import Record, file_records, release_plan
from dataset_builder.schema import CONFIG_NAMES, DATA_DIRS, FEATURES, REFERENCE_CONFIG, SPLIT
from usi_metric.io.layout import REFERENCE_CONFIG_FILE
from usi_metric.reference import HumanReference
from usi_metric.runtime.output import check_folder_target, refuse_own_input, write_folder_atomic
from usi_metric.samples import sample_release_dir

MAX_SHARD_BYTES = 256 * 2**20  # Arrow (uncompressed) bytes per Parquet shard
ROW_GROUP_SIZE = 500
CARD_FILE = "README.md"
LICENSE_FILE = "LICENSE.md"
# The reference config's one file (HumanReference.load reads it as it is).
REFERENCE_FILE = REFERENCE_CONFIG_FILE
assert REFERENCE_FILE.startswith(f"{DATA_DIRS[REFERENCE_CONFIG]}/{SPLIT}-")  # the card's glob
# What a build writes at the top of OUT_DIR; --overwrite replaces only a folder made of these.
MANAGED = frozenset({CARD_FILE, LICENSE_FILE, *DATA_DIRS.values()})

Progress = Callable[[str, str], None]


@dataclass
class BuildResult:
    """What ``build_repo`` wrote."""

    out_dir: Path
    counts: Counts
    shards: dict[str, list[str]] = field(default_factory=dict)
    synthetic: bool = False


def is_synthetic(release_dir: str | Path) -> bool:
    """True for the bundled synthetic sample, a copy of it (its ``README.md`` opens with
    "SYNTHETIC"), or a folder named like one.

    >>> is_synthetic(sample_release_dir()), is_synthetic("/data/tau-usi")
    (True, False)
    """
    root = Path(release_dir).resolve()
    sample = sample_release_dir().resolve()
    if root == sample or sample in root.parents or "synthetic" in root.name.lower():
        return True
    try:
        with open(root / "README.md", encoding="utf-8") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return "SYNTHETIC" in first


def load_records(release_dir: str | Path,
                 progress: Progress | None = None) -> dict[str, list[Record]]:
    """Every record of every config, each file read and validated by ``usi_metric.io``."""
    plan = release_plan(release_dir)
    records: dict[str, list[Record]] = {c: [] for c in CONFIG_NAMES}
    for config in CONFIG_NAMES:
        for name, path in plan[config]:
            if progress is not None:
                progress(config, name)
            records[config].extend(file_records(config, name, path))
    return records


def n_files(release_dir: str | Path) -> int:
    """How many files a build reads (for a progress bar)."""
    return sum(len(files) for files in release_plan(release_dir).values())


def to_table(config: str, records: list[Record]) -> pa.Table:
    """The records of a config as an Arrow table with the declared schema."""
    feats = FEATURES[config]
    return pa.Table.from_pylist([feats.encode_example(r) for r in records],
                                schema=feats.arrow_schema)


def count(records: dict[str, list[Record]], tables: dict[str, pa.Table]) -> Counts:
    """Records per config, per annotator, per simulator and run, per judge; tasks; bytes."""
    c = Counts(records={k: len(v) for k, v in records.items()},
               num_bytes={k: int(t.nbytes) for k, t in tables.items()})
    for r in records["human"]:
        c.per_annotator[r["annotator"]] = c.per_annotator.get(r["annotator"], 0) + 1
    c.per_annotator = dict(sorted(c.per_annotator.items()))
    c.n_tasks = len({r["task_id"] for r in records["human"]})
    for r in records["simulators"]:
        runs = c.per_simulator.setdefault(r["simulator"], {})
        runs[r["run"]] = runs.get(r["run"], 0) + 1
    c.per_simulator = {k: dict(sorted(v.items())) for k, v in sorted(c.per_simulator.items())}
    for r in records["surveys"]:
        c.per_judge[r["judge"]] = c.per_judge.get(r["judge"], 0) + 1
    c.per_judge = dict(sorted(c.per_judge.items()))
    return c


def write_shards(table: pa.Table, folder: Path, max_shard_bytes: int) -> list[Path]:
    """``test-0000i-of-0000n.parquet`` files of at most about ``max_shard_bytes`` each."""
    folder.mkdir(parents=True, exist_ok=True)
    n = max(1, math.ceil(table.nbytes / max_shard_bytes)) if table.num_rows else 1
    n = min(n, max(1, table.num_rows))
    per = math.ceil(table.num_rows / n) if table.num_rows else 0
    paths = []
    for i in range(n):
        path = folder / f"{SPLIT}-{i:05d}-of-{n:05d}.parquet"
        pq.write_table(table.slice(i * per, per), path, row_group_size=ROW_GROUP_SIZE)
        paths.append(path)
    return paths


def reference_of(release_dir: str | Path, counts: Counts) -> HumanReference | None:
    """The release's people as a human reference (``HumanReference.from_release``: the same
    file ``usi reference build --data-dir`` writes), or None when there is no human row."""
    if not counts.records.get("human"):
        return None
    ref = HumanReference.from_release(release_dir)
    counts.reference = dict(ref.provenance)
    return ref


def reference_file(ref: HumanReference) -> tuple[bytes, int, datasets.Features]:
    """The reference's Parquet file (``HumanReference.save``'s bytes), its Arrow size and
    its columns as ``datasets`` features (for the card's ``dataset_info``)."""
    from usi_metric.reference.store import to_bytes

    data = to_bytes(ref)
    with pq.ParquetFile(pa.BufferReader(data)) as f:
        schema = f.schema_arrow
        nbytes = int(f.read(use_threads=False).nbytes)  # no Arrow thread pool left behind
    return data, nbytes, datasets.Features.from_arrow_schema(schema)


def _check_target(release_dir: Path, out: Path, overwrite: bool) -> None:
    refuse_own_input(out, [release_dir])  # the one rule: never the tool's own input
    check_folder_target(out, overwrite, MANAGED.__contains__, "build")


def build_repo(
    release_dir: str | Path,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    max_shard_bytes: int = MAX_SHARD_BYTES,
    progress: Progress | None = None,
    template_path: str | Path | None = None,
) -> BuildResult:
    """Validate a raw release and write it as a Hub-ready dataset repo at ``out_dir``."""
    release_dir, out = Path(release_dir), Path(out_dir)
    _check_target(release_dir, out, overwrite)
    records = load_records(release_dir, progress)
    tables = {c: to_table(c, records[c]) for c in CONFIG_NAMES}
    counts = count(records, tables)
    reference = reference_of(release_dir, counts)
    ref_bytes, ref_features = None, None
    if reference is not None:
        ref_bytes, counts.num_bytes[REFERENCE_CONFIG], ref_features = reference_file(reference)
    synthetic = is_synthetic(release_dir)
    card = render_card(counts, release_name=release_dir.resolve().name, synthetic=synthetic,
                       template_path=template_path, reference_features=ref_features)
    configs = built_configs(counts)

    def write(tmp: Path) -> dict[str, list[str]]:
        shards = {}
        for c in configs:
            paths = write_shards(tables[c], tmp / DATA_DIRS[c], max_shard_bytes)
            shards[c] = [p.relative_to(tmp).as_posix() for p in paths]
        if ref_bytes is not None:
            (tmp / REFERENCE_FILE).parent.mkdir()
            (tmp / REFERENCE_FILE).write_bytes(ref_bytes)
            shards[REFERENCE_CONFIG] = [REFERENCE_FILE]
        (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        (tmp / LICENSE_FILE).write_text(LICENSE_TEXT, encoding="utf-8")
        return shards

    shards = write_folder_atomic(out, write, overwrite, MANAGED.__contains__, "build")
    return BuildResult(out_dir=out, counts=counts, shards=shards, synthetic=synthetic)
