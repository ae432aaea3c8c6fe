"""How well a text is supported by what the customer said.

Texts are compared as token sets that work for both languages: overlapping character
bigrams for Chinese, lower-cased content words (crudely stemmed) for English and digits
for numbers. `support(claim, source)` is the share of the claim's tokens found in the source;
`quote(fact, turn)` picks the sentences of a customer turn that carry a fact, without the
engine's lead-in.
"""

from __future__ import annotations

import re

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SENTENCE_END = "。！？!?；;…\n"
_CLAUSE_SEP = re.compile(r"(?<=[,，、:：])")

# Function words carry no fact; leaving them out keeps "we have" from supporting anything.
_STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for from with about as into over
    is are was were be been being am do does did done have has had having i me my we us our
    you your he she it its they them their this that these those there here what which who
    whom whose when where why how not no yes just very really also too than such can could
    would should will shall may might must all any some each every more most other only own
    same both few many much one ok okay oh well um uh yeah right sure honestly actually
    basically like get got let lets i'm we're it's that's don't""".split()
)


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> set[str]:
    lower = text.lower()
    found: set[str] = set()
    for run in _CJK_RUN.findall(lower):
        if len(run) == 1:
            found.add(run)
        else:
            found.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(lower):
        if word not in _STOPWORDS:
            found.add(_stem(word))
    return found


def support(claim: str, source: str) -> float:
    """Share of the claim's tokens that occur in the source (0 when the claim has none)."""
    wanted = tokens(claim)
    if not wanted:
        return 0.0
    return len(wanted & tokens(source)) / len(wanted)


def shared_tokens(a: str, b: str) -> int:
    return len(tokens(a) & tokens(b))


def numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(text))


def sentences(text: str) -> list[str]:
    """Sentences with their end marks; a '.' ends one only before whitespace or the end."""
    parts: list[str] = []
    start = 0
    for i, ch in enumerate(text):
        ends = ch in _SENTENCE_END or (ch == "." and (i + 1 == len(text) or text[i + 1].isspace()))
        if ends:
            parts.append(text[start : i + 1])
            start = i + 1
    parts.append(text[start:])
    return [p for p in (s.strip() for s in parts) if p]


def _trim_clauses(sentence: str, fact: str, *, lead: bool, tail: bool) -> str:
    """Drop leading / trailing clauses that share nothing with the fact (a lead-in)."""
    clauses = [c for c in _CLAUSE_SEP.split(sentence) if c]
    fact_tokens = tokens(fact)
    keep = [bool(tokens(c) & fact_tokens) for c in clauses]
    if not any(keep):
        return sentence
    first = keep.index(True) if lead else 0
    last = len(keep) - 1 - keep[::-1].index(True) if tail else len(keep) - 1
    trimmed = "".join(clauses[first : last + 1]).strip()
    if last < len(clauses) - 1:
        trimmed = trimmed.rstrip(",，、:： ")
    return trimmed


def quote(fact: str, turn_text: str) -> str:
    """The part of a customer turn that says the fact: the fact itself when said verbatim,
    else the best-overlapping sentence(s) of the turn with any lead-in clause dropped."""
    fact = fact.strip()
    turn_text = turn_text.strip()
    if fact and fact in turn_text:
        return fact
    said = sentences(turn_text)
    if not said:
        return turn_text
    # Greedy cover: the best sentence first, then any sentence that adds a fair share of
    # the fact's tokens (a fact the customer spread over two sentences).
    fact_tokens = tokens(fact)
    said_tokens = [tokens(s) & fact_tokens for s in said]
    chosen: set[int] = set()
    covered: set[str] = set()
    while True:
        gains = [len(t - covered) if i not in chosen else -1 for i, t in enumerate(said_tokens)]
        best = max(range(len(said)), key=lambda i: (gains[i], -i))
        enough = gains[best] > 0 if not chosen else gains[best] >= max(2, 0.15 * len(fact_tokens))
        if not enough:
            break
        chosen.add(best)
        covered |= said_tokens[best]
    if not chosen:
        return turn_text
    picked = sorted(chosen)
    texts = [said[i] for i in picked]
    if len(texts) == 1:
        texts[0] = _trim_clauses(texts[0], fact, lead=True, tail=True)
    else:
        texts[0] = _trim_clauses(texts[0], fact, lead=True, tail=False)
        texts[-1] = _trim_clauses(texts[-1], fact, lead=False, tail=True)
    joiner = "" if _CJK_RUN.search(turn_text) else " "
    return joiner.join(texts).strip()
