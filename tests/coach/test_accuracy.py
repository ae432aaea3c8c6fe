"""The coach against the labelled set (data/labelled/): SPIN type, openness and opener checks."""

from __future__ import annotations

from collections import Counter

from app.coach.analyzer import analyze, check_opener
from app.playbook.coaching import CoachRules
from tests.coach.conftest import labelled_openers, labelled_utterances


def test_labelled_set_is_large_and_balanced() -> None:
    items = labelled_utterances()
    for lang in ("zh", "en"):
        mine = [i for i in items if i["language"] == lang]
        assert len(mine) >= 150
        per_type = Counter(str(i["spin"]) for i in mine)
        assert set(per_type) == {"situation", "problem", "implication", "need_payoff", "None"}
        assert min(per_type.values()) >= 30, per_type
        assert {i["question"] for i in mine if i["spin"]} == {"open", "closed"}
    openers = labelled_openers()
    assert len(openers) >= 30
    assert {o["language"] for o in openers} == {"zh", "en"}


def test_spin_accuracy_overall_and_per_language(rules: CoachRules) -> None:
    results: dict[str, list[tuple[bool, bool]]] = {"zh": [], "en": [], "holdout": []}
    misses: list[str] = []
    for item in labelled_utterances():
        coaching = analyze(item["text"], rules, language=item["language"])
        hit = (coaching.spin == item["spin"], coaching.question == item["question"])
        results[item["language"]].append(hit)
        if item["split"] == "holdout":
            results["holdout"].append(hit)
        if not hit[0]:
            misses.append(f"{item['text']} -> {coaching.spin} (expected {item['spin']})")

    def share(hits: list[tuple[bool, bool]], k: int) -> float:
        return sum(h[k] for h in hits) / len(hits)

    everything = results["zh"] + results["en"]
    report = {
        name: f"spin {share(h, 0):.3f} openness {share(h, 1):.3f} (n={len(h)})"
        for name, h in {"overall": everything, **results}.items()
    }
    print("\ncoach accuracy:", report)
    assert share(everything, 0) >= 0.90, (report, misses)
    assert share(results["zh"], 0) >= 0.85, (report, misses)
    assert share(results["en"], 0) >= 0.85, (report, misses)
    # Openness is reported, and should not collapse either.
    assert share(everything, 1) >= 0.85, report


def test_opener_checks_match_expected(rules: CoachRules) -> None:
    total = matched = 0
    misses: list[str] = []
    for opener in labelled_openers():
        found = check_opener(opener["text"], rules, opener["language"]).model_dump()
        for check, expected in opener["expected"].items():
            total += 1
            if found[check] == expected:
                matched += 1
            else:
                misses.append(f"{check}={found[check]} (expected {expected}): {opener['text']}")
    print(f"\nopener checks matching: {matched / total:.3f} (n={total})")
    assert matched / total >= 0.95, misses
