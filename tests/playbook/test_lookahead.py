"""The playbook's patterns compiled for speed find exactly what the plain alternation finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.playbook.coaching import REGEX_FLAGS, CoachRules, Patterns, load
from app.playbook.lookahead import _alternatives, compile_finders, first_chars, lower_case_only

ROOT = Path(__file__).resolve().parents[2]


def test_first_chars_bound_where_matches_start() -> None:
    assert first_chars(r"\bfoo|\bbar", REGEX_FLAGS) == r"\b(?=[bf])"
    assert first_chars(r"\bfoo|bar", REGEX_FLAGS) == "(?=[bf])"
    # An optional "x" before the boundary: the match may start with it, not at the boundary.
    assert first_chars(r"x?\bfoo", REGEX_FLAGS) == "(?=[fx])"
    assert first_chars(r"(?<=a)\d+ (?:a|b)", REGEX_FLAGS) == r"(?=[\d])"


@pytest.mark.parametrize("pattern", [r"a*", r"[^a]b", r".b", r"(?:a|.)b", r"$"])
def test_no_bound_when_a_match_can_start_anywhere_or_be_empty(pattern: str) -> None:
    assert first_chars(pattern, REGEX_FLAGS) is None


def test_alternatives_split_only_at_the_top_level() -> None:
    assert _alternatives(r"a|(?:b|c)|[|]|\||[]|]x|d") == [
        "a",
        "(?:b|c)",
        "[|]",
        r"\|",
        "[]|]x",
        "d",
    ]


def test_finders_agree_with_the_alternation_on_tricky_text() -> None:
    patterns = [r"^\W*(?:ok|so)\W*$", r"\bcan we\b|x?\bmeet", r"[$¥]\s?\d", r"吗[,\s]|么$"]
    plain = re.compile("|".join(f"(?:{p})" for p in patterns), REGEX_FLAGS)
    finders = compile_finders(patterns, REGEX_FLAGS)
    texts = ["ok?", "  So!", "so can", "Can We", "xmeet", "ameet", "¥ 5", "$x", "好吗,", "什么"]
    texts += ["", "CAN WE MEET", "okay"]
    for text in texts:
        expected = plain.search(text) is not None
        assert any(rx.search(text) for rx in finders) == expected, text


def _all_patterns(rules: CoachRules) -> list[Patterns]:
    found: list[Patterns] = []

    def walk(value: object) -> None:
        if isinstance(value, Patterns):
            found.append(value)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif hasattr(type(value), "model_fields"):
            for name in type(value).model_fields:
                walk(getattr(value, name))

    walk(rules)
    return found


def test_playbook_patterns_find_and_locate_as_the_plain_alternation() -> None:
    rules = load(ROOT / "playbook")
    texts: list[str] = []
    for lang in ("en", "zh"):
        data = yaml.safe_load(
            (ROOT / "data/labelled" / f"utterances_{lang}.yaml").read_text(encoding="utf-8")
        )
        texts += [item["text"] for item in data["items"]]
    patterns = _all_patterns(rules)
    assert len(patterns) > 50
    for p in patterns:
        for lang, items in (("zh", p.zh), ("en", p.en)):
            if not items:
                continue
            plain = re.compile("|".join(f"(?:{i})" for i in items), REGEX_FLAGS)
            fast = p.compiled[lang]
            assert fast is not None
            for text in texts:
                want = plain.search(text)
                got = fast.search(text)
                assert (got and got.span()) == (want and want.span()), (items, text)
                assert p.found(text, lang) == (want is not None), (items, text)


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        (r"\bhow(?:'s| is) it going\b", True),
        (r"[\w-]+ (?:a|b)\W*$", True),
        (r"[!-~]|[一-鿿]+", True),  # both cases of every letter, or none with case
        (r"[A-Z]+", False),
        (r"Hello", False),
        (r"(?-i:abc)", False),
        ("\u0131", False),  # dotless i matches "I" when case is ignored
        (r"[0-Z]", False),  # upper-case letters without their lower case
    ],
)
def test_lower_case_only_patterns_search_lowered_ascii_text(pattern: str, allowed: bool) -> None:
    assert lower_case_only([pattern]) is allowed
    if allowed:
        plain = re.compile(pattern, REGEX_FLAGS)
        fast = re.compile(pattern)
        for text in ["How's it going", "HOW IS IT GOING?", "Foo-Bar A", "Zed", "x ~ y", "IBM"]:
            assert (fast.search(text.lower()) is None) == (plain.search(text) is None), text
