r"""User text (simulator names, file names, labels, ids) made inert for each medium it is
written to: one helper per medium, here and nowhere else.

- :func:`for_terminal`: control characters (an escape sequence can retitle a terminal or
  recolour the screen) and bidirectional controls (they reorder the rest of a line) shown as
  their escapes, so they never reach the terminal raw.
- :func:`for_markdown`: raw HTML, links (``[x](javascript:...)``) and table pipes escaped,
  line breaks made spaces, so a name is one line of plain text in ``report.md``.
  Code spans of our own wording (between backticks) stay code.
- :func:`one_line` and :func:`for_html`: a name on one line of at most ``limit``
  characters, then (for a page, such as the Space's) every markup character an entity.
- :func:`for_csv`: a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage
  return) gets a leading apostrophe, so a spreadsheet never evaluates it as a formula.

>>> for_terminal("evil\x1b]0;owned\x07")
'evil\\x1b]0;owned\\x07'
>>> for_markdown("<b>x</b> | [y](javascript:alert(1))")
'&lt;b&gt;x&lt;/b&gt; \\| \\[y\\](javascript:alert(1))'
>>> for_csv("=HYPERLINK(1)"), for_csv("gpt-4o")
("'=HYPERLINK(1)", 'gpt-4o')
"""

from __future__ import annotations

import html
import unicodedata

# what makes live markup of a name: a link or image ('[', ']'; '(' and ')' need nothing once
# these cannot open one), a table cell's end ('|') and the escape itself; '<', '>' and '&'
# (raw HTML, autolinks, entities) become entities. Emphasis ('*', '_') only restyles text:
# left alone, so "task_success" stays readable in the Markdown source.
_MARKDOWN_SPECIAL = frozenset("\\[]|")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(ch: str) -> str:
    """A control character (C0, DEL, C1) or a lone surrogate as its Python escape."""
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


# Bidirectional controls (embeddings, overrides, isolates, marks): invisible, they reorder
# what follows on the line, so a name could make its row read as another's ("Trojan Source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                  "\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    """A character shown as its escape: C0/C1 controls, DEL, lone surrogates, the line and
    paragraph separators and the bidirectional controls (zero-width joiners stay: emoji).

    >>> [_is_control(c) for c in "a\x1b\u202e\u200d"]
    [False, True, True, False]
    """
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029" or ch in _BIDI


def for_terminal(text: object, keep_lines: bool = False) -> str:
    r"""``text`` with every control character (newlines too, unless ``keep_lines``: text of
    several lines, such as a prompt) written as its escape.

    >>> for_terminal("a\nb\tc"), for_terminal("ok ünïcode")
    ('a\\nb\\tc', 'ok ünïcode')
    >>> for_terminal("a\x1b[2J\nb", keep_lines=True)
    'a\\x1b[2J\nb'
    """
    s = str(text)
    if s.isprintable():
        return s
    if keep_lines:
        return "\n".join(for_terminal(line) for line in s.split("\n"))
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return "".join(named.get(ch) or (_visible(ch) if _is_control(ch) else ch) for ch in s)


def _markdown_plain(s: str) -> str:
    out = []
    for ch in s:
        if ch in "\n\r":
            out.append(" ")
        elif _is_control(ch):
            out.append("\\" + _visible(ch))  # the escape's backslash, itself escaped
        elif ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _block_marker_inert(md: str) -> str:
    r"""Markdown that opens no block where a block starts (a heading ``#``, a quote ``>``,
    a list ``-``/``+``/``*``/``1.``, a rule or an indented code block).

    >>> _block_marker_inert("# x"), _block_marker_inert("12) x"), _block_marker_inert("    x")
    ('\\# x', '12\\) x', 'x')
    """
    md = md.lstrip(" ")
    if md[:1] in ("#", ">", "-", "+", "*", "=", "_"):
        return "\\" + md
    digits = len(md) - len(md.lstrip("0123456789"))
    if digits and md[digits:digits + 1] in (".", ")"):
        return md[:digits] + "\\" + md[digits:]
    return md


def for_markdown(text: object, block_start: bool = False) -> str:
    r"""``text`` as one line of inert Markdown; our own `code` spans stay code spans (a
    pipe inside one is escaped too: GFM splits table cells before it reads code).
    ``block_start``: the text opens a paragraph or a list item, where a leading ``#``,
    ``>``, ``-`` or ``1.`` would open a block of its own.

    >>> for_markdown("see `usi leaderboard`, a <i>name</i>\nhere")
    'see `usi leaderboard`, a &lt;i&gt;name&lt;/i&gt; here'
    >>> for_markdown("a`b"), for_markdown("# big", block_start=True)
    ('a\\`b', '\\# big')
    """
    parts = str(text).split("`")
    closed = len(parts) % 2 == 1  # an odd number of backticks: the last one opens nothing
    out = []
    for i, part in enumerate(parts):
        if i % 2 and part and (closed or i < len(parts) - 1):
            code = part.replace("|", "\\|").replace("\n", " ").replace("\r", " ")
            out.append("`" + "".join(_visible(c) if _is_control(c) else c for c in code)
                       + "`")
            continue
        if i % 2:  # an empty span or the lone last backtick: literal backticks
            out.append("\\`\\`" if closed or i < len(parts) - 1 else "\\`")
        out.append(_markdown_plain(part))
    md = "".join(out)
    return _block_marker_inert(md) if block_start else md


def markdown_code(text: object) -> str:
    r"""A name as a Markdown code span when it is plain (printable, nothing Markdown or HTML
    reads: no backtick, ``<``, ``>``, ``&``, ``[``, ``]``, ``|`` or backslash), else as
    :func:`for_markdown`'s inert text, so no renderer can read it as markup.

    >>> markdown_code("gpt-4o"), markdown_code("a|b\nc"), markdown_code("x`</code>")
    ('`gpt-4o`', 'a\\|b c', 'x\\`&lt;/code&gt;')
    """
    s = str(text)
    if s and s.isprintable() and not any(ch in _NOT_IN_CODE for ch in s):
        return f"`{s}`"
    return for_markdown(s)


_NOT_IN_CODE = frozenset("`<>&[]|\\")


def for_csv(text: object) -> str:
    """A CSV text cell that no spreadsheet reads as a formula (OWASP's advice: a leading
    apostrophe before ``=``, ``+``, ``-``, ``@``, tab or carriage return).

    >>> for_csv("+1"), for_csv("@SUM(A1)"), for_csv("Human (inter-ann.)")
    ("'+1", "'@SUM(A1)", 'Human (inter-ann.)')
    """
    s = str(text)
    return "'" + s if s.startswith(CSV_FORMULA_START) else s


def one_line(text: object, limit: int = 300) -> str:
    r"""User text on one line (runs of white space one space), lone surrogates as ``?``,
    other control characters as their escapes, at most ``limit`` characters.

    >>> one_line("a\n  b\ud800\x1b[2J"), len(one_line("x" * 500, 10))
    ('a b?\\x1b[2J', 10)
    """
    one = " ".join(str(text).split()).encode("utf-8", "replace").decode("utf-8")
    one = for_terminal(one)
    return one if len(one) <= limit else one[: limit - 1] + "…"


def for_html(text: object, limit: int = 300) -> str:
    """User text made inert for HTML: :func:`one_line`, then every markup character
    (quotes too: safe inside an attribute) an entity.

    >>> for_html('<b onclick="x()">A&B</b>')
    '&lt;b onclick=&quot;x()&quot;&gt;A&amp;B&lt;/b&gt;'
    """
    return html.escape(one_line(text, limit), quote=True)
