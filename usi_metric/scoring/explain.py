"""Saying what a score stands on: the yardstick used, how much of a run it covers, and why
there is no USI when there is none (the one home of these messages).

>>> from usi_metric.scoring.difficulty import Difficulty
>>> y = yardstick(Difficulty({"airline_1": 0.5, "airline_2": 0.9}, source="published"),
...               ["airline_1", "airline_3"])
>>> y["source"], y["n_tasks_scored"], y["n_tasks_outside"]
('published', 2, 1)
>>> yardstick_line(y)
'Yardstick: published (2 tasks with a difficulty); 1 of the 2 tasks of the runs has none.'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from usi_metric.aggregation.ece import MIN_SAMPLES
from usi_metric.aggregation.eval_agree import SURVEY_FIELDS, answer_text, normalised_answer
from usi_metric.io import SessionSet, SurveySet
from usi_metric.io.sessions import Session
from usi_metric.scoring.difficulty import Difficulty, run_reward_maps
from usi_metric.scoring.evaluation import covered_sessions
from usi_metric.scoring.leaderboard import ScoreRow


def yardstick(diff: Difficulty, tasks: Iterable[str]) -> dict[str, Any]:
    """The difficulty reference in a JSON-ready form, with the tasks it leaves out.

    ``tasks``: the task keys of the runs being scored. Keys are sorted (stable JSON).
    """
    covered, total = diff.coverage(tasks)
    return {"source": diff.source, "n_tasks_with_difficulty": len(diff.values),
            "n_tasks_scored": total, "n_tasks_outside": total - covered}


def yardstick_line(y: dict[str, Any]) -> str:
    """One sentence for a table's foot."""
    line = (f"Yardstick: {y['source']} ({y['n_tasks_with_difficulty']} tasks with a "
            "difficulty)")
    out, total = y["n_tasks_outside"], y["n_tasks_scored"]
    if total == 0:
        return f"{line}; there are no runs to score."
    if out:
        verb = "has" if out == 1 else "have"
        return f"{line}; {out} of the {total} tasks of the runs {verb} none."
    return f"{line}; every one of the {total} tasks of the runs has one."


def sim_tasks(sim: SessionSet) -> set[str]:
    """The task keys of a simulator's sessions."""
    return {s.task_key for s in sim.sessions}


def no_usi_reason(row: ScoreRow, diff: Difficulty, sim: SessionSet,
                  how: str = "pass '--difficulty published' or a map") -> str | None:
    """Why ``row`` has no USI (None when it has one). ``how`` says what the user can do,
    in the words of the interface they use (a CLI flag, a ``compute()`` argument)."""
    if row.cells.get("usi") is not None:
        return None
    if all(b.dims is None for b in row.batches):
        kept = sum(s.kept for s in sim.sessions)
        lost = sim.featureless.get("n", 0) if sim.featureless else 0
        if kept and lost >= kept:  # the roles or empty texts are to blame, not the ids
            from usi_metric.io.featureless import why

            return (f"none of the {kept} kept sessions of the runs yields features "
                    f"({why(sim.featureless)}), so there is no D1-D4 and no USI")
        return ("no kept session of the runs is a kept human session of the release "
                "(their ids must match the humans' task ids, like 'airline_7'), so there is "
                "no USI")
    if row.cells.get("ece") is not None:
        return "no human batch has both an overlap with the runs and an ECE, so there is no USI"
    tasks = sim_tasks(sim)
    covered, total = diff.coverage(tasks)
    if diff.pooled:
        most = max((sum(1 for m in run_reward_maps(sim).values() if t in m) for t in tasks),
                   default=0)
        return (f"no task has a difficulty in the {diff.source} yardstick (a pooled task needs "
                f">= {MIN_SAMPLES} samples; these runs give at most {most} per task), so there "
                f"is no ECE and no USI; {how}")
    if not diff.values:
        return (f"the {diff.source} yardstick is empty (no task has a difficulty), so there is "
                f"no ECE and no USI; {how}")
    return (f"the {diff.source} yardstick covers {covered} of the {total} tasks of the runs "
            f"(its {len(diff.values)} task keys look like "
            f"{', '.join(repr(k) for k in sorted(diff.values)[:2])}), so there is no ECE and "
            f"no USI; {how}")


def survey_coverage(survey: SurveySet, humans: SessionSet) -> dict[str, int]:
    """How much of the humans a survey file covers, and how many of its answers are options.

    ``n_covered``: kept human sessions whose id is in the file (what the Eval compares);
    ``n_valid`` of ``n_answers``: answers on those sessions that are one of the options (the
    others get the scorer's seeded fill).

    >>> from usi_metric.io import SurveySet, load_humans
    >>> from usi_metric.samples import sample_release_dir
    >>> humans = load_humans(f"{sample_release_dir()}/data/tau_bench_tasks_unified.json")
    >>> c = survey_coverage(SurveySet("x", "x.json", {"airline_1": {"reuse": "nope"}}), humans)
    >>> c["n_covered"], c["n_answers"], c["n_valid"]
    (1, 8, 0)

    ``n_compared``: the Eval's pairs on those sessions (fields the person answered with an
    option); ``n_filled`` of them: the judge's answer is no option, so the Eval uses the
    scorer's seeded fill there.
    """
    sessions = covered_sessions(humans, survey)
    covered = [s.instance_id for s in sessions]
    valid = sum(normalised_answer(f, answer_text(survey.surveys[i].get(f))) is not None
                for i in covered for f in SURVEY_FIELDS)
    compared = filled = 0  # the Eval's pairs: fields the person answered with an option
    for s in sessions:
        for f in SURVEY_FIELDS:
            if normalised_answer(f, answer_text(s.survey.get(f))) is None:
                continue
            compared += 1
            filled += normalised_answer(
                f, answer_text(survey.surveys[s.instance_id].get(f))) is None
    n_kept = sum(s.kept for s in humans.sessions)
    return {"n_entries": len(survey.surveys), "n_kept_human_sessions": n_kept,
            "n_covered": len(covered), "n_answers": len(covered) * len(SURVEY_FIELDS),
            "n_valid": valid, "n_compared": compared, "n_filled": filled}


def any_valid_answer(survey: SurveySet, sessions: Sequence[Session]) -> bool:
    """Whether one answer of the survey file on these sessions is one of the options (what
    :func:`survey_coverage`'s ``n_valid > 0`` says, stopping at the first).

    >>> from usi_metric.io import SurveySet
    >>> from usi_metric.reference import HumanReference
    >>> humans = HumanReference.synthetic().humans()
    >>> sv = SurveySet("x", "x.json", {"airline_1": {"reuse": "nope"}})
    >>> any_valid_answer(sv, covered_sessions(humans, sv))
    False
    """
    entries = survey.surveys
    return any(normalised_answer(f, answer_text(entries[s.instance_id].get(f))) is not None
               for s in sessions for f in SURVEY_FIELDS)


def those(n: int) -> str:
    """``those 20``, or ``that one``.

    >>> those(1), those(20)
    ('that one', 'those 20')
    """
    return "that one" if n == 1 else f"those {n}"


def survey_line(c: dict[str, int]) -> str:
    """One sentence for a table's foot: what the Eval stands on.

    >>> survey_line({"n_covered": 20, "n_kept_human_sessions": 169, "n_answers": 160,
    ...              "n_valid": 150, "n_compared": 90, "n_filled": 30}).split("; ")[0]
    'Survey: covers 20 of the 169 kept human sessions, so the Eval rests on those 20 only'
    """
    share = 100.0 * c["n_valid"] / c["n_answers"] if c["n_answers"] else 0.0
    rests = (f", so the Eval rests on {those(c['n_covered'])} only"
             if c["n_covered"] < c["n_kept_human_sessions"] else "")
    line = (f"Survey: covers {c['n_covered']} of the {c['n_kept_human_sessions']} kept human "
            f"sessions{rests}; {c['n_valid']} of its {c['n_answers']} answers there "
            f"({share:.0f}%) are options")
    if "n_compared" not in c:
        return line + ", the rest get the scorer's seeded fill."
    n, fills = c["n_compared"], c["n_filled"]
    fill_share = 100.0 * fills / n if n else 0.0
    return (f"{line}. Of the {n} answers the Eval compares (the people's options), "
            f"{fills} ({fill_share:.0f}%) are the scorer's seeded fills, not the judge's.")


def coverage(sim: SessionSet, humans: SessionSet) -> dict[str, int]:
    """How much of the human release a simulator's runs meet: its kept sessions whose id is
    a kept human session's, and the tasks they cover (keys sorted: stable JSON).

    >>> from usi_metric.io import load_humans, load_simulator
    >>> from usi_metric.samples import sample_release_dir
    >>> root = sample_release_dir()
    >>> c = coverage(load_simulator(f"{root}/eval_results/eval_results_synth-terse.json"),
    ...              load_humans(f"{root}/data/tau_bench_tasks_unified.json"))
    >>> c["n_tasks_matched"] <= c["n_human_tasks"]
    True
    """
    human = human_tasks(humans)
    kept = [i for i, s in enumerate(sim.sessions) if s.kept]
    matched = [i for i in kept if sim.sessions[i].base_id in human]
    return {"n_human_tasks": len(set(human.values())),
            "n_kept_sessions": len(kept),
            "n_sessions_matched": len(matched),
            "n_matched_featureless": sum(not sim.has_features[i] for i in matched),
            "n_tasks_matched": len({human[sim.sessions[i].base_id] for i in matched})}


def human_tasks(humans: SessionSet) -> dict[str, str]:
    """``{base id: task key}`` of the kept human sessions."""
    return {s.base_id: s.task_key for s in humans.sessions if s.kept}


def tasks_met(sim: SessionSet, humans: SessionSet) -> set[str]:
    """The people's tasks that a kept session of ``sim`` meets (by id, as :func:`coverage`).

    >>> from usi_metric.io import load_humans, load_simulator
    >>> from usi_metric.samples import sample_release_dir
    >>> root = sample_release_dir()
    >>> humans = load_humans(f"{root}/data/tau_bench_tasks_unified.json")
    >>> sim = load_simulator(f"{root}/eval_results/eval_results_synth-terse.json")
    >>> len(tasks_met(sim, humans)) == coverage(sim, humans)["n_tasks_matched"]
    True
    """
    human = human_tasks(humans)
    return {human[s.base_id] for s in sim.sessions if s.kept and s.base_id in human}


def shared_tasks_line(a: str, met_a: int, b: str, met_b: int, shared: int, total: int) -> str:
    """One sentence for a comparison's foot: the tasks each side meets and both do.

    >>> shared_tasks_line("A", 29, "B", 58, 29, 58).split(";")[0]
    'Tasks: A meets 29 of the 58 tasks of the human sessions, B 58'
    """
    return (f"Tasks: {a} meets {met_a} of the {total} tasks of the human sessions, {b} "
            f"{met_b}; both meet {shared}. Each score rests on the tasks its runs meet; the "
            f"resampling draws from all {total}.")


def coverage_line(c: dict[str, int]) -> str:
    """One sentence for a table's foot: what the score stands on.

    >>> coverage_line({"n_human_tasks": 58, "n_kept_sessions": 1, "n_sessions_matched": 1,
    ...                "n_tasks_matched": 1}).split(" (")[0]
    'Coverage: the runs meet 1 of the 58 tasks of the human sessions'
    """
    lost = c.get("n_matched_featureless", 0)
    tail = (f"; {lost} of those {'yields' if lost == 1 else 'yield'} no features, so D1-D4 "
            "leave them out" if lost else "")
    return (f"Coverage: the runs meet {c['n_tasks_matched']} of the {c['n_human_tasks']} "
            f"tasks of the human sessions ({c['n_sessions_matched']} of their "
            f"{c['n_kept_sessions']} kept sessions match a kept human session{tail}).")


def partial_coverage_lines(sims: Iterable[SessionSet], humans: SessionSet) -> list[str]:
    """One line per simulator whose runs miss some of the people's tasks (none when every
    simulator meets them all): a row of a table rests on that much.

    >>> from usi_metric.io import load_release
    >>> from usi_metric.samples import sample_release_dir
    >>> rel = load_release(sample_release_dir())
    >>> partial_coverage_lines(rel.simulators.values(), rel.humans)[0].split(" (")[0]
    'synth-terse: its runs meet 57 of the 58 tasks of the human sessions'
    """
    out = []
    for sim in sims:
        c = coverage(sim, humans)
        if c["n_tasks_matched"] < c["n_human_tasks"]:
            out.append(f"{sim.name}: " + coverage_line(c).removeprefix("Coverage: the runs ")
                       .replace("meet", "its runs meet", 1).rstrip("."))
    return out


HUMAN_NO_EVAL = ("Eval —: the people have no second person's survey (survey_comparable_"
                 "human-eval-100.json), so the human ceiling averages five terms.")


def no_survey_line(names: Sequence[str]) -> str | None:
    """Why a leaderboard shows Eval "—" for simulators that have no survey file (None when
    every simulator has one): one sentence naming them.

    >>> no_survey_line(["synth-echo"]).split(" (")[0]
    'Eval —: no survey file for synth-echo'
    """
    if not names:
        return None
    its = "its USI averages" if len(names) == 1 else "their USIs average"
    return (f"Eval —: no survey file for {', '.join(names)} (survey_data/survey_comparable_"
            f"<simulator>.json, its answers on the human sessions), so {its} five terms.")


def no_eval_line(row: ScoreRow, human: ScoreRow, how: str = "pass --survey FILE") -> str | None:
    """Why a table shows Eval "—" (None when both rows have one): one sentence.

    >>> from usi_metric.scoring.leaderboard import ScoreRow
    >>> no_eval_line(ScoreRow("s", {"eval_agree": None}, []),
    ...              ScoreRow("h", {"eval_agree": None}, [], "human")).split(" (")[0]
    'Eval —: no survey file for s'
    """
    parts = []
    if row.cells.get("eval_agree") is None:
        parts.append(f"no survey file for {row.name} ({how}, its answers on the human "
                     "sessions), so its USI averages five terms")
    if human.cells.get("eval_agree") is None:
        parts.append(HUMAN_NO_EVAL.removeprefix("Eval —: ").rstrip("."))
    return ("Eval —: " + "; ".join(parts) + ".") if parts else None
