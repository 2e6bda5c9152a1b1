"""A human reference: the people of a study reduced to what the USI reads (docs/formats.md).

Per session: its id, base id, task key, batch, ``keep`` and ``reward`` as given, the 19
features and ``n_turns`` (the featurizer's units; NaN where the conversation yields none),
the 8 survey answers as ordinal values (None where not an option); the second person's
ordinals on the sessions they judged, in their file's order; the batch labels; an optional
difficulty map; provenance. No text of any kind.

>>> ref = HumanReference.synthetic()
>>> ref.batches, ref.provenance["synthetic"]
(('1', '2', '3'), True)
>>> humans = ref.humans()
>>> humans.source, humans.sessions[0].conversation
('human', ())
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS, SURVEY_SCALES
from usi_metric.errors import UsiError

if TYPE_CHECKING:  # numpy comes with the arrays, not on import
    import numpy as np

    from usi_metric.io.sessions import SessionSet, SurveySet

Ordinals = tuple[int | None, ...]  # one per SURVEY_FIELDS

# ordinal value -> the first option text with that value, per field (question_amount_
# preference gives "Too many" and "Too few" the same value: either reads the same)
_OPTION_OF: dict[str, dict[int, str]] = {
    f: {v: t for t, v in reversed(scale.items())} for f, scale in SURVEY_SCALES.items()}


def ordinals(answers: Mapping[str, Any] | None) -> tuple[Ordinals, int]:
    """The 8 answers as ordinal values (None where missing or not an option) and how many
    given answers were not an option. An answer is the option text or ``{"answer": text}``.

    >>> ordinals({"human_like": "Yes", "reuse": {"answer": "Maybe"}, "efficiency": "meh"})
    ((None, None, None, None, 3, None, None, 3), 1)
    """
    from usi_metric.aggregation.eval_agree import answer_text

    if not answers:
        return (None,) * len(SURVEY_FIELDS), 0
    out: list[int | None] = []
    invalid = 0
    for f in SURVEY_FIELDS:
        text = answer_text(answers.get(f))
        value = SURVEY_SCALES[f].get(text) if isinstance(text, str) else None
        if value is None and text is not None:
            invalid += 1
        out.append(value)
    return tuple(out), invalid


def answers_of(values: Ordinals) -> dict[str, str]:
    """Ordinal values back to option texts, fields without a value left out (so the Eval
    reads them as unanswered: the same value, the same seeded fill).

    >>> answers_of((None, None, 1, None, 3, None, None, None))
    {'question_amount_preference': 'Too many', 'human_like': 'Yes'}
    """
    return {f: _OPTION_OF[f][v] for f, v in zip(SURVEY_FIELDS, values, strict=True)
            if v is not None}


@dataclass(frozen=True, eq=False)
class HumanReference:
    """The people of a study without their words: what every USI term reads of them."""

    ids: tuple[str, ...]
    base_ids: tuple[str, ...]  # a release: the id without _annN; a team's own logs: task key
    task_keys: tuple[str, ...]
    session_batches: tuple[str, ...]
    keep: tuple[bool | None, ...]
    reward: tuple[float | None, ...]
    features: np.ndarray = field(repr=False)  # (N, len(COLUMNS)), NaN where none
    survey: tuple[Ordinals, ...] = field(repr=False)
    second: tuple[tuple[str, Ordinals], ...] = field(repr=False)  # (id, ordinals), file order
    batches: tuple[str, ...] = ()
    difficulty: dict[str, float] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------ building, files

    @classmethod
    def from_release(cls, data_dir: str | Path, *, difficulty: Any = None) -> HumanReference:
        """The humans of a release folder (its human file and its second person's survey).

        ``difficulty``: a map to store (a path, a ``{task: d}`` dict or a ``Difficulty``).
        """
        from usi_metric.reference.build import from_release

        return from_release(data_dir, difficulty=difficulty)

    @classmethod
    def from_sessions(cls, records: Iterable[Mapping[str, Any]], *,
                      second_survey: Any = None, difficulty: Any = None,
                      source: str = "sessions") -> HumanReference:
        """A team's own people: records ``{"id", "task_key", "batch", "messages" (or
        "conversation"), "reward"?, "survey"?, "keep"?}``; ``second_survey``: a second
        person's answers keyed by session ids (a path, a ``SurveySet`` or a dict)."""
        from usi_metric.reference.build import from_sessions

        return from_sessions(records, second_survey=second_survey, difficulty=difficulty,
                             source=source)

    @classmethod
    def synthetic(cls) -> HumanReference:
        """The bundled SYNTHETIC sample's people (labelled so in the provenance)."""
        from usi_metric.samples import sample_release_dir

        return cls.from_release(sample_release_dir())

    @classmethod
    def load(cls, path: str | Path) -> HumanReference:
        """Read a reference file; one made under other feature definitions is refused."""
        from usi_metric.reference.store import load

        return load(path)

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the reference as one Parquet file (atomically; an existing file only with
        ``overwrite``)."""
        from usi_metric.reference.store import save

        return save(self, path, overwrite=overwrite)

    # ------------------------------------------------------------------ views

    def select(self, batches: Sequence[str]) -> HumanReference:
        """The reference of some batches only (say, people held out from training).

        >>> HumanReference.synthetic().select(["2"]).batches
        ('2',)
        """
        wanted = [str(b) for b in batches]
        unknown = [b for b in wanted if b not in self.batches]
        if unknown:
            raise UsiError(f"no batch {unknown[0]!r} in the reference (it has "
                           f"{', '.join(self.batches)})", field="batches")
        keep = [i for i, b in enumerate(self.session_batches) if b in wanted]
        ids = {self.ids[i] for i in keep}
        order = tuple(b for b in self.batches if b in wanted)
        prov = dict(self.provenance, selected_batches=list(order))
        return HumanReference(
            ids=tuple(self.ids[i] for i in keep),
            base_ids=tuple(self.base_ids[i] for i in keep),
            task_keys=tuple(self.task_keys[i] for i in keep),
            session_batches=tuple(self.session_batches[i] for i in keep),
            keep=tuple(self.keep[i] for i in keep),
            reward=tuple(self.reward[i] for i in keep),
            features=self.features[keep], survey=tuple(self.survey[i] for i in keep),
            second=tuple(e for e in self.second if e[0] in ids), batches=order,
            difficulty=self.difficulty, provenance=prov)

    def humans(self) -> SessionSet:
        """The people as the scorer's human set (source ``human``, no conversations, the
        stored features, ``group`` = batch label); built once, then shared."""
        if "humans" not in self._cache:
            import numpy as np

            from usi_metric.io.sessions import Session, SessionSet

            mask = ~np.isnan(self.features).any(axis=1) if len(self) else np.zeros(0, bool)
            matrix = np.where(mask[:, None], self.features, 0.0)
            sessions = [
                Session(self.ids[i], self.base_ids[i], self.task_keys[i],
                        self.session_batches[i], 0, self.reward[i], self.keep[i], (),
                        answers_of(self.survey[i]))
                for i in range(len(self))]
            self._cache["humans"] = SessionSet(
                name="human", source="human", path=str(self.provenance.get("source", "")),
                sessions=sessions, features=matrix, has_features=mask,
                batches=self.batches)
        return self._cache["humans"]

    def human_eval(self) -> SurveySet | None:
        """The second person's answers (the ceiling's Eval) in their file's order, or None."""
        if not self.provenance.get("has_second_survey", bool(self.second)):
            return None
        from usi_metric.io.sessions import SurveySet

        return SurveySet(name="human-eval", path=str(self.provenance.get("source", "")),
                         surveys={iid: answers_of(v) for iid, v in self.second})

    def counts(self) -> dict[str, Any]:
        """Sessions, kept sessions, with features, tasks and answers, per batch too.

        >>> HumanReference.synthetic().counts()["batches"]["1"]["sessions"] > 0
        True
        """
        per: dict[str, dict[str, int]] = {}
        for i, b in enumerate(self.session_batches):
            c = per.setdefault(b, {"sessions": 0, "kept": 0, "with_features": 0})
            c["sessions"] += 1
            c["kept"] += self.keep[i] is True
            c["with_features"] += not any(math.isnan(x) for x in self.features[i])
        return {"sessions": len(self), "kept": sum(k is True for k in self.keep),
                "tasks": len(set(self.task_keys)),
                "survey_answers": sum(v is not None for o in self.survey for v in o),
                "second_survey_entries": len(self.second),
                "batches": {b: per.get(b, {"sessions": 0, "kept": 0, "with_features": 0})
                            for b in self.batches}}
