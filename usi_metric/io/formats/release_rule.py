"""Saying so when the release layout's file-size rule hides every session from the humans.

A release-layout file of at most 170 entries is one run whose ids are read as they are
(docs/ids-and-runs.md). A small file of several runs with ids ``airline_7_1``, ``airline_7_2``
is therefore read as one run of tasks named ``airline_7_1``, ... that no human session has:
every cell of its score would be empty. :func:`misread_run_suffixes` gives the one line
that says why.

>>> from usi_metric.io.sessions import simulator_session
>>> ss = [simulator_session(f"airline_{t}_{r}", {}) for t in range(2) for r in (1, 2)]
>>> print(misread_run_suffixes(ss, {"airline_0", "airline_1"}))  # doctest: +ELLIPSIS
all 4 ids carry a run suffix (airline_0_1, ...), but a file of at most 170 entries is one run...
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from usi_metric.io.layout import MULTI_RUN_THRESHOLD
from usi_metric.io.sessions import Session

_RUN_SUFFIX = re.compile(r"(.+)_([123])")


def misread_run_suffixes(sessions: Sequence[Session], human_ids: Collection[str]) -> str | None:
    """Why no session meets a human one, when the cause is run suffixes read as part of the
    ids; None when some session meets a human session or the ids carry no such suffix.

    ``human_ids``: the base ids of the human sessions (``airline_7``).

    >>> from usi_metric.io.sessions import simulator_session
    >>> misread_run_suffixes([simulator_session("airline_0", {})], {"airline_0"}) is None
    True
    """
    if any(s.base_id in human_ids for s in sessions):
        return None
    suffixed = []
    for s in sessions:
        m = _RUN_SUFFIX.fullmatch(s.instance_id)
        if (m is not None and s.group == "1" and s.base_id == s.instance_id
                and m.group(1) in human_ids):
            suffixed.append(s.instance_id)
    if not suffixed:
        return None
    share = (f"all {len(sessions)}" if len(suffixed) == len(sessions)
             else f"{len(suffixed)} of its {len(sessions)}")
    return (f"{share} ids carry a run suffix ({suffixed[0]}, ...), but a file of at most "
            f"{MULTI_RUN_THRESHOLD} entries is one run whose ids are read as they are, so no "
            "id meets a human session; number the runs instead: {\"results\": "
            "[{\"instance_id\": \"airline_7\", \"run\": 2, ...}]} (what 'usi convert' writes)")
