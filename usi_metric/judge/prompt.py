"""The judging prompt: a kept human session as user/agent turns, then the eight questions.

The paper's judging prompt is not public (docs/judge.md), so this one is ours, versioned
(:data:`PROMPT_VERSION`), printed by ``usi survey --show-prompt`` and stored beside the
answers. It is ONE user message (no system message: every chat template accepts it):
:data:`PROMPT_TEMPLATE` with ``{conversation}`` replaced by the session's turns.

The conversation is cleaned by the metric's own rules (:mod:`usi_metric.features.extract`):
meta messages of a human session are dropped (``is_meta``), agent markup is removed from every
text (``strip_markup``); then only ``user`` (``User:``) and ``assistant`` (``Agent:``) messages
are kept (tool and system messages are not turns of the conversation), each text stripped of
surrounding blanks, empty ones dropped. Turns are separated by a blank line.

>>> conv = [{"role": "user", "content": "\\\\tau 1 of 5"},
...         {"role": "assistant", "content": "Hi!<|think|>plan<|/think|>"},
...         {"role": "tool", "content": "{}"},
...         {"role": "user", "content": " Cancel trip Q7XK2P please "}]
>>> print(render_turns(conversation_turns(conv)))
Agent: Hi!
<BLANKLINE>
User: Cancel trip Q7XK2P please

**Too long for the model** (:func:`fit_prompt`): when the whole prompt does not fit the
model's prompt budget, whole turns are dropped from the middle: the first two turns (the
opening and the user's request) and the latest turns stay, turns 3, 4, ... are dropped oldest
first, as few as needed, and one line ``[... N turns omitted to fit the model's context ...]``
stands in their place. If the two opening turns and the last turn alone still do not fit,
each of those three texts is cut to the same largest number of characters that fits,
followed by ``[...]``. Every cut is counted (turns omitted, texts shortened) and stored.

>>> turns = [("Agent", "Hi"), ("User", "a " * 50), ("Agent", "b " * 50), ("User", "bye")]
>>> fit = fit_prompt(turns, measure=len, budget=len(build_prompt(render_turns(turns))) - 1)
>>> fit.turns_omitted, fit.texts_shortened, "[... 1 turn omitted" in fit.text
(1, 0, True)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from usi_metric.aggregation.eval_agree import SURVEY_FIELDS
from usi_metric.errors import UsiError
from usi_metric.features.extract import is_mapping, is_meta, strip_markup
from usi_metric.judge.questions import SURVEY_QUESTIONS, survey_options

#: Changes whenever the wording below changes; stored with the answers, checked on resume.
PROMPT_VERSION = "usi-survey-prompt-1"
SPEAKERS = {"user": "User", "assistant": "Agent"}
PLACEHOLDER = "{conversation}"
EMPTY_CONVERSATION = "(no messages)"
SHORTENED = " [...]"

Turn = tuple[str, str]  # (speaker, text)


def _questions_block() -> str:
    lines = []
    for i, field in enumerate(SURVEY_FIELDS, 1):
        options = " | ".join(f'"{o}"' for o in survey_options(field))
        lines.append(f"{i}. {field}: {SURVEY_QUESTIONS[field]}\n   Options: {options}")
    return "\n".join(lines)


def _example() -> str:
    return "{" + ", ".join(f'"{f}": "..."' for f in SURVEY_FIELDS) + "}"


#: The whole user message; ``{conversation}`` is replaced by the rendered turns.
PROMPT_TEMPLATE = (
    "You are the user in the conversation below. You contacted a customer-service agent to "
    'get a task done, and this is how the conversation went ("User" is you, "Agent" is the '
    "agent).\n\n"
    "<conversation>\n" + PLACEHOLDER + "\n</conversation>\n\n"
    "After the conversation you were asked to fill in a short survey. Answer each question as "
    "the person who had this conversation would, choosing exactly one of its options, copied "
    "word for word.\n\n"
    + _questions_block() + "\n\n"
    "Reply with one JSON object and nothing else: the eight field names above as keys, each "
    "with the option you chose as its value, like this:\n" + _example()
)

#: Sent once, after a reply that holds no JSON object with a survey field (endpoint backend).
REASK_PROMPT = (
    "Your reply could not be read. Reply with the JSON object only: the eight field names as "
    "keys, each with the option you chose, copied word for word, as its value."
)

#: Local backend: the start of the model's reply scored for one question; the option and a
#: closing quote follow it (the quote ends the option, so a short option that is the start
#: of a longer one is not favoured).
ANSWER_PREFIX = '{"{field}": "'
ANSWER_SUFFIX = '"'


def answer_prefix(field: str) -> str:
    """The reply's start before the option of ``field`` (local backend).

    >>> answer_prefix("reuse") + "Maybe" + ANSWER_SUFFIX
    '{"reuse": "Maybe"'
    """
    return ANSWER_PREFIX.replace("{field}", field)


def conversation_turns(conversation: Iterable[Mapping[str, Any]]) -> list[Turn]:
    """``(speaker, text)`` of a human session: meta messages dropped, markup removed, only
    user and agent messages, texts stripped, empty ones dropped.

    >>> conversation_turns([{"role": "user", "content": "/stop"},
    ...                     {"role": "assistant", "content": "<function=x>{}</function>"}])
    []
    """
    turns: list[Turn] = []
    for msg in conversation:
        if not is_mapping(msg):
            continue
        content = msg.get("content")
        if not isinstance(content, str) or is_meta(content, "human"):
            continue
        role = msg.get("role")
        speaker = SPEAKERS.get(role) if isinstance(role, str) else None
        if speaker is None:
            continue
        text = strip_markup(content).strip()
        if text:
            turns.append((speaker, text))
    return turns


def omitted_line(n: int) -> str:
    """The line standing in for ``n`` dropped turns.

    >>> omitted_line(3)
    "[... 3 turns omitted to fit the model's context ...]"
    """
    return f"[... {n} turn{'s' if n != 1 else ''} omitted to fit the model's context ...]"


def render_turns(turns: Sequence[Turn], omitted: int = 0) -> str:
    """The conversation block: ``Speaker: text`` per turn, a blank line between turns; with
    ``omitted`` > 0 the omitted line after the first two turns.

    >>> render_turns([])
    '(no messages)'
    """
    lines = [f"{speaker}: {text}" for speaker, text in turns]
    if omitted:
        lines.insert(2, omitted_line(omitted))
    return "\n\n".join(lines) if lines else EMPTY_CONVERSATION


def build_prompt(conversation_text: str) -> str:
    """The user message: :data:`PROMPT_TEMPLATE` around a rendered conversation.

    >>> p = build_prompt("User: hi")
    >>> p.count("User: hi"), p.endswith('"reuse": "..."}')
    (1, True)
    """
    return PROMPT_TEMPLATE.replace(PLACEHOLDER, conversation_text)


@dataclass(frozen=True)
class FittedPrompt:
    """A prompt and how it was cut to fit: turns dropped, texts shortened (0 when whole)."""

    text: str
    turns_omitted: int = 0
    texts_shortened: int = 0

    @property
    def cut(self) -> bool:
        return bool(self.turns_omitted or self.texts_shortened)


def fit_prompt(turns: Sequence[Turn], measure: Callable[[str], int],
               budget: int | None) -> FittedPrompt:
    """The prompt of a session, cut (module docstring) so that ``measure(prompt) <= budget``.

    ``measure`` counts a prompt in the budget's unit (tokens of the model's chat template);
    ``budget`` None means no limit.

    >>> fit_prompt([("User", "hello")], measure=len, budget=None).cut
    False
    """
    whole = build_prompt(render_turns(turns))
    if budget is None or measure(whole) <= budget:
        return FittedPrompt(whole)
    n = len(turns)
    for k in range(1, n - 2):  # keep turns 1-2 and the last n-2-k turns
        text = build_prompt(render_turns([*turns[:2], *turns[2 + k:]], omitted=k))
        if measure(text) <= budget:
            return FittedPrompt(text, turns_omitted=k)
    omitted = max(n - 3, 0)
    kept = [*turns[:2], *turns[2 + omitted:]]

    def shortened(m: int) -> str:
        short = [(s, t if len(t) <= m else t[:m].rstrip() + SHORTENED) for s, t in kept]
        return build_prompt(render_turns(short, omitted=omitted))

    if measure(shortened(0)) > budget:
        raise UsiError(f"the model's context ({budget} prompt tokens) cannot hold the survey "
                       "questions: pass a larger --max-prompt-tokens or another model")
    lo, hi = 0, max(len(t) for _, t in kept)  # shortened(lo) fits, shortened(hi) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if measure(shortened(mid)) <= budget else (lo, mid)
    n_short = sum(1 for _, t in kept if len(t) > lo)
    return FittedPrompt(shortened(lo), turns_omitted=omitted, texts_shortened=n_short)


FENCE = "```"


def fenced_blocks(reply: str) -> list[str]:
    r"""The text of each fenced block of ``reply`` (after an optional ``json`` tag), left to
    right: what ``re.findall(r"```(?:json)?\s*(.*?)```", reply, re.S | re.I)`` finds, up to
    white space at the ends, in linear time (``str.find`` from where the last block closed;
    the regex backtracks quadratically on a fence followed by much white space).

    >>> fenced_blocks('a ```JSON\n{"x": 1}``` b ```y``` ```open')
    ['\n{"x": 1}', 'y']
    >>> fenced_blocks("``` " * 3 + " " * 10)
    [' ']
    """
    blocks, pos = [], 0
    while (start := reply.find(FENCE, pos)) >= 0:
        start += len(FENCE)
        if reply[start:start + 4].casefold() == "json":
            start += 4
        end = reply.find(FENCE, start)
        if end < 0:  # an open fence: no later one closes anything
            break
        blocks.append(reply[start:end])
        pos = end + len(FENCE)
    return blocks


def _json_object(reply: str) -> dict[str, Any] | None:
    candidates = [reply.strip(), *(m.strip() for m in fenced_blocks(reply))]
    first, last = reply.find("{"), reply.rfind("}")
    if 0 <= first < last:
        candidates.append(reply[first:last + 1])
    for text in candidates:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def parse_answers(reply: Any) -> dict[str, Any] | None:
    """The survey answers of a reply, each value EXACTLY as the model gave it, or None when
    the reply holds no JSON object with a survey field (then the question is asked again).

    The reply is read as JSON as a whole, else its first fenced block (```json ... ```), else
    the text from its first ``{`` to its last ``}``. Fields the object leaves out are absent
    (stored unanswered); keys that are not survey fields are ignored.

    >>> parse_answers('Sure! ```json\\n{"human_like": "Yes ", "reuse": 4, "x": 1}\\n```')
    {'human_like': 'Yes ', 'reuse': 4}
    >>> parse_answers("I think yes."), parse_answers('{"mood": "fine"}')
    (None, None)
    """
    if not isinstance(reply, str):
        return None
    obj = _json_object(reply)
    if obj is None:
        return None
    answers = {f: obj[f] for f in SURVEY_FIELDS if f in obj}
    return answers or None
