"""A release of real-like text for ``make bench``: user turns that never repeat.

``write_release(root, n_sims, n_runs, seed)`` writes the paper's shape (165 tasks: airline 0-49
and retail 0-114; 3 human sessions per task; ``n_sims`` simulators x ``n_runs`` runs, each
with a survey file; a human-eval-100 file) with conversations composed by the test suite's
generator (``tests/release_gen.py``: word banks, identifiers, unicode, agent markup, meta
messages). A user turn whose cleaned text was already written anywhere in the release is
drawn again until it is new, so no turn repeats, the way real LLM and human text does not
(the synthetic sample generator repeats its templates, and a memo skips what it has seen).
``repeat_share(root)`` measures it. All of this is SYNTHETIC text, none of it the paper's data.

``taubench_conversations(path)`` reads real tau-bench trajectories (a results file given to
the benchmark with ``--taubench``, or the 6 records shipped in ``tests/data``) as
conversations.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import release_gen as gen  # noqa: E402

from usi_metric.features.extract import SOURCES, user_texts  # noqa: E402

TASKS = [f"airline_{i}" for i in range(50)] + [f"retail_{i}" for i in range(115)]
# Turn kinds whose banks compose fresh text (fixed lists such as acks are drawn only while new).
FRESH_KINDS = ("intent", "detail", "infoq", "clarify", "pushback", "emotion", "pivot",
               "uncertain", "certain", "polite", "agentlike")
SURVEY_FIELDS = tuple(gen.SURVEY_SCALES)


class _Unique:
    """Rewrites user turns already seen (by their cleaned text) into new ones."""

    def __init__(self, t: gen._Text) -> None:
        self.t = t
        self.seen: set[str] = set()

    def _cleaned(self, content: str, source: str) -> list[str]:
        texts, _ = user_texts([{"role": "user", "content": content}], source)
        return texts

    def fix(self, conv: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
        for msg in conv:
            if msg.get("role") != "user":
                continue
            texts = self._cleaned(msg["content"], source)
            if not texts:
                continue  # a meta message of the source: not a turn
            while texts[0] in self.seen:
                kind = self.t.r.choice(FRESH_KINDS)
                extra = self.t.clause(self.t.r.choice(("detail", "intent", "infoq")))
                msg["content"] = gen._user_turn(self.t, kind) + self.t.r.choice(
                    (". ", ", ", " ")) + extra
                texts = self._cleaned(msg["content"], source)
            self.seen.add(texts[0])
        return conv


def _reward(r: random.Random, p: float) -> float | None:
    x = r.random()
    if x < 0.02:
        return None
    return 1.0 if x < p else 0.0


def _keep(r: random.Random) -> bool | None:
    return r.choices([True, False, None], [94, 4, 2])[0]


def _write(path: Path, data: object) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data)
    path.write_text(text, encoding="utf-8")
    return len(text)


def write_release(root: str | Path, n_sims: int = 31, n_runs: int = 3,
                  seed: int = 0) -> dict[str, Any]:
    """Write the release; return its sizes (sessions, bytes)."""
    root = Path(root)
    r = random.Random(f"reallike:{seed}")
    t = gen._Text(r)
    uniq = _Unique(t)
    task_p = {task: r.uniform(0.1, 0.95) for task in TASKS}
    human_profile = gen._profile(r, human=True)
    humans: dict[str, Any] = {}
    for batch in (1, 2, 3):
        for task in TASKS:
            iid = task if batch == 1 else f"{task}_ann{batch}"
            conv = uniq.fix(gen.conversation(t, "human", human_profile, "", core=True), "human")
            humans[iid] = {"instance_id": iid, "conversation": conv,
                           "reward": _reward(r, task_p[task]), "keep": _keep(r),
                           "survey": gen.survey_answers(r, r.choice(
                               ("valid", "valid", "partial", "invalid"))).get("survey")}
    size = _write(root / "data" / "tau_bench_tasks_unified.json", humans)
    n_sessions = len(humans)
    for k in range(n_sims):
        name = f"reallike-{k + 1:02d}"
        profile = gen._profile(r, human=False)
        bias = r.uniform(-0.2, 0.2)
        runs: dict[str, Any] = {}
        for run in range(1, n_runs + 1):
            for task in TASKS:
                iid = f"{task}_{run}" if n_runs > 1 else task
                conv = uniq.fix(gen.conversation(t, "llm", profile, "", core=True), "llm")
                runs[iid] = {"instance_id": iid, "conversation": conv,
                             "reward": _reward(r, min(1.0, max(0.0, task_p[task] + bias))),
                             "keep": _keep(r)}
        size += _write(root / "eval_results" / f"eval_results_{name}.json", runs)
        n_sessions += len(runs)
        survey = {iid: gen.survey_answers(r, r.choice(("valid", "partial", "invalid")))
                  for iid in humans}
        size += _write(root / "survey_data" / f"survey_comparable_{name}.json", survey)
    he = {iid: gen.survey_answers(r, "valid") for iid in TASKS[:100]}
    size += _write(root / "survey_data" / "survey_comparable_human-eval-100.json", he)
    return {"sessions": n_sessions, "human_sessions": len(humans), "bytes": size,
            "simulators": n_sims, "runs": n_runs, "tasks": len(TASKS)}


def repeat_share(root: str | Path) -> dict[str, Any]:
    """Sessions and user turns of every session file (turns cleaned as the metric cleans
    them): how many there are, how many distinct, and the share that repeats an earlier one."""
    root = Path(root)
    files = [(root / "data" / "tau_bench_tasks_unified.json", "human")]
    files += [(p, "llm") for p in sorted((root / "eval_results").glob("*.json"))]
    seen: set[str] = set()
    total = sessions = 0
    for path, source in files:
        assert source in SOURCES
        for entry in json.loads(path.read_text(encoding="utf-8")).values():
            sessions += 1
            texts, _ = user_texts(entry.get("conversation") or [], source)
            total += len(texts)
            seen.update(texts)
    return {"sessions": sessions, "user_turns": total, "distinct": len(seen),
            "repeat_share": 1 - len(seen) / total if total else 0.0}


def taubench_conversations(path: str | Path) -> list[list[dict[str, str]]]:
    """The ``traj`` of each record of tau-bench's results file as ``[{role, content}]``
    (a null content is empty text, as the metric reads it)."""
    raw = Path(path).read_bytes()
    records = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return [[{"role": str(m.get("role")), "content": m.get("content") or ""}
             for m in rec["traj"]] for rec in records]
