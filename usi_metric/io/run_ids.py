"""Run ids that collide: two sessions that the id rules make the same run of one task.

In a file of several runs, ``airline_1_1`` and ``airline_1_01`` are both run 1 of task
``airline_1`` for the ECE (its run index is the id's third number). The paper's scorer keeps
whichever comes last, so reordering the file would change the USI. Here the numbers never
depend on the order: colliding sessions with different outcomes are refused (one line naming
both ids); with the same outcome they count once, and a warning says how many there were.
An id with another suffix (``airline_2_4`` in a file of runs 1-3) joins the rows of a run of
its own, and counts in the ECE's run 4, which holds that one task (section 1 of the
definition); a warning counts those too.

>>> from usi_metric.io.sessions import simulator_session
>>> ss = [simulator_session(i, {"reward": 1.0}, multi_run=True)
...       for i in ("airline_1_1", "airline_1_01", "airline_2_4")]
>>> for note in run_id_notes(ss, "runs.json"):
...     print(note.split(" (")[0])
runs.json: 1 session is the same run of a task as another id
runs.json: 2 sessions have an id outside the file's run suffixes _1/_2/_3
"""

from __future__ import annotations

from collections.abc import Sequence

from usi_metric.errors import UsiError
from usi_metric.io.ids import OTHER_RUN
from usi_metric.io.sessions import Session


def run_id_notes(sessions: Sequence[Session], path: str) -> list[str]:
    """Warnings about the run ids of a simulator's sessions; a :class:`UsiError` when two
    sessions are the same run of a task with different outcomes (the ECE would depend on
    the order of the file)."""
    first: dict[tuple[int, str], Session] = {}
    repeats: list[tuple[Session, Session]] = []
    for s in sessions:
        if s.keep is False:  # not an outcome (section 6): it never reaches the ECE
            continue
        key = (s.ece_run, s.task_key)
        seen = first.get(key)
        if seen is None:
            first[key] = s
            continue
        if seen.success != s.success:
            a, b = sorted((seen.instance_id, s.instance_id))
            raise UsiError(f"ids {a} and {b} are both run {s.ece_run} of task {s.task_key} "
                           f"with different outcomes (success {seen.success} and "
                           f"{s.success}): the ECE would depend on which comes last; "
                           "remove one or number the runs", file=path, id=b, field="reward")
        repeats.append((seen, s))
    notes = []
    if repeats:
        seen, s = repeats[0]
        a, b = sorted((seen.instance_id, s.instance_id))
        n = len(repeats)
        notes.append(f"{path}: {n} session{' is' if n == 1 else 's are'} the same run of a "
                     f"task as another id ({a} and {b}: run {s.ece_run} of {s.task_key}), "
                     "with the same outcome: counted once in the ECE")
    odd = [s.instance_id for s in sessions
           if s.group == OTHER_RUN and s.instance_id != s.task_key]
    if odd:
        n = len(odd)
        notes.append(f"{path}: {n} session{' has' if n == 1 else 's have'} an id outside the "
                     f"file's run suffixes _1/_2/_3 ({odd[0]}, ...): in the rows such ids form "
                     "one run of their own, and in the ECE each counts in the run its third "
                     "number names (run 1 without one), as the definition's id rules say")
    return notes


def warn_run_ids(sessions: Sequence[Session], path: str) -> None:
    """:func:`run_id_notes` as warnings (``UsiWarning``)."""
    import warnings

    from usi_metric.errors import UsiWarning

    for note in run_id_notes(sessions, path):
        warnings.warn(note, UsiWarning, stacklevel=3)
