"""Token anchors: an exact pre-filter that skips lexicon searches which cannot match.

A lexicon of the form ``\\b(...)\\b`` can only match a text that contains, as whole words
(maximal runs of ``\\w`` characters), all the literal words of one way of matching it. This
module derives those words from the pattern itself (``re``'s own parse tree): every way the
pattern can match is expanded (``'?``, ``(a|b)``, ...; anything open-ended such as ``.`` or
``.{0,30}`` becomes a gap), and an expansion's words are those delimited on both sides by a
non-word character of the pattern, by the outer ``\\b``, or by the end of the expansion,
never by a gap. If no expansion has all its words in the text, the search is skipped;
otherwise the plain pattern decides.

A pattern whose shape is not understood gets no anchors (None) and is always searched.
``tests/test_fastmatch.py`` checks the pre-filtered search against the plain one.

>>> import re
>>> a = anchor_words(re.compile(r"\\b(thank you|i'?m (lost|sure)|what.s up)\\b"))
>>> sorted(a)
['lost', 'sure', 'thank', 'up']
>>> may_match(a, {"thank", "me"}), may_match(a, {"thank", "you"}), may_match(a, {"up"})
(False, True, True)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Set
from typing import Any

try:  # re's own parser (Python 3.11+); on a Python without it no search is ever skipped
    from re import _constants as sc  # type: ignore[attr-defined]
    from re import _parser as sp  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the Python version
    sc = sp = None

_GAP = None  # an open-ended piece of an expansion
_MAX_EXPANSIONS = 20_000
_WORD = re.compile(r"\w+")


class _NotUnderstood(Exception):
    pass


def _expand(items: Any) -> list[tuple[str | None, ...]]:
    """Every expansion of a parsed sequence: tuples of literal characters and gaps."""
    out: list[tuple[str | None, ...]] = [()]
    for op, av in items:
        if op is sc.LITERAL:
            alts: list[tuple[str | None, ...]] = [(chr(av),)]
        elif op is sc.SUBPATTERN:
            alts = _expand(av[3])
        elif op is sc.BRANCH:
            alts = [e for sub in av[1] for e in _expand(sub)]
        elif op in (sc.MAX_REPEAT, sc.MIN_REPEAT) and av[0] == 0 and av[1] == 1:
            alts = [(), *_expand(av[2])]
        elif op in (sc.ANY, sc.IN, sc.NOT_LITERAL, sc.MAX_REPEAT, sc.MIN_REPEAT,
                    sc.POSSESSIVE_REPEAT, sc.AT):
            alts = [(_GAP,)]
        else:
            raise _NotUnderstood(str(op))
        out = [a + b for a in out for b in alts]
        if len(out) > _MAX_EXPANSIONS:
            raise _NotUnderstood("too many expansions")
    return out


def _delimited_words(expansion: tuple[str | None, ...]) -> list[str]:
    """Words of an expansion that are whole words of any text the expansion matches."""
    parts: list[str | None] = []
    current = ""
    for piece in expansion:
        if piece is _GAP:
            parts += [current, _GAP]
            current = ""
        else:
            current += piece
    parts.append(current)
    words = []
    for k, part in enumerate(parts):
        if not part:
            continue
        gap_before = k > 0 and parts[k - 1] is _GAP
        gap_after = k + 1 < len(parts) and parts[k + 1] is _GAP
        for m in _WORD.finditer(part):
            if (m.start() == 0 and gap_before) or (m.end() == len(part) and gap_after):
                continue
            words.append(m.group())
    return words


class Anchors(dict):  # type: ignore[type-arg]
    """``{anchor word: [word sets]}``: each word set is all the words of some expansions,
    filed under the set's longest word (mostly the rarest).

    ``certain``: the words that are by themselves a whole expansion (a way of matching made
    of word characters only, such as ``please`` in ``\\b(please|thank you)\\b``). A text
    that holds one of them as a whole word matches the pattern: at the word's start the
    outer ``\\b`` holds (a non-word character or the start before a word character), the
    expansion matches the word, and the outer ``\\b`` holds after it (the word is a
    maximal run of word characters). ``search`` tries every way at every position, so it
    finds a match.
    """

    certain: frozenset[str] = frozenset()


def anchor_words(pattern: re.Pattern[str]) -> Anchors | None:
    """The anchors of ``\\b(...)\\b``: every match contains all the words of one of the
    word sets as whole words. None when the pattern is not understood.

    >>> anchor_words(re.compile(r"\\b(a.b)\\b")) is None    # no delimited word at all
    True
    """
    if sp is None or pattern.flags != re.UNICODE:
        return None
    try:
        tree = sp.parse(pattern.pattern, pattern.flags)
        items = list(tree)
        boundary = (sc.AT, sc.AT_BOUNDARY)
        if len(items) != 3 or items[0] != boundary or items[2] != boundary:
            return None
        expansions = _expand([items[1]])
    except (_NotUnderstood, re.error):
        return None
    out = Anchors()
    certain = set()
    for expansion in expansions:
        if _GAP not in expansion:
            literal = "".join(expansion)  # type: ignore[arg-type]
            if _WORD.fullmatch(literal):
                certain.add(literal)
        words = frozenset(_delimited_words(expansion))
        if not words:
            return None
        key = max(words, key=lambda w: (len(w), w))
        if words not in out.setdefault(key, []):
            out[key].append(words)
    for key in out:  # a word set that holds another one adds nothing
        sets = out[key]
        out[key] = [w for w in sets if not any(o < w for o in sets)]
    out.certain = frozenset(certain)
    return out


def word_runs(text: str) -> list[str]:
    """The whole words (maximal runs of ``\\w``) of a text, in order.

    >>> word_runs("don't ask: id_7!")
    ['don', 't', 'ask', 'id_7']
    """
    return _WORD.findall(text)


def text_words(text: str) -> set[str]:
    """The set of whole words (maximal runs of ``\\w``) of a text.

    >>> sorted(text_words("don't ask: id_7!"))
    ['ask', 'don', 'id_7', 't']
    """
    return set(_WORD.findall(text))


# Words too common in text to file a word set under (a heuristic: only speed depends on it).
_COMMON = frozenset("""
a about all am an and are as at be but by can could did do does for from get go had has
have how i if in is it its just let like me more my no not now of on one or our s so some
than that the them then there they this to up was we what when where who why will
with would you your
""".split())


class AnchorIndex:
    """The anchors of several patterns in one table: which patterns may match a text, from
    one look-up per word of the text (instead of a ``may_match`` call per pattern).

    ``possible(words)`` is exactly ``{name for name, a in anchors.items() if may_match(a,
    words)}``: a name is in it when some word set filed under a word of the text is all
    in the text. A pattern without anchors (None) is always possible. The featurizer
    works with bits (``bits[name]``): ``entry(word)`` is what one word contributes, the
    bits of the patterns it alone makes possible and the ``(bit, word set)`` pairs that
    need more words of the text (``settle``).

    >>> idx = AnchorIndex({"A": Anchors(sorry=[frozenset({"sorry"})]), "B": None})
    >>> sorted(idx.possible({"ok"})), sorted(idx.possible({"sorry", "ok"}))
    (['B'], ['A', 'B'])
    """

    def __init__(self, anchors: dict[str, Anchors | None]) -> None:
        self.names = tuple(anchors)
        self.bits = {name: 1 << i for i, name in enumerate(self.names)}
        self.always = 0
        found: list[tuple[int, frozenset[str]]] = []
        for name, a in anchors.items():
            bit = self.bits[name]
            if a is None:
                self.always |= bit
            found += [(bit, needed) for sets in (a or {}).values() for needed in sets]
        # A word set of several words is filed under its longest word that is not one of
        # the most common English words (the rarest in text, mostly), so few sets are
        # checked per text; any of its words would give the same answer.
        sure: dict[str, int] = {}  # word -> bits of the names whose word set is the word
        more: dict[str, list[tuple[int, frozenset[str]]]] = {}  # word -> (bit, word set)
        for bit, needed in found:
            if len(needed) == 1:
                (key,) = needed
                sure[key] = sure.get(key, 0) | bit
            else:
                key = max(needed, key=lambda w: (w not in _COMMON, len(w), w))
                if (bit, needed) not in more.setdefault(key, []):
                    more[key].append((bit, needed))
        self._table = {key: (sure.get(key, 0), tuple(more.get(key, ())))
                       for key in sorted(set(sure) | set(more))}
        self._keys = frozenset(self._table)
        # the same table for texts given as ASCII bytes (words of other texts never match)
        self._btable = {
            key.encode("utf-8"): (bits, tuple((bit, frozenset(w.encode("utf-8") for w in needed))
                                              for bit, needed in pairs))
            for key, (bits, pairs) in self._table.items()}
        self._bkeys = frozenset(self._btable)
        # For ``verdicts``: each word's word sets grouped by pattern, and the bits of the
        # patterns the word alone makes certain (``Anchors.certain``; such a word is a word
        # set by itself, so it is a key of the table).
        certain: dict[str, int] = {}
        for name, a in anchors.items():
            for word in (a.certain if a is not None else ()):
                certain[word] = certain.get(word, 0) | self.bits[name]
        self._vtable = {key: self._verdict_entry(sure, pairs, certain.get(key, 0))
                        for key, (sure, pairs) in self._table.items()}
        self._bvtable = {key.encode("utf-8"): self._verdict_entry(
            sure, [(bit, frozenset(w.encode("utf-8") for w in needed)) for bit, needed in pairs],
            certain.get(key, 0)) for key, (sure, pairs) in self._table.items()}

    @staticmethod
    def _verdict_entry(sure: int, pairs: Any, certain: int) -> tuple[int, Any, int]:
        # the pairs of patterns the word alone leaves possible, those it makes sure left out
        return sure, tuple((bit, needed) for bit, needed in pairs if not sure & bit), certain

    def verdicts(self, words: Set[str]) -> tuple[int, int]:
        """``(set_bits(words), certain)``: ``certain`` has the bit of each pattern that one
        of the words matches for sure (``Anchors.certain``), a part of the first bits.

        >>> a = anchor_words(re.compile(r"\\b(thanks|thank you)\\b"))
        >>> idx = AnchorIndex({"A": a})
        >>> idx.verdicts({"thank", "you"}), idx.verdicts({"thanks"}), idx.verdicts({"you"})
        ((1, 0), (1, 1), (0, 0))
        """
        bits = self.always
        certain = 0
        table = self._vtable
        for word in self._keys.intersection(words):
            sure, pairs, cert = table[word]
            bits |= sure
            certain |= cert
            for bit, needed in pairs:
                if not bits & bit and needed <= words:
                    bits |= bit
        return bits, certain

    def bytes_verdicts(self, words: Set[bytes]) -> tuple[int, int]:
        """``verdicts`` of the words of an ASCII text given as bytes (UTF-8 of the words).

        >>> a = anchor_words(re.compile(r"\\b(thanks|thank you)\\b"))
        >>> AnchorIndex({"A": a}).bytes_verdicts({b"thanks", b"a"})
        (1, 1)
        """
        bits = self.always
        certain = 0
        table = self._bvtable
        for word in self._bkeys.intersection(words):
            sure, pairs, cert = table[word]
            bits |= sure
            certain |= cert
            for bit, needed in pairs:
                if not bits & bit and needed <= words:
                    bits |= bit
        return bits, certain

    def entry(self, word: str) -> tuple[int, tuple[tuple[int, frozenset[str]], ...]]:
        """``(bits, pairs)`` of one word: ``(0, ())`` for a word no anchor holds."""
        return self._table.get(word, (0, ()))

    @staticmethod
    def settle(bits: int, pending: list[tuple[tuple[int, frozenset[str]], ...]],
               words: Set[str]) -> int:
        """``bits`` with the bit of every pending pair whose word set is all in ``words``."""
        for pairs in pending:
            for bit, needed in pairs:
                if not bits & bit and needed <= words:
                    bits |= bit
        return bits

    def set_bits(self, words: Set[str]) -> int:
        """``possible_bits`` of a set of words: the table's words in it found by one set
        intersection (no loop over the text's words).

        >>> idx = AnchorIndex({"A": Anchors(thank=[frozenset({"thank", "you"})])})
        >>> idx.set_bits({"thank", "me"}), idx.set_bits({"thank", "you"})
        (0, 1)
        """
        bits = self.always
        table = self._table
        for word in self._keys.intersection(words):
            sure, pairs = table[word]
            bits |= sure
            for bit, needed in pairs:
                if not bits & bit and needed <= words:
                    bits |= bit
        return bits

    def bytes_bits(self, words: Set[bytes]) -> int:
        """``set_bits`` of the words of an ASCII text given as bytes (UTF-8 of the words).

        >>> idx = AnchorIndex({"A": Anchors(thank=[frozenset({"thank", "you"})])})
        >>> idx.bytes_bits({b"thank", b"me"}), idx.bytes_bits({b"thank", b"you"})
        (0, 1)
        """
        bits = self.always
        table = self._btable
        for word in self._bkeys.intersection(words):
            sure, pairs = table[word]
            bits |= sure
            for bit, needed in pairs:
                if not bits & bit and needed <= words:
                    bits |= bit
        return bits

    def possible_bits(self, words: Collection[str]) -> int:
        """``possible`` as bits."""
        bits = self.always
        pending = []
        for word in words:
            sure, pairs = self.entry(word)
            bits |= sure
            if pairs:
                pending.append(pairs)
        if pending:
            bits = self.settle(bits, pending, words if isinstance(words, Set) else set(words))
        return bits

    def possible(self, words: Collection[str]) -> set[str]:
        """The names of the patterns that may match a text with these whole words (a set,
        or a list of them, say the runs of the text in order)."""
        bits = self.possible_bits(words)
        return {name for name in self.names if bits & self.bits[name]}


def may_match(anchors: Anchors | None, words: set[str]) -> bool:
    """False only when a pattern with these anchors cannot match a text with these words.

    >>> may_match(Anchors(sorry=[frozenset({"sorry"})]), {"ok"}), may_match(None, set())
    (False, True)
    """
    if anchors is None:
        return True
    for key in anchors.keys() & words:
        for needed in anchors[key]:
            if needed <= words:
                return True
    return False
