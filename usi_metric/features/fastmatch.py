"""Linear-time equivalents of the three official patterns that backtrack badly.

The plain patterns of :mod:`usi_metric.features.lexicons` stay the definition of the metric.
Three of them take super-linear time on crafted text with Python's ``re``:

- ``ID`` (findall count): ``\\w+_\\w+_\\d{3,}`` is cubic and ``#?\\w*\\d{5,}\\w*`` and
  ``\\w+@\\w+\\.\\w+`` quadratic in the length of a run of word characters (2 000 underscores
  take about 35 s);
- ``PUSHBACK`` (search): ``do(n'?t| not) ask me .* again`` rescans the rest of the line for
  every ``don't ask me`` on it;
- ``AGENT_MARKUP`` (sub): ``<|think|>.*?<|/think|>`` rescans the rest of the text for every
  opener that has no closer after it.

This module computes the very same results in linear time. Each function below documents why
it is equal to the plain pattern; ``tests/test_fastmatch.py`` checks the equality with property
tests against the plain patterns. When a shipped pattern is not the one these functions were
proven for (someone edited ``lexicons.json``), every function falls back to the plain pattern.

>>> id_count("order #W123456, card gift_card_7 and mail a@b.co")
3
>>> has_pushback("don't ask me that again"), has_pushback("don't ask me again")
(True, False)
>>> strip_markup("a<|think|>x<|/think|>b<function=f>c</function>d")
'abd'
"""

from __future__ import annotations

import re

from usi_metric.features.anchors import anchor_words, may_match
from usi_metric.features.lexicons import LEXICONS

# The exact pattern texts the fast paths below were derived from and are tested against.
ID_PATTERN = (
    r"(\b[a-z0-9]{6,}\b|#?\w*\d{5,}\w*|\w+_\w+_\d{3,}|gift_card_\w+|credit_card_\w+|"
    r"paypal_\w+|\w+@\w+\.\w+)"
)
PUSHBACK_SLOW_ALTERNATIVE = "|do(n'?t| not) ask me .* again"
MARKUP_PATTERN = (
    r"<\|think\|>.*?<\|/think\|>|<function=.*?(?:</function>|$)|<\|tool\|>.*?<\|/tool\|>"
)

# ----------------------------------------------------------------------------- ID
#
# Why the rewrite below gives the same count as ``ID.findall`` (the alternatives A1..A7 in
# order; a "run" is a maximal run of \w characters [a, b)). Every alternative consumes only
# \w, '#', '@' and '.', and a match always ends with a \w character, so a match never ends at
# a run start. Which alternatives can match where a findall scan actually looks:
#
# * at a run start a:  A1 iff the whole run is [a-z0-9] and >= 6 long (shorter prefixes end
#   between two word characters, where \b fails), end b;  A2 iff the run holds 5 consecutive
#   digits, end b (\w* gives back until \d{5,} fits, the final \w* takes the rest);  A3 iff
#   some '_' at p1 >= a+1 has a "_ddd" at q >= p1+2 after it: greedy backtracking then picks
#   the LAST such q (maxQ) and ends after the digit run at maxQ+1;  A4-A6 iff the literal
#   starts at a and a \w follows it, end b;  A7 iff the run is followed by '@', a run, '.',
#   a run (\w+ can only stop before a non-word character), end = end of the third run.
# * at '#': only A2, iff the run right after it holds 5 consecutive digits, end b.
# * A2, A3 and A7 can only get harder to the right inside a run, A1 needs a run start. So a
#   scan that failed at position i-1 of a run can, at i, only find a literal (A4-A6), end b.
# * The only other place a scan resumes inside a run is the end e of an A3 match (always
#   mid-run or at b); there A3 is impossible (e > maxQ) and the next match in that run is:
#   A2 from e (end b), a literal at e (end b), A7 from e (end of the third run), or the first
#   literal after e followed by a \w (end b). That second match is folded into the A3 branch
#   as the optional group ``x`` and counted twice.
#
# Each branch is tried at run starts only (or at '#', or as a literal), does a constant
# number of passes over the run and never backtracks into them: linear time overall.

_LIT = r"(?:gift_card_|credit_card_|paypal_)"
_A2_FROM_HERE = r"(?=\w*?\d{5})\w++"
_A7_FROM_HERE = r"\w++@\w++\.\w++"
_ID_FAST = re.compile(
    r"(?<!\w)(?:"
    r"[a-z0-9]{6,}+(?!\w)"  # A1
    + "|" + _A2_FROM_HERE  # A2
    + r"|(?=\w[^\W_]*+_\w\w*?_\d{3})\w*_\d{3,}+"  # A3 ...
    + r"(?P<x>" + _A2_FROM_HERE + "|" + _LIT + r"\w++|" + _A7_FROM_HERE
    + r"|\w*?" + _LIT + r"\w++)?"  # ... and the next match in the same run
    + "|" + _LIT + r"\w++"  # A4-A6 at the run start
    + "|" + _A7_FROM_HERE  # A7
    + r")|#(?=\w*?\d{5})\w++"  # A2 with '#'
    + r"|(?<=\w)" + _LIT + r"\w++"  # A4-A6 inside a run
)
_FIVE_DIGITS = re.compile(r"\d{5}")
_A1_RUN = re.compile(r"[a-z0-9]+")


def id_count(text: str, runs: list[str] | None = None) -> int:
    """``len(LEXICONS["ID"].findall(text))`` in linear time.

    ``runs``: the maximal runs of ``\\w`` characters of ``text`` in order
    (``re.findall(r"\\w+", text)``), if already known. Then, when the text has no '@', the
    count is the sum of the counts of its runs (``run_id_count``).

    Why: every alternative but A7 consumes only word characters, after an optional '#' (A2),
    so without '@' every match lies inside one run. A findall scan meets each run at its
    start (a match never ends inside another run), or at a '#' right before it; the '#'
    matches (with A2) iff the run holds five digits in a row, and then the match is the
    whole run, as the match at the run start is (A1 or A2, both to the run's end) - one
    match either way, scanning on after the run. At a run start the context is the same
    as for the run alone: a non-word character or the text's start before it (``\\b``,
    ``(?<!\\w)``), a non-word character or the end after it. So the scan inside each run
    finds what ``findall`` on the run alone finds.

    >>> id_count("a_b_123x_99999 and #12345"), id_count("_" * 100_000)
    (2, 0)
    >>> id_count("order abc123 or xyz", ["order", "abc123", "or", "xyz"])
    1
    """
    if not _ID_OK:
        return len(LEXICONS["ID"].findall(text))
    if runs is not None and "@" not in text:
        return sum(run_id_count(run) for run in runs)
    return _fast_count(text)


def _fast_count(text: str) -> int:
    found = _ID_FAST.findall(text)
    return len(found) + len(found) - found.count("")  # group x: a second match, counted


def id_count_by_runs(text: str) -> bool:
    """True when ``id_count(text)`` is the sum of ``run_id_count`` over the text's runs
    (the fast path is in use and the text has no '@'; see ``id_count``).

    >>> id_count_by_runs("order abc123"), id_count_by_runs("mail a@b.co")
    (True, False)
    """
    return _ID_OK and "@" not in text


# A run (maximal ``\w+``) that is all [a-z0-9] and 6+ long, and a run holding a '_' or five
# digits in a row: each found at run starts only, consuming the whole run (linear time).
_A1_WHOLE_RUN = re.compile(r"(?<!\w)[a-z0-9]{6,}+(?!\w)")
_SPECIAL_RUN = re.compile(r"(?<!\w)(?=\w*?(?:_|\d{5}))\w++")


def id_count_scan(text: str) -> int:
    """``id_count(text)`` from two scans of the whole text, without a list of its runs.

    Without '@' the count is the sum of ``run_id_count`` over the runs (see ``id_count``).
    A run without '_' and five digits in a row counts 1 iff it is all [a-z0-9] and 6+ long:
    ``_A1_WHOLE_RUN`` finds exactly those runs (and the special ones that are so too); each
    special run (a '_' or five digits) then counts ``_fast_count(run)`` instead of its
    ``_A1_WHOLE_RUN`` match. Most turns have no '_' and no five digits: one scan.

    >>> id_count_scan("order #W123456, card gift_card_7, abc123 x_y_12345")
    4
    """
    if not _ID_OK or "@" in text:
        return id_count(text)
    n = len(_A1_WHOLE_RUN.findall(text))
    if "_" in text or _FIVE_DIGITS.search(text) is not None:
        for run in _SPECIAL_RUN.findall(text):
            if len(run) >= 5:
                n += _fast_count(run)
                if len(run) >= 6 and _A1_RUN.fullmatch(run) is not None:
                    n -= 1  # already counted by _A1_WHOLE_RUN
    return n


def ascii_id_count(text: str, raw: bytes, runs: list[bytes]) -> int:
    """``id_count(text)`` of a lowered text whose word characters are all ASCII, given
    ``raw``, the text as ASCII bytes with each other character replaced by one '?', and
    the runs of word characters of ``raw`` (in order, repeats and all).

    The count depends only on the sequence of the characters' classes (\\w, \\d, [a-z0-9],
    '#', '@', '.', '_', the letters of the literals), and a non-word, non-ASCII character
    is in none of them, as '?' is: ``raw`` has the count of ``text``. Without '@' the count
    is the sum of ``run_id_count`` over the runs (see ``id_count``). A run of lowered ASCII
    text is made of [a-z0-9_]. Without '_' it is all [a-z0-9]: A1 takes it whole when it is
    6+ long; a 5-long one counts (A2) iff it is five digits; a shorter one never counts. So
    such a run counts 1 iff it is 6+ long or five digits, and a run with '_' counts
    ``run_id_count``.

    >>> t = "order #w123456, card gift_card_7, zip 12345, abc123 x_y_12345"
    >>> raw = t.encode()
    >>> ascii_id_count(t, raw, raw.replace(b",", b" ").replace(b"#", b" ").split())
    5
    """
    if not _ID_OK:
        return id_count(text)
    if b"@" in raw:
        # Every alternative consumes only word characters, '#', '@' and '.', never
        # whitespace, and whitespace is a non-word character: no match spans two chunks of
        # ``text.split()``, and each chunk is scanned as if it were the whole text. So the
        # count is the sum over chunks: the chunks with '@' by the fast pattern, the others
        # by their runs (all runs, less the runs of the chunks with '@').
        at = " ".join([chunk for chunk in text.split() if "@" in chunk])
        at_raw = at.encode("ascii", "replace")
        return (_runs_sum(raw, runs) + _fast_count(at)
                - _runs_sum(at_raw, at_raw.translate(NON_WORD_TO_SPACE).split()))
    return _runs_sum(raw, runs)


def _runs_sum(raw: bytes, runs: list[bytes]) -> int:
    """The sum of ``run_id_count`` over the runs of ``raw`` (see ``ascii_id_count``)."""
    # runs 6+ long: a space, then six word characters (never overlapping: one per run)
    n = (b" " + raw.translate(_WORD_TO_X)).count(b" xxxxxx")
    if len(raw.translate(None, _NOT_DIGITS)) >= 5:  # runs of exactly five digits
        n += (b" " + raw.translate(_DIGIT_TO_D).replace(b" ", b"  ") + b" ").count(b" ddddd ")
    if b"_" in raw:
        for run in runs:
            if b"_" in run:
                n += run_id_count(run.decode("ascii")) - (len(run) >= 6)
    return n


# Every ASCII character that is not a word character (``\w``) to a space: the ``split()``
# of a translated ASCII text is its list of runs of word characters.
NON_WORD_TO_SPACE = bytes(b if re.fullmatch(r"\w", chr(b)) else ord(" ") for b in range(256))
_WORD_TO_X = bytes(ord("x") if re.fullmatch(r"\w", chr(b)) else ord(" ") for b in range(256))
_DIGIT_TO_D = bytes(ord("d") if 48 <= b <= 57 else _WORD_TO_X[b] for b in range(256))
_NOT_DIGITS = bytes(b for b in range(256) if not chr(b).isdigit() or b >= 128)


def run_id_count(run: str) -> int:
    """``id_count`` of one run of word characters (``\\w+``).

    Runs shorter than 5 match nothing (A1 needs 6 characters, A2 5, A3-A6 7). Without '_'
    and five digits in a row only A1 can match: the whole run, when it is made of [a-z0-9]
    only and is at least 6 long.

    >>> run_id_count("abc123"), run_id_count("order"), run_id_count("x_y_123z_99999")
    (1, 0, 1)
    """
    if len(run) < 5:
        return 0
    if "_" not in run and _FIVE_DIGITS.search(run) is None:
        return 1 if len(run) >= 6 and _A1_RUN.fullmatch(run) is not None else 0
    return _fast_count(run)


class RunIdCounts(dict):  # type: ignore[type-arg]
    """``{run: run_id_count(run)}`` for runs of ASCII word characters given as bytes,
    filled as runs are met: the words of a language repeat, so the ID count of a text
    without '@' (the sum over its runs, see ``id_count``) is mostly dictionary look-ups,
    ``sum(map(counts.__getitem__, runs))``. Runs longer than ``KEEP`` are counted, not
    kept, and the table is emptied when it holds ``SIZE`` runs (the memory stays small).

    >>> counts = RunIdCounts()
    >>> sum(map(counts.__getitem__, [b"order", b"w123456", b"gift_card_7", b"order"]))
    2
    """

    KEEP = 64
    SIZE = 1 << 16

    def __missing__(self, run: bytes) -> int:
        n = run_id_count(run.decode("ascii"))
        if len(run) <= self.KEEP:
            if len(self) >= self.SIZE:
                self.clear()
            self[run] = n
        return n


# ----------------------------------------------------------------------------- PUSHBACK
#
# ``search`` of ``\b(A|B|...)\b`` matches iff one alternative does, so the slow alternative
# is searched on its own. ``\bdo(n'?t| not) ask me .* again\b`` matches iff some line holds
# a prefix "do(n't|nt| not) ask me " (after \b) followed, later on the same line, by
# " again" and a word boundary. "do" occurs in a prefix only at its start, so two prefixes
# never overlap and the first prefix of a line ends first: it alone needs checking. The
# rewrite anchors at line starts, commits (atomic group) to the first prefix of the line and
# scans the rest of the line once.

_PUSHBACK_SLOW_FAST = re.compile(
    r"(?m)^(?>[^\n]*?\bdo(?:n'?t| not) ask me )[^\n]*? again\b"
)


def _pushback_rest() -> re.Pattern[str] | None:
    pattern = LEXICONS["PUSHBACK"].pattern
    if pattern.count(PUSHBACK_SLOW_ALTERNATIVE) != 1 or LEXICONS["PUSHBACK"].flags != re.U:
        return None
    return re.compile(pattern.replace(PUSHBACK_SLOW_ALTERNATIVE, ""))


_PUSHBACK_REST = _pushback_rest()
# The anchors of PUSHBACK without its slow alternative (None: always searched).
PUSHBACK_REST_ANCHORS = None if _PUSHBACK_REST is None else anchor_words(_PUSHBACK_REST)


def has_pushback(text: str, words: set[str] | None = None, *,
                 rest_may_match: bool | None = None) -> bool:
    """``LEXICONS["PUSHBACK"].search(text) is not None`` in linear time.

    ``words``: the text's whole words (``anchors.text_words``), to skip hopeless searches;
    ``rest_may_match``: the verdict of ``PUSHBACK_REST_ANCHORS`` on those words, when the
    caller has it already (``anchors.AnchorIndex``).

    >>> has_pushback("don't ask me " * 10_000), has_pushback("do not ask me that again!")
    (False, True)
    """
    if _PUSHBACK_REST is None:
        return LEXICONS["PUSHBACK"].search(text) is not None
    if rest_may_match is None:
        rest_may_match = words is None or may_match(PUSHBACK_REST_ANCHORS, words)
    if rest_may_match and _PUSHBACK_REST.search(text) is not None:
        return True
    # every match of the slow alternative contains " ask me " (after "do(n't|nt| not)")
    return " ask me " in text and _PUSHBACK_SLOW_FAST.search(text) is not None


# ----------------------------------------------------------------------------- AGENT_MARKUP
#
# ``sub`` scans left to right for a match and resumes at its end. At one position at most one
# opener can start. A think (tool) opener at i matches iff a closer starts at >= i+9 (i+8);
# the lazy ``.*?`` stops at the first one. Once a closer search fails, every later opener of
# that kind fails too, so it is no longer looked for. A function opener always matches: up to
# and including the first "</function>" after it, else up to ``$`` (before a final newline,
# else the end of the text).

_THINK, _THINK_END = "<|think|>", "<|/think|>"
_TOOL, _TOOL_END = "<|tool|>", "<|/tool|>"
_FUNC, _FUNC_END = "<function=", "</function>"
_OPENERS = {
    (True, True): re.compile(r"<\|think\|>|<function=|<\|tool\|>"),
    (True, False): re.compile(r"<\|think\|>|<function="),
    (False, True): re.compile(r"<function=|<\|tool\|>"),
    (False, False): re.compile(r"<function="),
}


def strip_markup(text: str) -> str:
    """``LEXICONS["AGENT_MARKUP"].sub("", text)`` in linear time.

    >>> strip_markup("x<|think|>" * 3 + "y<function=call\\n")
    'x<|think|>x<|think|>x<|think|>y\\n'
    """
    if not _MARKUP_OK:
        return LEXICONS["AGENT_MARKUP"].sub("", text)
    if "<|t" not in text and _FUNC not in text:
        return text
    n = len(text)
    think_alive = tool_alive = True
    parts: list[str] = []
    keep_from = pos = 0
    while pos <= n:
        m = _OPENERS[think_alive, tool_alive].search(text, pos)
        if m is None:
            break
        i, opener = m.start(), m.group()
        if opener == _FUNC:
            j = text.find(_FUNC_END, i + 10)
            if j != -1:
                end = j + len(_FUNC_END)
            elif text.endswith("\n") and n - 1 >= i + 10:
                end = n - 1
            else:
                end = n
        else:
            closer = _THINK_END if opener == _THINK else _TOOL_END
            j = text.find(closer, i + len(opener))
            if j == -1:
                if opener == _THINK:
                    think_alive = False
                else:
                    tool_alive = False
                pos = i + 1
                continue
            end = j + len(closer)
        parts.append(text[keep_from:i])
        keep_from = pos = end
    parts.append(text[keep_from:])
    return "".join(parts)


_ID_OK = LEXICONS["ID"].pattern == ID_PATTERN and LEXICONS["ID"].flags == re.U
_MARKUP_OK = (LEXICONS["AGENT_MARKUP"].pattern == MARKUP_PATTERN
              and LEXICONS["AGENT_MARKUP"].flags == re.U | re.DOTALL)


def fast_paths_active() -> dict[str, bool]:
    """Which fast paths are in use (False: the shipped pattern changed, plain ``re`` is used).

    >>> fast_paths_active()
    {'ID': True, 'PUSHBACK': True, 'AGENT_MARKUP': True}
    """
    return {"ID": _ID_OK, "PUSHBACK": _PUSHBACK_REST is not None, "AGENT_MARKUP": _MARKUP_OK}
