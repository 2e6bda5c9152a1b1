"""Building a human reference: from a release folder, or from a team's own sessions
(docs/bring-your-own-humans.md). Every conversation is featurized once, by the featurizer
of the release's humans, and dropped.

>>> conv = [{"role": "user", "content": "I need to return a blender, it arrived broken."}]
>>> ref = from_sessions([{"id": "c1", "task_key": "refund", "batch": "a", "messages": conv},
...                      {"id": "c2", "task_key": "refund", "batch": "b", "messages": conv,
...                       "survey": {"human_like": "Yes"}}])
>>> ref.batches, ref.base_ids, ref.survey[1][4]
(('a', 'b'), ('refund', 'refund'), 3)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.errors import UsiError, UsiWarning
from usi_metric.io.validate import (
    check_conversation,
    check_keep,
    check_reward,
    check_text,
    is_mapping,
    is_whole_number,
    tname,
)
from usi_metric.reference.model import HumanReference, Ordinals, ordinals

if TYPE_CHECKING:
    from usi_metric.io.sessions import SessionSet, SurveySet

CONVERSATION_FIELDS = ("messages", "conversation")


# ----------------------------------------------------------------------------- provenance


def base_provenance(source: str) -> dict[str, Any]:
    """What every reference records of where it came from and what made its features."""
    from usi_metric import __version__
    from usi_metric.features.lexicons import lexicons_sha256
    from usi_metric.features.names import FEATURE_VERSION

    return {"source": source, "feature_version": FEATURE_VERSION,
            "lexicons_sha256": lexicons_sha256(), "tool": "usi-metric",
            "tool_version": __version__, "synthetic": False}


def stored_difficulty(value: Any) -> tuple[dict[str, float] | None, str | None]:
    """A difficulty map to store: None, ``"published"``, a path, a ``{task: d}`` dict (or
    ``usi difficulty``'s JSON) or a ``Difficulty``; ``(values, where it came from)``."""
    from usi_metric.scoring.difficulty import (
        PUBLISHED,
        Difficulty,
        load_difficulty_map,
        map_values,
        published_difficulty,
    )

    if value is None:
        return None, None
    if isinstance(value, Difficulty):
        return dict(value.values), value.source
    if value == PUBLISHED:
        return dict(published_difficulty().values), PUBLISHED
    if isinstance(value, Mapping):
        return map_values(value, "<difficulty>")[0], "given map"
    if isinstance(value, str | Path):
        d = load_difficulty_map(value)
        return dict(d.values), f"map {Path(value).name}"
    raise UsiError(f"must be a {{task: difficulty}} map, the path of one or 'published', got "
                   f"{tname(value)}", field="difficulty")


# ----------------------------------------------------------------------------- from a set


def from_set(humans: SessionSet, second: SurveySet | None, *, source: str,
             difficulty: Any = None, synthetic: bool = False) -> HumanReference:
    """The reference of a featurized human set (a release's, read by ``io.release``) and
    its second person's survey: the scorer's view of them, kept exactly."""
    import numpy as np

    from usi_metric.scoring.evaluation import human_batches

    features = np.where(humans.has_features[:, None], humans.features, np.nan) \
        if len(humans) else np.zeros((0, humans.features.shape[1]))
    survey: list[Ordinals] = []
    not_options = 0
    for s in humans.sessions:
        values, bad = ordinals(s.survey)
        survey.append(values)
        not_options += bad
    ids = [s.instance_id for s in humans.sessions]
    second_entries, second_prov = _second(second, set(ids))
    values, diff_source = stored_difficulty(difficulty)
    prov = base_provenance(source)
    prov.update(synthetic=synthetic, answers_not_options=not_options,
                has_second_survey=second is not None, second_survey=second_prov,
                difficulty=None if values is None else {"source": diff_source,
                                                        "n_tasks": len(values)})
    ref = HumanReference(
        ids=tuple(ids), base_ids=tuple(s.base_id for s in humans.sessions),
        task_keys=tuple(s.task_key for s in humans.sessions),
        session_batches=tuple(s.group for s in humans.sessions),
        keep=tuple(s.keep for s in humans.sessions),
        reward=tuple(s.reward for s in humans.sessions), features=features,
        survey=tuple(survey), second=second_entries, batches=human_batches(humans),
        difficulty=values, provenance=prov)
    ref.provenance["counts"] = ref.counts()
    return ref


def _second(second: SurveySet | None, ids: set[str]
            ) -> tuple[tuple[tuple[str, Ordinals], ...], dict[str, int] | None]:
    """The second person's entries on sessions of the reference, in the file's order (an
    entry on no session can meet none: counted, not stored)."""
    if second is None:
        return (), None
    kept = tuple((iid, ordinals(a)[0]) for iid, a in second.surveys.items() if iid in ids)
    return kept, {"entries": len(second.surveys), "stored": len(kept),
                  "not_sessions": len(second.surveys) - len(kept)}


def from_release(data_dir: str | Path, *, difficulty: Any = None) -> HumanReference:
    """The humans of a release folder and its ``human-eval-100`` survey, if any."""
    from usi_metric.io.featureless import warn_featureless
    from usi_metric.io.layout import HUMAN_EVAL_NAME, release_files, release_root, survey_name
    from usi_metric.io.release import load_humans, load_survey
    from usi_metric.samples import is_synthetic

    human_path, _, survey_paths = release_files(data_dir)
    he = [p for p in survey_paths if survey_name(p) == HUMAN_EVAL_NAME]
    humans = load_humans(human_path)
    warn_featureless(humans.path, humans.featureless, sum(s.kept for s in humans.sessions))
    second = load_survey(he[0], HUMAN_EVAL_NAME) if he else None
    synthetic = is_synthetic(data_dir)
    source = f"release {release_root(data_dir).resolve().name}"
    if synthetic:
        source = f"SYNTHETIC sample {source}"
    return from_set(humans, second, source=source, difficulty=difficulty, synthetic=synthetic)


# ----------------------------------------------------------------------------- own sessions


def _need_text(rec: Mapping[str, Any], name: str, where: str, iid: str | None) -> str:
    if name not in rec:
        raise UsiError("missing field", file=where, id=iid, field=name)
    value = rec[name]
    if not isinstance(value, str) or not value:
        raise UsiError(f"must be a non-empty string, got {tname(value)}"
                       if not isinstance(value, str) else "must not be empty",
                       file=where, id=iid, field=name)
    return check_text(value, file=where, id=iid, field=name)


def _batch(rec: Mapping[str, Any], where: str, iid: str) -> str:
    value = rec.get("batch")
    if "batch" not in rec:
        raise UsiError("missing field (any label: a cohort, an annotator group)",
                       file=where, id=iid, field="batch")
    if is_whole_number(value):
        return str(int(value))
    return _need_text(rec, "batch", where, iid)


def check_record(rec: Any, where: str) -> dict[str, Any]:
    """One session of a team's export, checked: id, task key, batch label, conversation,
    reward, keep and survey ordinals (with the count of answers that are not options).

    >>> check_record({"id": "c1", "task_key": "t", "batch": 2, "messages": []}, "x")["batch"]
    '2'
    >>> check_record({"id": "c1", "batch": 2, "messages": []}, "s.jsonl line 4")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: s.jsonl line 4: id c1: field task_key: missing field
    """
    if not is_mapping(rec):
        raise UsiError(f"a session must be a JSON object, got {tname(rec)}", file=where)
    iid = _need_text(rec, "id", where, None)
    task = _need_text(rec, "task_key", where, iid)
    batch = _batch(rec, where, iid)
    given = [f for f in CONVERSATION_FIELDS if f in rec]
    if not given:
        raise UsiError("missing field (the turns: [{\"role\", \"content\"}, ...]; or "
                       "conversation)", file=where, id=iid, field="messages")
    if len(given) > 1:
        raise UsiError("give messages or conversation, not both", file=where, id=iid,
                       field="conversation")
    conv = check_conversation(rec[given[0]], file=where, id=iid, field=given[0], text=True)
    survey = rec.get("survey")
    if survey is not None and not is_mapping(survey):
        raise UsiError(f"must be an object {{question field: answer}} or null, got "
                       f"{tname(survey)}", file=where, id=iid, field="survey")
    values, not_options = ordinals(survey)
    return {"id": iid, "task_key": task, "batch": batch, "conversation": tuple(conv),
            "reward": check_reward(rec.get("reward"), file=where, id=iid),
            "keep": check_keep(rec.get("keep", True), file=where, id=iid),
            "survey": values, "not_options": not_options,
            "other_fields": sorted(str(k) for k in survey if k not in SURVEY_FIELDS)
            if survey else []}


def read_jsonl(path: str | Path) -> list[tuple[Any, str]]:
    """The records of a JSON Lines file with where each one is (``FILE line N``); blank
    lines are skipped, a line that is not JSON is a one-line error.

    Lines end at ``\n`` only (a ``\r`` before it is dropped), as JSON Lines says: U+2028
    and the like are text inside a string. The file is read as every JSON file is
    (``io.jsonfile.read_bytes``: regular files and pipes only, gzip'd or not)."""
    from usi_metric.io.jsonfile import read_bytes

    path = str(path)
    try:
        lines = [line.removesuffix("\r")
                 for line in read_bytes(path).decode("utf-8").split("\n")]
    except MemoryError:
        raise UsiError("too large to read into memory", file=path) from None
    except FileNotFoundError:
        raise UsiError("file not found", file=path) from None
    except IsADirectoryError:
        raise UsiError("is a folder, not a JSON Lines file", file=path) from None
    except UnicodeDecodeError as exc:
        raise UsiError(f"not UTF-8 text ({exc.reason})", file=path) from None
    except OSError as exc:
        raise UsiError(f"cannot read ({exc.strerror})", file=path) from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append((json.loads(line), f"{path} line {n}"))
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
            raise UsiError(f"not a JSON object ({msg})", file=f"{path} line {n}") from None
    if not out:
        raise UsiError("holds no session (one JSON object a line)", file=path)
    return out


def from_records(items: Iterable[tuple[Any, str]], *, second_survey: Any = None,
                 difficulty: Any = None, source: str = "sessions") -> HumanReference:
    """The reference of checked-as-read records, each with where it is (for messages)."""
    import numpy as np

    from usi_metric.features.batch import featurize_many
    from usi_metric.io.featureless import reasons, warn_featureless
    from usi_metric.io.ids import batch_order

    checked = [check_record(rec, where) | {"where": where} for rec, where in items]
    if not checked:
        raise UsiError("no session given", field="records")
    seen: dict[str, str] = {}
    kept_at: dict[tuple[str, str], str] = {}
    for c in checked:
        if c["id"] in seen:
            raise UsiError(f"duplicate id (first at {seen[c['id']]})", file=c["where"],
                           id=c["id"], field="id")
        seen[c["id"]] = c["where"]
        if c["keep"] is True:
            key = (c["batch"], c["task_key"])
            if key in kept_at:
                raise UsiError(f"a second kept session of task {c['task_key']!r} in batch "
                               f"{c['batch']!r} (the first is id {kept_at[key]}): a batch "
                               "holds at most one kept session per task", file=c["where"],
                               id=c["id"], field="task_key")
            kept_at[key] = c["id"]
    matrix, mask = featurize_many([c["conversation"] for c in checked], "human")
    features = np.where(mask[:, None], matrix, np.nan)
    lost = [c["conversation"] for c, ok in zip(checked, mask.tolist(), strict=True)
            if c["keep"] is True and not ok]
    warn_featureless(source, reasons(lost, [False] * len(lost)),
                     sum(c["keep"] is True for c in checked))
    batches = batch_order(c["batch"] for c in checked)
    second = _second_survey(second_survey)
    second_entries, second_prov = _second(second, set(seen))
    not_options = sum(c["not_options"] for c in checked)
    if not_options:
        warnings.warn(f"{not_options} survey answers of the sessions are not one of the "
                      "options: kept as no answer", UsiWarning, stacklevel=3)
    other = [f for c in checked for f in c["other_fields"]]
    if other:
        seen_fields = ", ".join(repr(f[:40]) for f in sorted(set(other))[:5])
        warnings.warn(f"{len(other)} survey answers of the sessions are under a field that "
                      f"is none of the {len(SURVEY_FIELDS)} questions (fields seen: "
                      f"{seen_fields}): not read", UsiWarning, stacklevel=3)
    first = {c["id"] for c in checked if c["batch"] == batches[0]}
    outside = sum(iid not in first for iid, _ in second_entries)
    if second_prov is not None:
        second_prov["outside_first_batch"] = outside
        if second_prov["not_sessions"] or outside:
            warnings.warn(
                f"{second_prov['not_sessions']} entries of the second survey are no session "
                f"of the reference and {outside} are sessions outside the first batch "
                f"{batches[0]!r}: the ceiling's Eval compares the first batch's kept sessions "
                "only", UsiWarning, stacklevel=3)
    values, diff_source = stored_difficulty(difficulty)
    prov = base_provenance(source)
    prov.update(answers_not_options=not_options, has_second_survey=second is not None,
                second_survey=second_prov,
                difficulty=None if values is None else {"source": diff_source,
                                                        "n_tasks": len(values)})
    ref = HumanReference(
        ids=tuple(c["id"] for c in checked), base_ids=tuple(c["task_key"] for c in checked),
        task_keys=tuple(c["task_key"] for c in checked),
        session_batches=tuple(c["batch"] for c in checked),
        keep=tuple(c["keep"] for c in checked), reward=tuple(c["reward"] for c in checked),
        features=features, survey=tuple(c["survey"] for c in checked),
        second=second_entries, batches=batches, difficulty=values, provenance=prov)
    ref.provenance["counts"] = ref.counts()
    return ref


def _second_survey(value: Any) -> SurveySet | None:
    """A second person's answers keyed by session ids: a survey file's path, a
    ``SurveySet``, or ``{id: {field: answer}}`` (or ``{id: {"survey": {...}}}``)."""
    from usi_metric.io.release import load_survey
    from usi_metric.io.sessions import SurveySet

    if value is None or isinstance(value, SurveySet):
        return value
    if isinstance(value, str | Path):
        return load_survey(value, "second survey")
    if not isinstance(value, Mapping):
        raise UsiError(f"must be a survey file's path or {{session id: survey}}, got "
                       f"{tname(value)}", field="second_survey")
    surveys: dict[str, Mapping[str, Any]] = {}
    for iid, entry in value.items():
        if not is_mapping(entry):
            raise UsiError(f"must be a survey object, got {tname(entry)}", id=str(iid),
                           field="second_survey")
        answers = entry.get("survey", entry) if "survey" in entry else entry
        surveys[str(iid)] = answers if is_mapping(answers) else {}
    return SurveySet(name="second survey", path="<second_survey>", surveys=surveys)


def from_sessions(records: Iterable[Mapping[str, Any]], *, second_survey: Any = None,
                  difficulty: Any = None, source: str = "sessions") -> HumanReference:
    """A team's own people as a reference (``HumanReference.from_sessions``)."""
    return from_records(((rec, f"records[{i}]") for i, rec in enumerate(records)),
                        second_survey=second_survey, difficulty=difficulty, source=source)


def from_jsonl(paths: Iterable[str | Path], *, second_survey: Any = None,
               difficulty: Any = None) -> HumanReference:
    """The sessions of JSON Lines files (one session a line), in the order given."""
    paths = [str(p) for p in paths]
    items = [item for p in paths for item in read_jsonl(p)]
    source = "sessions " + ", ".join(Path(p).name for p in paths)
    return from_records(items, second_survey=second_survey, difficulty=difficulty,
                        source=source)
