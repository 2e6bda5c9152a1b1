"""A human reference as one Parquet file: a row per session, the rest in the schema's
metadata (readable by pyarrow and ``datasets.load_dataset("parquet", data_files=...)``).

Columns: ``id``, ``base_id``, ``task_key``, ``batch`` (strings), ``keep`` (bool, null),
``reward`` (float, null), the features and ``n_turns`` (float, NaN where the conversation
yields none), ``survey_<field>`` (the 8 ordinals, null where not an option),
``second_order`` (the entry's place in the second person's file, null when not covered) and
``second_<field>``. Metadata key ``usi_reference``: JSON with the format, the batch labels,
the difficulty map (or null) and the provenance.

>>> import tempfile, os
>>> from usi_metric.reference.model import HumanReference
>>> p = os.path.join(tempfile.mkdtemp(), "ref.parquet")
>>> _ = HumanReference.synthetic().save(p)
>>> load(p).batches
('1', '2', '3')
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.errors import UsiError
from usi_metric.features.names import COLUMNS
from usi_metric.reference.model import HumanReference

META_KEY = b"usi_reference"
FORMAT = "usi-human-reference"
FORMAT_VERSION = 1
TEXT_COLUMNS = ("id", "base_id", "task_key", "batch")  # labels only: no free text
SURVEY_COLUMNS = tuple(f"survey_{f}" for f in SURVEY_FIELDS)
SECOND_COLUMNS = tuple(f"second_{f}" for f in SURVEY_FIELDS)


def _table(ref: HumanReference) -> Any:
    import pyarrow as pa

    n = len(ref)
    cols: dict[str, Any] = {
        "id": pa.array(ref.ids, pa.string()),
        "base_id": pa.array(ref.base_ids, pa.string()),
        "task_key": pa.array(ref.task_keys, pa.string()),
        "batch": pa.array(ref.session_batches, pa.string()),
        "keep": pa.array(ref.keep, pa.bool_()),
        "reward": pa.array(ref.reward, pa.float64()),
    }
    for j, name in enumerate(COLUMNS):
        cols[name] = pa.array(ref.features[:, j] if n else [], pa.float64())
    for j, name in enumerate(SURVEY_COLUMNS):
        cols[name] = pa.array([o[j] for o in ref.survey], pa.int8())
    where = {iid: k for k, (iid, _) in enumerate(ref.second)}
    second = dict(ref.second)
    cols["second_order"] = pa.array([where.get(i) for i in ref.ids], pa.int32())
    for j, name in enumerate(SECOND_COLUMNS):
        cols[name] = pa.array([second[i][j] if i in second else None for i in ref.ids],
                              pa.int8())
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "batches": list(ref.batches),
            "difficulty": ref.difficulty, "provenance": ref.provenance}
    text = json.dumps(meta, sort_keys=True, allow_nan=False, ensure_ascii=False)
    return pa.table(cols).replace_schema_metadata({META_KEY: text.encode("utf-8")})


def to_bytes(ref: HumanReference) -> bytes:
    """The reference's Parquet file as bytes: zstd-compressed columns, no column statistics
    and no serialized Arrow schema (nothing reads them: the Parquet types give the same
    Arrow types back; on a small study the two were over a third of the file); the
    ``usi_reference`` metadata is the file's own key-value metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _table(ref)
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, table.schema, compression="zstd", write_statistics=False,
                          store_schema=False) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({META_KEY: table.schema.metadata[META_KEY]})
    return sink.getvalue().to_pybytes()


def save(ref: HumanReference, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``ref`` to ``path`` whole or not at all (``runtime.output.write_atomic``)."""
    from usi_metric.runtime.output import write_atomic

    return write_atomic(path, to_bytes(ref), overwrite=overwrite)


# ----------------------------------------------------------------------------- reading


def _read(path: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.exists():
        raise UsiError("file not found", file=path)
    if p.is_dir():
        raise UsiError("is a folder, not a reference file", file=path)
    if not p.is_file():  # a pipe or a device: a Parquet file is read from its end
        raise UsiError("not a regular file, so not read (a reference is a Parquet file)",
                       file=path)
    try:  # ParquetFile, not read_table: no pyarrow.dataset (and pandas) to import
        with pq.ParquetFile(path) as f:
            return f.read()
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise UsiError(f"not a readable Parquet file ({first})", file=path) from None


def _metadata(table: Any, path: str) -> dict[str, Any]:
    raw = (table.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise UsiError("a Parquet file but not a human reference (no usi_reference "
                       "metadata; build one with the reference builder)", file=path)
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UsiError("its usi_reference metadata is not a human reference's", file=path)
    if meta.get("format_version") != FORMAT_VERSION:
        raise UsiError(f"reference format version {meta.get('format_version')!r}; this "
                       f"usi-metric reads version {FORMAT_VERSION}", file=path)
    return meta


def check_definitions(prov: Any, path: str) -> None:
    """Refuse a reference made under other feature definitions (version or lexicons), naming
    both; never mix features of two definitions."""
    from usi_metric.features.lexicons import lexicons_sha256
    from usi_metric.features.names import FEATURE_VERSION

    prov = prov if isinstance(prov, dict) else {}
    have = (prov.get("feature_version"), prov.get("lexicons_sha256"))
    here = (FEATURE_VERSION, lexicons_sha256())
    if have != here:
        raise UsiError(
            f"made under feature definitions version {have[0]} (lexicons sha256 "
            f"{str(have[1])[:12]}), but this usi-metric has version {here[0]} (lexicons "
            f"sha256 {here[1][:12]}): its features are not comparable; rebuild the "
            "reference from the sessions", file=path, field="feature_version")


def _column(table: Any, name: str, path: str) -> list[Any]:
    if name not in table.column_names:
        raise UsiError("missing column", file=path, field=name)
    return table.column(name).to_pylist()


def _labels(table: Any, name: str, path: str, nullable: bool = False) -> list[Any]:
    values = _column(table, name, path)
    for i, v in enumerate(values):
        if not isinstance(v, str) and not (nullable and v is None):
            raise UsiError(f"row {i}: must be a string, got {type(v).__name__}", file=path,
                           field=name)
    return values


def _check_ordinals(rows: Any, path: str, prefix: str) -> None:
    from usi_metric.aggregation.eval_agree import SURVEY_SCALES

    for i, row in enumerate(rows):
        for f, v in zip(SURVEY_FIELDS, row, strict=True):
            if v is not None and v not in SURVEY_SCALES[f].values():
                raise UsiError(f"row {i}: {v!r} is no ordinal of the field's options",
                               file=path, field=f"{prefix}_{f}")


def load(path: str | Path) -> HumanReference:
    """Read a reference file (``HumanReference.load``): one line for a file that is no
    Parquet, a Parquet file that is no reference, or one of other feature definitions."""
    import numpy as np

    path = str(path)
    table = _read(path)
    meta = _metadata(table, path)
    check_definitions(meta.get("provenance"), path)
    ids = _labels(table, "id", path)
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise UsiError("duplicate id in the reference", file=path, id=dup, field="id")
    cols = {name: _column(table, name, path) for name in (*COLUMNS, "keep", "reward",
                                                          *SURVEY_COLUMNS, "second_order",
                                                          *SECOND_COLUMNS)}
    try:
        features = np.array([[np.nan if v is None else float(v) for v in cols[c]]
                             for c in COLUMNS], dtype=float).T.reshape(len(ids), len(COLUMNS))
        survey = tuple(zip(*(cols[c] for c in SURVEY_COLUMNS), strict=True)) if ids else ()
        second_vals = tuple(zip(*(cols[c] for c in SECOND_COLUMNS), strict=True)) \
            if ids else ()
        reward = [None if r is None or math.isnan(r) else float(r) for r in cols["reward"]]
    except (TypeError, ValueError) as exc:
        raise UsiError(f"a column holds values of the wrong type ({exc})", file=path) from None
    _check_ordinals(survey, path, "survey")
    _check_ordinals(second_vals, path, "second")
    order = sorted((o, i) for i, o in enumerate(cols["second_order"]) if o is not None)
    batches = meta.get("batches")
    labels = _labels(table, "batch", path)
    if not isinstance(batches, list) or not set(labels) <= set(map(str, batches)):
        raise UsiError("its batch labels do not match its sessions'", file=path,
                       field="batch")
    diff = meta.get("difficulty")
    if diff is not None:
        from usi_metric.scoring.difficulty import map_values

        diff = map_values(diff, path)[0]
    return HumanReference(
        ids=tuple(ids), base_ids=tuple(_labels(table, "base_id", path)),
        task_keys=tuple(_labels(table, "task_key", path)), session_batches=tuple(labels),
        keep=tuple(cols["keep"]), reward=tuple(reward), features=features,
        survey=tuple(tuple(o) for o in survey),
        second=tuple((ids[i], tuple(second_vals[i])) for _, i in order),
        batches=tuple(str(b) for b in batches), difficulty=diff,
        provenance=dict(meta.get("provenance") or {}))
