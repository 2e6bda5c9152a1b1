"""Instance ids of the release: task keys, human batches, simulator runs (docs/ids-and-runs.md).

>>> task_key("airline_7_ann2"), human_batch("airline_7_ann2"), human_base_id("airline_7_ann2")
('airline_7', 2, 'airline_7')
>>> ece_run_index("retail_12_2"), ece_run_index("retail_12")
(2, 1)
"""

from __future__ import annotations

import re
from functools import lru_cache

from usi_metric.errors import UsiError

# The official scorer recognises these domains; any other id keeps its whole id as task key.
DOMAINS: tuple[str, ...] = ("airline", "retail")

# A run number longer than this is refused (Python's ``int`` reads at most 4,300 digits).
MAX_NUMBER_DIGITS = 4000
_ID_RE = re.compile(rf"({'|'.join(DOMAINS)})_(\d+)(?:_(\d+))?")
_BATCH_SUFFIXES = {"_ann2": 2, "_ann3": 3}
# The release's three human batches (annotators 1, 2, 3), as batch labels.
RELEASE_BATCHES: tuple[str, ...] = ("1", "2", "3")
_RUN_SUFFIXES = ("_1", "_2", "_3")
OTHER_RUN = "0"


@lru_cache(maxsize=1 << 16)  # a pure function of the id, asked for again and again
def task_key(instance_id: str) -> str:
    """``{domain}_{index}`` taken from the start of an airline/retail id; any other id is
    kept whole (pass it a base id: see ``human_task_key`` and ``simulator_keys``).

    >>> task_key("retail_12_3"), task_key("telecom_4")
    ('retail_12', 'telecom_4')
    """
    m = _ID_RE.match(instance_id)
    if m is None:
        return instance_id
    return f"{m.group(1)}_{m.group(2)}"


def ece_run_index(instance_id: str) -> int:
    """Run index of a simulator id: its third number, or 1 when there is none.

    >>> ece_run_index("airline_3_3"), ece_run_index("airline_3_ann2"), ece_run_index("x_1_2")
    (3, 1, 1)
    """
    m = _ID_RE.match(instance_id)
    if m is None or m.group(3) is None:
        return 1
    digits = m.group(3)
    if len(digits) > MAX_NUMBER_DIGITS:  # int() refuses them (and would take long)
        raise UsiError(f"its run number has {len(digits)} digits (at most "
                       f"{MAX_NUMBER_DIGITS} are read)", id=instance_id, field="id")
    return int(digits)


def digits_order(digits: str) -> tuple[int, str]:
    """The order of whole numbers written in ASCII digits, of any length, without ``int``.

    >>> sorted(["10", "9", "0010", "1" * 5000], key=digits_order)[:3]
    ['9', '10', '0010']
    """
    significant = digits.lstrip("0")
    return len(significant), significant


def human_batch(instance_id: str) -> int:
    """Batch of a human id: 2 for ``_ann2``, 3 for ``_ann3``, else 1.

    >>> human_batch("airline_7"), human_batch("airline_7_ann3")
    (1, 3)
    """
    for suffix, batch in _BATCH_SUFFIXES.items():
        if instance_id.endswith(suffix):
            return batch
    return 1


def human_instance_id(base_id: str, batch: int) -> str:
    """The id of batch ``batch``'s session of a task instance: the base id for batch 1,
    with ``_ann2`` / ``_ann3`` for batches 2 / 3 (the inverse of ``human_base_id`` and
    ``human_batch``).

    >>> human_instance_id("airline_7", 1), human_instance_id("airline_7", 3)
    ('airline_7', 'airline_7_ann3')
    """
    if batch == 1:
        return base_id
    suffix = next((s for s, b in _BATCH_SUFFIXES.items() if b == batch), None)
    if suffix is None:
        raise ValueError(f"a human batch is 1, 2 or 3, got {batch!r}")
    return base_id + suffix


def human_base_id(instance_id: str) -> str:
    """A human id without its ``_ann2`` / ``_ann3`` suffix.

    >>> human_base_id("retail_1_ann2")
    'retail_1'
    """
    for suffix in _BATCH_SUFFIXES:
        if instance_id.endswith(suffix):
            return instance_id[: -len(suffix)]
    return instance_id


def split_run(instance_id: str, multi_run: bool) -> tuple[str, str]:
    """``(run key, base id)`` of a simulator id, by the file-size rule of §1.

    In a multi-run file (more than 170 entries) ``{task}_1|_2|_3`` is run 1|2|3 of ``{task}``;
    any other id forms run ``"0"`` as it is. In a single-run file every id is run ``"1"``.

    >>> split_run("retail_12_2", True), split_run("retail_12", True)
    (('2', 'retail_12'), ('0', 'retail_12'))
    >>> split_run("retail_12_2", False), split_run("telecom_4_3", True)
    (('1', 'retail_12_2'), ('3', 'telecom_4'))
    >>> split_run("telecom_4", True)
    ('0', 'telecom_4')
    """
    if not multi_run:
        return "1", instance_id
    key = task_key(instance_id)
    if key == instance_id and _ID_RE.match(instance_id) is None:
        # another domain: the last ``_N`` is the run when what is left is still a task id
        # (``telecom_4_2`` -> run 2 of ``telecom_4``; ``telecom_4`` has no run suffix)
        head, _, _ = instance_id.rpartition("_")
        key = head if "_" in head else instance_id
    rest = instance_id[len(key) :] if instance_id.startswith(key) else ""
    if key != instance_id and rest in _RUN_SUFFIXES:
        return rest[1:], key
    return OTHER_RUN, instance_id


def human_task_key(instance_id: str) -> str:
    """Task key of a human id: the task key of its base id (any domain).

    >>> human_task_key("airline_7_ann2"), human_task_key("telecom_4_ann2")
    ('airline_7', 'telecom_4')
    """
    return task_key(human_base_id(instance_id))


@lru_cache(maxsize=1 << 16)  # a pure function of the id; every simulator has the same ids
def simulator_keys(instance_id: str, multi_run: bool) -> tuple[str, str, str, int]:
    """``(run key, base id, task key, ECE run index)`` of a simulator id.

    The run key and base id follow the file-size rule (``split_run``). For airline and retail
    the task key and ECE run index come from the id itself, whatever the file size (the
    paper's scorer); any other domain takes both from the run split.

    >>> simulator_keys("retail_12_2", True), simulator_keys("retail_12_2", False)
    (('2', 'retail_12', 'retail_12', 2), ('1', 'retail_12_2', 'retail_12', 2))
    >>> simulator_keys("telecom_4_2", True), simulator_keys("telecom_4_2", False)
    (('2', 'telecom_4', 'telecom_4', 2), ('1', 'telecom_4_2', 'telecom_4_2', 1))
    """
    run, base = split_run(instance_id, multi_run)
    if _ID_RE.match(instance_id) is not None:
        return run, base, task_key(instance_id), ece_run_index(instance_id)
    return run, base, base, int(run) if run in ("1", "2", "3") and multi_run else 1


def batch_order(labels: object) -> tuple[str, ...]:
    """Batch labels in scoring order: by number when every label is a whole number written
    in digits, else as strings (the one rule for a reference's batches, docs/usi.md).

    >>> batch_order({"10", "2", "1"}), batch_order({"cohort-b", "10", "cohort-a"})
    (('1', '2', '10'), ('10', 'cohort-a', 'cohort-b'))
    """
    unique = {str(x) for x in labels}  # type: ignore[attr-defined]
    if unique and all(x.isascii() and x.isdigit() for x in unique):
        return tuple(sorted(unique, key=lambda x: (*digits_order(x), x)))
    return tuple(sorted(unique))
