"""What a judge backend gives the run: one session's answers, and how prompts are measured.

>>> a = JudgeAnswer({"human_like": "Yes"}, {"reasked": False})
>>> a.answers["human_like"], a.extra
('Yes', {'reasked': False})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class JudgeAnswer:
    """A session's answers (field -> answer exactly as given; a field left out is
    unanswered) and what the journal keeps besides (re-asks, raw replies)."""

    answers: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


class Judge(Protocol):
    """A backend: ``answer(prompt)`` for one session (thread-safe when ``concurrency`` > 1)."""

    backend: str
    concurrency: int
    budget: int | None  # prompt budget in ``measure`` units; None: no cut

    def measure(self, prompt: str) -> int: ...

    def answer(self, prompt: str) -> JudgeAnswer: ...

    def settings(self) -> dict[str, Any]: ...

    def metadata(self) -> dict[str, Any]: ...
