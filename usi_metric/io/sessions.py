"""The sessions a score is made of: one entry of a release file, featurized once.

>>> s = Session("airline_7_ann2", "airline_7", "airline_7", "2", 0, 1.0, True, (), {})
>>> s.kept, s.success
(True, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from usi_metric.errors import UsiError
from usi_metric.features.names import COLUMNS
from usi_metric.io import ids

if TYPE_CHECKING:  # numpy and the featurizer load when a set is built, not on import
    import numpy as np


@dataclass(frozen=True)
class Session:
    """One conversation of the release, with what the metric needs of its entry."""

    instance_id: str
    base_id: str  # human id without _annN; simulator id without its run suffix
    task_key: str
    group: str  # human: batch "1".."3"; simulator: run key of the file-size rule
    ece_run: int  # simulator: run index for ECE (third number, else 1); human: 0
    reward: float | None
    keep: bool | None  # None is JSON null; an absent keep is True
    conversation: tuple[Mapping[str, Any], ...]
    survey: Mapping[str, Any]

    def without_conversation(self) -> Session:
        """The same session without its texts (``dataclasses.replace``, several times
        faster: a set of 15,000 sessions drops them in milliseconds).

        >>> Session("a", "a", "a", "1", 1, None, True, ({"role": "user"},), {}
        ...         ).without_conversation().conversation
        ()
        """
        return Session(self.instance_id, self.base_id, self.task_key, self.group,
                       self.ece_run, self.reward, self.keep, (), self.survey)

    @property
    def kept(self) -> bool:
        """Counted in rows and human rewards: ``keep`` true or absent (null is out)."""
        return self.keep is True

    @property
    def success(self) -> int:
        """1 when ``reward > 0``, else 0 (a missing or null reward counts 0)."""
        return 1 if self.reward is not None and self.reward > 0 else 0


@dataclass
class SessionSet:
    """The sessions of one file, featurized once: ``features[i]`` belongs to ``sessions[i]``."""

    name: str
    source: str  # "human" or "llm"
    path: str
    sessions: list[Session]
    features: np.ndarray = field(repr=False)
    has_features: np.ndarray = field(repr=False)
    # human sets: the batch labels in scoring order (None: the labels of the sessions'
    # groups, ``ids.batch_order``); a release's human file always has batches 1, 2, 3
    batches: tuple[str, ...] | None = None
    # the sessions without features, counted by reason (``io.featureless.reasons``)
    featureless: dict[str, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.sessions)


@dataclass
class SurveySet:
    """A ``survey_comparable_*.json`` file: ``{id: survey}`` in the file's own order."""

    name: str
    path: str
    surveys: dict[str, Mapping[str, Any]]
    # entries that hold a conversation: a runs file given as a survey file
    n_conversations: int = 0


@dataclass
class Release:
    """A release folder: humans, simulators (sorted by name), their surveys, bad files."""

    root: str
    humans: SessionSet
    simulators: dict[str, SessionSet]
    surveys: dict[str, SurveySet]
    human_eval: SurveySet | None
    problems: list[UsiError] = field(default_factory=list)
    # what reading it left out or chose, one line each (``io.layout.layout_notes``, the
    # human sessions without features): said as ``UsiWarning`` when read, and kept here
    notes: list[str] = field(default_factory=list)


def human_session(instance_id: str, fields: Mapping[str, Any], *, batch: int | None = None,
                  base_id: str | None = None, task_key: str | None = None) -> Session:
    """A human session from a checked entry (``validate.check_entry``'s fields). The id
    says the batch, base id and task key (``ids``); a dataset row that stores them passes
    them as they are.

    >>> human_session("telecom_4_ann2", {"reward": 1.0}).task_key
    'telecom_4'
    >>> human_session("x", {}, batch=2, base_id="b", task_key="t").group
    '2'
    """
    return Session(
        instance_id=instance_id,
        base_id=ids.human_base_id(instance_id) if base_id is None else base_id,
        task_key=ids.human_task_key(instance_id) if task_key is None else task_key,
        group=str(ids.human_batch(instance_id) if batch is None else batch),
        ece_run=0, reward=fields.get("reward"), keep=fields.get("keep", True),
        conversation=tuple(fields.get("conversation", ())), survey=fields.get("survey", {}))


def simulator_session(instance_id: str, fields: Mapping[str, Any], *, multi_run: bool = False,
                      run: int | None = None, ece_run: int | None = None,
                      base_id: str | None = None, task_key: str | None = None) -> Session:
    """A simulator session from a checked entry. Without ``run`` the id says the run (the
    release rule: ``ids.simulator_keys``); with ``run`` (a results file that numbers its runs)
    the id is the task's id as it is, and ``ece_run`` (default: ``run``) the run it counts
    in for the ECE. A dataset row that stores its base id and task key passes them.

    >>> simulator_session("retail_12_2", {}, multi_run=True).group
    '2'
    >>> simulator_session("retail_12", {}, run=3).ece_run
    3
    >>> simulator_session("airline_9_4", {}, run=1, ece_run=4).task_key
    'airline_9'
    """
    if run is None:
        group, base, task, ece = ids.simulator_keys(instance_id, multi_run)
    else:
        group, base, ece = str(run), instance_id, run
        task = ids.simulator_keys(instance_id, False)[2]
    return Session(
        instance_id=instance_id, base_id=base if base_id is None else base_id,
        task_key=task if task_key is None else task_key, group=group,
        ece_run=ece if ece_run is None else ece_run,
        reward=fields.get("reward"), keep=fields.get("keep", True),
        conversation=tuple(fields.get("conversation", ())), survey=fields.get("survey", {}))


def build_set(name: str, source: str, path: str, sessions: list[Session],
           workers: int | None = None, conversations: bool = True) -> SessionSet:
    """Featurize the sessions once (``features.featurize_many``) and keep them as a set;
    ``conversations=False`` drops the texts once featurized. A simulator's run ids are
    checked first (``io.run_ids``: colliding ids never make a number order-dependent)."""
    from usi_metric.features.batch import featurize_many
    from usi_metric.io.featureless import reasons

    if source == "llm":
        from usi_metric.io.run_ids import warn_run_ids

        warn_run_ids(sessions, path)

    matrix, mask = featurize_many((s.conversation for s in sessions), source, workers)
    lost = [s.conversation for s, ok in zip(sessions, mask.tolist(), strict=True)
            if s.kept and not ok]  # kept sessions only: the others are in no term anyway
    why = reasons(lost, [False] * len(lost))
    if not conversations:  # featurized: the texts are no longer needed
        sessions = [s.without_conversation() for s in sessions]
    assert matrix.shape[1] == len(COLUMNS)
    return SessionSet(name=name, source=source, path=path, sessions=sessions,
                      features=matrix, has_features=mask, featureless=why)


def select_simulators(release: Release, simulators: Sequence[str] | None) -> list[str]:
    """The simulator names asked for, checked against the release (default: all of them)."""
    if not simulators:
        return list(release.simulators)
    check_simulators_exist(simulators, list(release.simulators), release.root)
    return list(dict.fromkeys(simulators))


def check_simulators_exist(asked: Sequence[str], have: Sequence[str], root: str) -> None:
    """A :class:`UsiError` naming the first simulator asked for that the release does not
    have, and listing those it has.

    >>> check_simulators_exist(["gpt-4o"], ["s2", "s"], "rel")
    Traceback (most recent call last):
    ...
    usi_metric.errors.UsiError: rel: no simulator 'gpt-4o' in the release (have: s, s2)
    """
    missing = [n for n in asked if n not in have]
    if missing:
        listed = ", ".join(sorted(have)) or "none"
        raise UsiError(f"no simulator {missing[0]!r} in the release (have: {listed})",
                       file=root)
