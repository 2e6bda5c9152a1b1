"""Crafted user messages that make the plain ``re`` patterns backtrack, and normal ones.

``CASES`` maps a name to ``(what it stresses, builder)``; ``builder(n)`` returns a text of
about ``n`` characters (exactly ``n`` for most).
"""

from __future__ import annotations

import random
from collections.abc import Callable


def _repeat(unit: str) -> Callable[[int], str]:
    def build(n: int) -> str:
        return (unit * (n // len(unit) + 1))[:n]

    return build


def _random_unicode(n: int) -> str:
    rng = random.Random(6)
    pool = [chr(c) for c in range(0x20, 0x3000) if chr(c).isprintable()]
    pool += list(" \n\t_@.#'?-,!") * 40 + list("0123456789") * 40 + ["\u2014", "\u2013"] * 20
    return "".join(rng.choice(pool) for _ in range(n))


def _phrases(n: int) -> str:
    unit = ("please, i'm not sure what you mean - don't ask me that again? my id is "
            "abc123456 and gift_card_123456 or bob@mail.com #W1234567 user_id_12345. ")
    return _repeat(unit)(n)


CASES: dict[str, tuple[str, Callable[[int], str]]] = {
    "underscores": ("ID \\w+_\\w+_\\d{3,}: cubic", _repeat("_")),
    "a_a_a_": ("ID \\w+_\\w+_\\d{3,}: cubic", _repeat("a_")),
    "_1_1_1": ("ID with digits", _repeat("_1")),
    "éééé": ("ID #?\\w*\\d{5,}\\w*: quadratic", _repeat("é")),
    "aaaa@": ("ID \\w+@\\w+\\.\\w+", _repeat("a" * 999 + "@")),
    "don't ask me": ("PUSHBACK do(n'?t| not) ask me .* again", _repeat("don't ask me ")),
    "<|think|>": ("AGENT_MARKUP <|think|>.*?<|/think|>", _repeat("<|think|>")),
    "<|tool|>": ("AGENT_MARKUP <|tool|>.*?<|/tool|>", _repeat("<|tool|>")),
    "<function=": ("AGENT_MARKUP <function=.*?", _repeat("<function=")),
    "you said": ("CLARIFY you said .{0,30}\\?", _repeat("you said ")),
    "#12345a": ("ID #?\\w*\\d{5,}\\w*", _repeat("#12345a ")),
    "gift_card_": ("ID gift_card_\\w+", _repeat("gift_card_")),
    "spaces": ("every position of every pattern", _repeat(" ")),
    "ok!!!!": ("ACK ^(...)[\\s!.\\-,]*$", lambda n: "ok" + "!" * (n - 2)),
    "lexicon phrases": ("every lexicon matches, many ids", _phrases),
    "hello world": ("1 trigram repeated (repeat_rate)", _repeat("hello world ")),
    "random unicode": ("random printable text", _random_unicode),
}
