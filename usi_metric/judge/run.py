"""``usi survey``: a judge answers the survey on every kept human session; the answers become
a ``survey_comparable`` file, and its Eval against the humans is printed at once.

Which sessions: every kept human session of the release (``keep`` true; all three batches),
ids exactly as in the human file, in sorted id order; ``limit`` N keeps the first N.

What is written (``FILE`` is the output path, see :mod:`usi_metric.judge.files`):

- ``FILE``: ``{id: {"survey": {field: {"question": text, "answer": answer}}}}`` for the chosen
  sessions (an unanswered field has answer null), the layout ``usi score --survey``, the
  leaderboard, ``usi gap``, the report and the Space read;
- ``FILE``'s ``.meta.json`` sidecar: prompt template and version, backend, model, decoding
  settings, package version, date, counts of answers and of cut conversations;
- ``FILE``'s ``.journal.jsonl``: every answer as it arrives (resume after a crash or Ctrl-C).

The date is ``date`` when given (``--date`` or ``USI_SURVEY_DATE``), else the day the journal
was started (UTC): the same inputs, settings and date with a local model give byte-identical
files.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS, normalised_answer
from usi_metric.aggregation.usi import MeanStd
from usi_metric.errors import UsiError
from usi_metric.io import Session, SessionSet, find_human_file, load_humans, load_survey
from usi_metric.judge.base import Judge, JudgeAnswer
from usi_metric.judge.files import Journal, dumps, journal_path, meta_path, write_atomic
from usi_metric.judge.prompt import (
    PROMPT_TEMPLATE,
    PROMPT_VERSION,
    FittedPrompt,
    conversation_turns,
    fit_prompt,
)
from usi_metric.judge.questions import SURVEY_QUESTIONS
from usi_metric.report.escape import for_terminal
from usi_metric.report.gap import FieldGap, survey_gap
from usi_metric.runtime.output import refuse_own_input
from usi_metric.scoring.evaluation import covered_sessions, simulator_eval

DATE_ENV = "USI_SURVEY_DATE"
TRUNCATION_RULE = (
    "when the prompt exceeds the budget, whole turns are dropped from the middle (turns 1-2 "
    "and the latest turns stay; turns 3, 4, ... go, oldest first, as few as needed; one line "
    "'[... N turns omitted to fit the model's context ...]' stands in their place); if turns "
    "1-2 and the last turn alone still do not fit, each of those texts is cut to the same "
    "largest number of characters that fits, followed by ' [...]'")


def kept_sessions(humans: SessionSet, limit: int | None = None) -> list[Session]:
    """The kept human sessions (``keep`` true), in sorted id order; the first ``limit``.

    >>> from usi_metric.samples import sample_release_dir
    >>> from usi_metric.io import find_human_file, load_humans
    >>> humans = load_humans(find_human_file(sample_release_dir()))
    >>> [s.instance_id for s in kept_sessions(humans, 2)]
    ['airline_0', 'airline_0_ann2']
    """
    kept = sorted((s for s in humans.sessions if s.kept), key=lambda s: s.instance_id)
    return kept if limit is None else kept[:limit]


def run_date(date: str | None) -> str | None:
    """A ``YYYY-MM-DD`` date from ``date`` or ``$USI_SURVEY_DATE``, checked; None if neither.

    >>> run_date("2026-03-01")
    '2026-03-01'
    """
    value = date or os.environ.get(DATE_ENV) or None
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsiError(f"the date must be YYYY-MM-DD, got {value!r}") from None


def survey_entry(answers: dict[str, Any]) -> dict[str, Any]:
    """One session of the output file: every field with its question and answer (null when
    unanswered).

    >>> survey_entry({"reuse": "Maybe"})["survey"]["reuse"]["answer"]
    'Maybe'
    """
    return {"survey": {f: {"question": SURVEY_QUESTIONS[f], "answer": answers.get(f)}
                       for f in SURVEY_FIELDS}}


@dataclass
class SurveyResult:
    """What a run produced: the file, the sessions answered now and before, the Eval."""

    out: Path
    meta: dict[str, Any]
    n_new: int
    n_resumed: int
    eval_agree: MeanStd | None
    batch_scores: list[float]
    gap: dict[str, FieldGap]
    n_covered: int


def check_out(out: Path, overwrite: bool) -> None:
    """``out`` must be a file path; an existing ``out`` is only replaced with ``overwrite``
    or when its journal is there to resume."""
    if out.is_dir():
        raise UsiError("is a folder: --out names the survey file to write", file=str(out))
    if out.exists() and not overwrite and not journal_path(out).exists():
        raise UsiError("already exists; pass --overwrite to replace it", file=str(out))


def _progress(enabled: bool, total: int, done: int) -> Any:
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    prog = Progress(TextColumn("surveying"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=Console(stderr=True))
    prog.start()
    prog.add_task("survey", total=total, completed=done)
    return prog


def _task(judge: Judge, session: Session) -> tuple[Session, FittedPrompt, JudgeAnswer]:
    fitted = fit_prompt(conversation_turns(session.conversation), judge.measure, judge.budget)
    return session, fitted, judge.answer(fitted.text)


def _record(session: Session, fitted: FittedPrompt, answer: JudgeAnswer) -> dict[str, Any]:
    return {"id": session.instance_id, "answers": dict(answer.answers),
            "turns_omitted": fitted.turns_omitted, "texts_shortened": fitted.texts_shortened,
            **answer.extra}


def answer_sessions(judge: Judge, pending: Sequence[Session],
                    on_answer: Callable[[dict[str, Any]], None]) -> None:
    """Ask the judge about every pending session; ``on_answer`` gets each record as it
    arrives (in order with one worker; as they finish with several). On an error or
    Ctrl-C, every answer already back is still handed over before the error goes up."""
    if judge.concurrency <= 1 or len(pending) <= 1:
        for s in pending:
            on_answer(_record(*_task(judge, s)))
        return
    pool = ThreadPoolExecutor(max_workers=judge.concurrency, thread_name_prefix="usi-survey")
    futures: list[Future[Any]] = [pool.submit(_task, judge, s) for s in pending]
    handed: set[int] = set()
    try:
        for fut in as_completed(futures):
            on_answer(_record(*fut.result()))
            handed.add(id(fut))
    except BaseException:
        cancel = getattr(judge, "cancel", None)
        if cancel is not None:
            cancel()  # no new request, no more waiting between retries
        for fut in futures:
            fut.cancel()
        for fut in futures:
            if id(fut) not in handed and fut.done() and not fut.cancelled() \
                    and fut.exception() is None:
                on_answer(_record(*fut.result()))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def answer_counts(entries: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Answers over all sessions and fields: valid options, other answers, unanswered.

    >>> answer_counts({"a": {"human_like": "Yes", "reuse": "sure"}})["not_an_option"]
    1
    """
    counts = {"valid": 0, "not_an_option": 0, "unanswered": 0}
    for answers in entries.values():
        for f in SURVEY_FIELDS:
            a = answers.get(f)
            if a is None:
                counts["unanswered"] += 1
            elif normalised_answer(f, a) is None:
                counts["not_an_option"] += 1
            else:
                counts["valid"] += 1
    return counts


def build_meta(judge: Judge, records: list[dict[str, Any]], date: str, out: Path,
               human_file: Path, limit: int | None) -> dict[str, Any]:
    """The sidecar: how the answers were made (module docstring)."""
    from usi_metric import __version__

    cut = [r for r in records if r.get("turns_omitted") or r.get("texts_shortened")]
    meta: dict[str, Any] = {
        "survey_file": out.name,
        "human_file": human_file.name,
        "usi_metric_version": __version__,
        "date": date,
        "prompt_version": PROMPT_VERSION,
        "prompt_template": PROMPT_TEMPLATE,
        "sessions": {"n": len(records), "limit": limit,
                     "which": "kept human sessions (keep true), all batches, sorted by id"},
        "answers": answer_counts({r["id"]: r.get("answers") or {} for r in records}),
        "truncation": {"rule": TRUNCATION_RULE, "sessions_cut": len(cut),
                       "turns_omitted": sum(r.get("turns_omitted", 0) for r in records),
                       "texts_shortened": sum(r.get("texts_shortened", 0) for r in records)},
        **judge.metadata(),
    }
    if judge.backend == "endpoint":
        meta["answers"]["sessions_reasked"] = sum(1 for r in records if r.get("reasked"))
        meta["answers"]["sessions_unreadable"] = sum(1 for r in records if r.get("unreadable"))
    return meta


def run_survey(data_dir: str | Path, out: str | Path, make_judge: Callable[[], Judge], *,
               limit: int | None = None, overwrite: bool = False, date: str | None = None,
               progress: bool = False) -> SurveyResult:
    """The whole run: sessions, judge, journal, ``FILE`` and its sidecar, the Eval.

    ``make_judge`` is called once the release and the output path are checked (loading a
    model can take a while; a mistake in the paths should not).
    """
    if limit is not None and limit < 1:
        raise UsiError(f"--limit must be >= 1, got {limit}")
    out = Path(out)
    human_file = find_human_file(data_dir)
    humans = load_humans(human_file)
    sessions = kept_sessions(humans, limit)
    if not sessions:
        raise UsiError("no kept human session to survey", file=str(human_file))
    refuse_own_input(out, [human_file])
    check_out(out, overwrite)
    fixed_date = run_date(date)
    judge = make_judge()
    start_date = fixed_date or dt.datetime.now(dt.UTC).date().isoformat()
    journal = Journal.open(journal_path(out), {**judge.settings(),
                                               "prompt_version": PROMPT_VERSION},
                           start_date, overwrite=overwrite)
    try:
        chosen = {s.instance_id for s in sessions}
        resumed = sum(1 for i in journal.records if i in chosen)
        pending = [s for s in sessions if s.instance_id not in journal.records]
        bar = _progress(progress, len(sessions), resumed)
        t0 = time.monotonic()
        try:
            def on_answer(record: dict[str, Any]) -> None:
                journal.append(record)
                if bar is not None:
                    bar.advance(bar.task_ids[0])

            answer_sessions(judge, pending, on_answer)
        finally:
            if bar is not None:
                bar.stop()
    finally:
        journal.close()
    records = [journal.records[s.instance_id] for s in sessions]
    entries = {r["id"]: survey_entry(r.get("answers") or {}) for r in records}
    meta = build_meta(judge, records, fixed_date or journal.date, out, human_file, limit)
    write_atomic(out, dumps(entries))
    write_atomic(meta_path(out), dumps(meta))
    print(f"usi survey: {len(records)} sessions ({len(pending)} answered now in "
          f"{time.monotonic() - t0:.1f} s, {resumed} from the journal), "
          f"{meta['truncation']['sessions_cut']} cut to fit the context; wrote "
          f"{for_terminal(out)} and {for_terminal(meta_path(out).name)}", file=sys.stderr)
    survey = load_survey(out)
    eval_agree, batch_scores = simulator_eval(survey, humans)
    return SurveyResult(out=out, meta=meta, n_new=len(pending), n_resumed=resumed,
                        eval_agree=eval_agree, batch_scores=batch_scores,
                        gap=survey_gap(humans, survey),
                        n_covered=len(covered_sessions(humans, survey)))


def print_result(result: SurveyResult) -> None:
    """The Eval of the new file and the over-estimation per field, on stdout."""
    from rich.console import Console
    from rich.table import Table

    from usi_metric.report.wording import survey_table_rows

    console = Console(width=max(100, Console().width))
    e = result.eval_agree
    if e is None:
        print(f"Eval of {for_terminal(result.out.name)}: none (no kept human session it "
              "covers has a valid survey answer)")
    else:
        batches = ", ".join(f"{b:.1f}" for b in result.batch_scores)
        print(f"Eval of {for_terminal(result.out.name)} against the humans: {e.mean:.1f} "
              f"± {e.std:.1f} (over {len(result.batch_scores)} batches: {batches})", flush=True)
    t = Table(title=f"Over-estimation per field: judge vs humans on the same "
                    f"{result.n_covered} sessions (% of the scale)", title_justify="left")
    for c in ("field", "judge mean", "human mean", "over-est. % of scale", "n judge / human"):
        t.add_column(c, justify="left" if c == "field" else "right")
    for row in survey_table_rows({f: g.as_dict() for f, g in result.gap.items()}):
        t.add_row(*row)
    console.print(t)
