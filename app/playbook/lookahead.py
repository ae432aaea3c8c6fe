"""Compiling a pattern with a lookahead on the characters its matches can start with.

Python's `re` tries the whole pattern at every position of the text; a long alternation of
word lists is slow to reject a position. `(?=[S])X`, where S holds every character a match of
X can start with, matches exactly where X does (the lookahead is zero-width and adds no group),
but rejects most positions with one character test. S is read from the parsed pattern; when a
match could be empty or start with a character the reading cannot bound (`.`, `[^...]`, a
back-reference), the pattern is compiled as it is.
"""

from __future__ import annotations

import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_CATEGORIES = {
    c.CATEGORY_DIGIT: r"\d",
    c.CATEGORY_NOT_DIGIT: r"\D",
    c.CATEGORY_SPACE: r"\s",
    c.CATEGORY_NOT_SPACE: r"\S",
    c.CATEGORY_WORD: r"\w",
    c.CATEGORY_NOT_WORD: r"\W",
}
_ZERO_WIDTH = {c.AT, c.ASSERT, c.ASSERT_NOT}
_REPEATS = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}


class _Unbounded(Exception):
    """The first character of a match cannot be bounded by a character class."""


def _class_items(items: list[tuple[Any, Any]]) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            out.add(re.escape(chr(av)))
        elif op is c.RANGE:
            out.add(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is c.CATEGORY and av in _CATEGORIES:
            out.add(_CATEGORIES[av])
        else:  # NEGATE, and anything else
            raise _Unbounded
    return out


def _first(seq: Any) -> tuple[set[str], bool, bool]:
    """The class items a match of `seq` can start with, whether it can match empty, and whether
    every match starts at a word boundary (`\\b` before anything is consumed)."""
    found: set[str] = set()
    boundary = False
    clean = True  # nothing can have been consumed yet
    for op, av in seq:
        if op is c.AT:
            boundary = boundary or (clean and av is c.AT_BOUNDARY)
            continue
        if op in _ZERO_WIDTH:
            continue
        if op is c.LITERAL:
            found.add(re.escape(chr(av)))
            return found, False, boundary
        if op is c.IN:
            found |= _class_items(av)
            return found, False, boundary
        if op is c.BRANCH:
            parts = [_first(branch) for branch in av[1]]
        elif op is c.SUBPATTERN:
            parts = [_first(av[3])]
        elif op is getattr(c, "ATOMIC_GROUP", None):
            parts = [_first(av)]
        elif op in _REPEATS:
            items, nullable, bounded = _first(av[2])
            parts = [(items, nullable, bounded)]
            if av[0] == 0:
                parts.append((set(), True, False))
        else:  # ANY, NOT_LITERAL, GROUPREF...
            raise _Unbounded
        for items, _, _ in parts:
            found |= items
        boundary = boundary or (clean and all(bounded for _, _, bounded in parts))
        if not any(nullable for _, nullable, _ in parts):
            return found, False, boundary
        clean = False
    return found, True, boundary


def first_chars(pattern: str, flags: int = 0) -> str | None:
    """A prefix every match of `pattern` satisfies: a class of its first characters, behind a
    word boundary when every match starts at one; None when there is none."""
    try:
        items, nullable, boundary = _first(_parser.parse(pattern, flags))
    except _Unbounded:
        return None
    if nullable or not items:
        return None
    chars = "[" + "".join(sorted(items)) + "]"
    return rf"\b(?={chars})" if boundary else f"(?={chars})"


def compile_with_lookahead(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern` compiled behind a lookahead on its first characters (same matches, faster)."""
    prefix = first_chars(pattern, flags)
    return re.compile(pattern if prefix is None else f"{prefix}(?:{pattern})", flags)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of `pattern` (split at `|` outside groups and classes)."""
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            # A "]" (or "^]") right after "[" is a member, not the end of the class.
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):
                i += 1
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


_BROAD = {r"\w", r"\W", r"\S", r"\D"}
_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def compile_finders(patterns: list[str], flags: int = 0) -> tuple[re.Pattern[str], ...]:
    """Regexes that together find what the alternation of `patterns` finds: some match of the
    alternation exists exactly when one of them matches (which one, and where, may differ, so
    they answer "is there a match?" only). Alternatives anchored at the start are searched at
    the start alone; those whose matches start with a few characters (at a word boundary),
    behind a lookahead on them; the others as they are."""
    alternatives = [a for p in patterns for a in _alternatives(p)]
    if any(_REFERENCE.search(p) for p in patterns):
        alternatives = patterns  # a back-reference would not survive the regrouping
    anchored: list[str] = []
    bounded: list[str] = []
    chars_bounded: set[str] = set()
    started: list[str] = []
    chars_started: set[str] = set()
    rest: list[str] = []
    for alt in alternatives:
        try:
            seq = _parser.parse(alt, flags)
            items, nullable, boundary = _first(seq)
        except (_Unbounded, re.error):
            rest.append(alt)
            continue
        if len(seq) and seq[0] == (c.AT, c.AT_BEGINNING):
            anchored.append(alt)
        elif nullable or not items or items & _BROAD:
            rest.append(alt)
        elif boundary:
            bounded.append(alt)
            chars_bounded |= items
        else:
            started.append(alt)
            chars_started |= items
    groups = (
        (anchored, "^"),
        (bounded, rf"\b(?=[{''.join(sorted(chars_bounded))}])"),
        (started, f"(?=[{''.join(sorted(chars_started))}])"),
        (rest, ""),
    )
    return tuple(
        re.compile(prefix + "(?:" + "|".join(f"(?:{a})" for a in alts) + ")", flags)
        for alts, prefix in groups
        if alts
    )


def _uncased(code: int) -> bool:
    """An ASCII character that is not an upper-case letter, or a character without case."""
    ch = chr(code)
    return not "A" <= ch <= "Z" if code < 128 else ch.lower() == ch == ch.upper()


def _range_folds(low: int, high: int) -> bool:
    """A class range holding no upper-case letter without its lower case, nor a cased
    non-ASCII character."""
    upper = range(max(low, ord("A")), min(high, ord("Z")) + 1)
    if any(not low <= u + 32 <= high for u in upper):
        return False
    return all(_uncased(code) for code in range(max(low, 128), high + 1))


def _folds(seq: Any) -> bool:
    for op, av in seq:
        if op in (c.LITERAL, c.NOT_LITERAL):
            ok = _uncased(av)
        elif op is c.IN:
            ok = all(
                _uncased(iav) if iop is c.LITERAL else iop is not c.RANGE or _range_folds(*iav)
                for iop, iav in av
            )
        elif op is c.BRANCH:
            ok = all(_folds(branch) for branch in av[1])
        elif op is c.SUBPATTERN:
            ok = not av[1] and not av[2] and _folds(av[3])  # inline flags could turn case on
        elif op in _REPEATS:
            ok = _folds(av[2])
        elif op in (c.ASSERT, c.ASSERT_NOT):
            ok = _folds(av[1])
        elif op is getattr(c, "ATOMIC_GROUP", None):
            ok = _folds(av)
        else:
            ok = op in (c.AT, c.ANY, c.GROUPREF, c.CATEGORY)
        if not ok:
            return False
    return True


def lower_case_only(patterns: list[str]) -> bool:
    """Whether the patterns, matched case-insensitively on an ASCII text, match exactly where
    they match case-sensitively on the text lower-cased (no upper-case letter to match, no class
    with one but not its lower case, no cased non-ASCII character, no inline flags): then the
    faster case-sensitive search can be used on ASCII text."""
    try:
        return all(_folds(_parser.parse(p, 0)) for p in patterns)
    except re.error:
        return False
