"""How well the customer's topic matching separates on-topic from off-thread questions.

For every playbook persona, questions are built from each of its facts' keywords (on-topic:
the fact asked about should score at least the threshold) and from the keywords of every other
persona in the same language (off-thread: no fact of this persona should). The table prints,
per threshold, the share of on-topic questions that reach their own fact and the share of
off-thread questions that reach any fact. A last table plays implication questions right after
the customer named a problem: pointing back at it as the cause ("what does that do to your
hiring plans?") with a consequence the persona has no fact on, and naming another persona's
topic after a pointing word ("what has that corrugator downtime cost you?"). The rule in
app/roleplay/state.py cites these figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.coach.analyzer import topic_words  # noqa: E402
from app.coach.schemas import Coaching, Signals  # noqa: E402
from app.playbook import customer  # noqa: E402
from app.playbook.loader import load_personas  # noqa: E402
from app.playbook.persona import Language, Persona  # noqa: E402
from app.roleplay.state import Topic, decide, initial_state, match_score  # noqa: E402

TEMPLATES = {
    "zh": ["关于{kw},目前是怎么做的?", "{kw}这块有什么不顺的地方吗?"],
    "en": ["How do you handle {kw} today?", "What gets in the way with {kw}?"],
}
THRESHOLDS = (1, 2, 3, 4)
# Questions a rep might ask in their own words, with the fact each one is about.
NATURAL: dict[str, list[tuple[str, str]]] = {
    "chen-logistics": [
        ("s1", "你们每天的线路是谁来排的?"),
        ("s2", "现在全国有几个分拨中心?"),
        ("p1", "高峰期排线的时候最麻烦的是什么?"),
        ("i1", "排错线送错货,给你们带来过什么损失?"),
        ("p2", "车在路上的时候,你们怎么知道货到哪了?"),
        ("p3", "新中心和总部之间的数据是怎么对的?"),
    ],
    "liu-retail": [
        ("s1", "你们一共有多少家门店?"),
        ("s2", "门店每天是怎么订货的?"),
        ("p1", "生鲜这块损耗怎么样?"),
        ("p2", "热门商品会不会经常卖断?"),
        ("i2", "缺货以后顾客会不会流失到别家?"),
        ("p3", "每个月盘点是怎么安排的?"),
    ],
    "wang-manufacturing": [
        ("s1", "你们厂里现在有多少台加工设备?"),
        ("s3", "质检数据现在是怎么记录的?"),
        ("p1", "设备坏机停产的情况多不多?"),
        ("i1", "那次停机对交货有什么影响?"),
        ("p2", "出了质量问题以后,追溯批次难不难?"),
        ("p3", "临时插单对排产有什么冲击?"),
    ],
    "zhao-hospital": [
        ("s1", "医院现在有多少套信息系统?"),
        ("s2", "门诊一天大概多少病人?"),
        ("p1", "系统之间的接口维护起来难不难?"),
        ("i2", "这对电子病历五级评审有什么影响?"),
        ("p2", "上报给上级的数据报表是怎么做的?"),
        ("p3", "患者挂号缴费要排多久的队?"),
    ],
    "karen-education": [
        ("s1", "How many student devices does the district look after?"),
        ("s2", "How does your helpdesk take support requests?"),
        ("p1", "How do you keep track of which school has which laptop?"),
        ("p2", "What happens to support tickets at the start of term?"),
        ("i2", "How does that affect teachers' lesson time?"),
        ("p3", "How do grades get from Google Classroom into the student information system?"),
    ],
    "mark-packaging": [
        ("s1", "How many corrugators and converting lines do you run?"),
        ("s2", "How does your maintenance crew decide what to fix?"),
        ("p1", "How often do the lines break down unexpectedly?"),
        ("i2", "Has downtime ever made you late on the e-commerce account?"),
        ("p2", "How long does a changeover take?"),
        ("p3", "How do you keep the weekly schedule current when rush orders come in?"),
    ],
    "morgan-saas": [
        ("s1", "How many accounts does each CSM look after?"),
        ("s2", "Where do you keep account health scores?"),
        ("s3", "When do most of your renewals come up?"),
        ("p1", "How do you find out an account is about to churn?"),
        ("i2", "How does the board react to net retention?"),
        ("p3", "How confident are you in the renewal forecast?"),
    ],
    "priya-finance": [
        ("s1", "How many core banking systems are you running since the merger?"),
        ("s2", "Who does the month-end close, and in what tools?"),
        ("p1", "How long does the close take?"),
        ("p2", "How do reconciliations between the two cores go?"),
        ("i3", "What does the close do to your team's weekends?"),
        ("p3", "How is the board pack put together?"),
    ],
}


# Consequences a rep may ask about, pointing back at the problem as their cause.
CAUSE_TEMPLATES = {
    "zh": [
        "这个问题对{area}有什么影响?",
        "这对{area}有什么影响?",
        "长期下去,{area}会受到什么影响?",
    ],
    "en": [
        "What does that do to your {area}?",
        "How does that affect {area}?",
        "What has it cost you in {area}?",
    ],
}
AREAS = {
    "zh": [
        "交货承诺",
        "客户关系",
        "招聘计划",
        "现金流",
        "团队士气",
        "年度目标",
        "新项目",
        "供应商关系",
    ],
    "en": [
        "delivery commitments",
        "customer relationships",
        "hiring plans",
        "cash flow",
        "team morale",
        "annual targets",
        "new projects",
        "supplier relationships",
    ],
}
# Another persona's topic after a pointing word, asked as an implication.
FOREIGN_CAUSE = {
    "zh": ["那{kw}对你们有什么影响?", "这个{kw}给你们带来多少损失?"],
    "en": ["What has that {kw} cost you?", "What does this {kw} do to your numbers?"],
}


def _ask(persona: Persona, text: str, spin: str, rules: customer.CustomerRules, state):  # type: ignore[no-untyped-def]
    reading = Coaching.model_validate(
        {
            "language": persona.language,
            "spin": spin,
            "question": "open",
            "signals": Signals(topic=topic_words(text), question_count=1),
        }
    )
    return decide(state, persona, reading, "discovery", rules)


def pointing_back(personas: dict[str, Persona], rules: customer.CustomerRules) -> None:
    """Implication questions right after the first problem: the cause pointed at, or a topic of
    another persona after a pointing word."""
    print(f"\n{'after a problem':<20} {'asked':>5} {'thread':>7} {'other':>6} {'honest':>7}")
    totals = {"cause": [0, 0, 0, 0], "foreign": [0, 0, 0, 0]}
    for persona in personas.values():
        lang = persona.language
        opening = {"zh": "现在是怎么运作的?", "en": "How does it work today?"}[lang]
        problem = {"zh": "目前最大的挑战是什么?", "en": "What's your biggest challenge?"}[lang]
        state = initial_state(persona, rules).model_copy(update={"rapport": 1})
        state = _ask(persona, opening, "situation", rules, state).state
        first = _ask(persona, problem, "problem", rules, state)
        p = next(x for x in persona.problems if x.id == first.facts[0].id)

        def named(text: str, p: Persona = persona) -> bool:
            tp = Topic(topic_words(text), p.language, rules.matching)
            return max(match_score(f, tp) for f in p.all_facts()) >= rules.matching.min_score

        cause = [t.format(area=a) for t in CAUSE_TEMPLATES[lang] for a in AREAS[lang]]
        foreign = [
            t.format(kw=kw)
            for other in personas.values()
            if other.id != persona.id and other.language == lang
            for f in other.all_facts()
            for kw in f.keywords[:1]
            for t in FOREIGN_CAUSE[lang]
        ]
        for group, questions in (("cause", cause), ("foreign", foreign)):
            for q in questions:
                if named(q):
                    continue  # the persona has a fact on it: the matching rules answer it
                d = _ask(persona, q, "implication", rules, first.state)
                said = [f.id for f in d.facts]
                row = totals[group]
                row[0] += 1
                row[1] += said == [p.implications[0].id]
                row[2] += bool(said) and said != [p.implications[0].id]
                row[3] += not said
                if group == "foreign" and said and "-v" in sys.argv:
                    print("  ", persona.id, said, d.reason, q)
    for group, (n, thread, other, honest) in totals.items():
        label = {"cause": "cause pointed at", "foreign": "another's topic"}[group]
        print(f"{label:<20} {n:>5} {thread / n:>7.3f} {other / n:>6.3f} {honest / n:>7.3f}")


def keyword_questions(persona: Persona) -> list[tuple[str, str]]:
    """(fact id, question) for every keyword of every hidden fact."""
    out = []
    for fact in persona.all_facts():
        for kw in fact.keywords:
            out += [(fact.id, t.format(kw=kw)) for t in TEMPLATES[persona.language]]
    return out


def main() -> None:
    rules = customer.load(ROOT / "playbook")
    personas = load_personas(ROOT / "playbook")
    print(f"{'persona':<20} {'thr':>3} {'on-topic reach':>15} {'off-thread reach':>17}")
    totals = {t: [0, 0, 0, 0] for t in THRESHOLDS}
    for persona in personas.values():
        lang = persona.language
        facts = {f.id: f for f in persona.all_facts()}
        own = keyword_questions(persona)
        foreign = [
            q
            for other in personas.values()
            if other.id != persona.id and other.language == lang
            for _, q in keyword_questions(other)
        ]

        def topic(q: str, lang: Language = lang) -> Topic:
            return Topic(topic_words(q), lang, rules.matching)

        own_scores = [match_score(facts[fid], topic(q)) for fid, q in own]
        foreign_scores = [max(match_score(f, topic(q)) for f in facts.values()) for q in foreign]
        for t in THRESHOLDS:
            hit = sum(s >= t for s in own_scores)
            leak = sum(s >= t for s in foreign_scores)
            totals[t][0] += hit
            totals[t][1] += len(own_scores)
            totals[t][2] += leak
            totals[t][3] += len(foreign_scores)
            print(
                f"{persona.id:<20} {t:>3} {hit / len(own_scores):>15.2f}"
                f" {leak / len(foreign_scores):>17.3f}"
            )
    for t, (hit, n_own, leak, n_foreign) in totals.items():
        print(f"{'all':<20} {t:>3} {hit / n_own:>15.3f} {leak / n_foreign:>17.3f}")

    # Natural questions: the score of the fact asked about, and whether it is the best match.
    print(f"\n{'natural questions':<20} {'thr':>3} {'reach own fact':>15} {'own fact best':>14}")
    for t in THRESHOLDS:
        reach = best = n = 0
        for pid, items in NATURAL.items():
            persona = personas[pid]
            facts = {f.id: f for f in persona.all_facts()}
            for fid, q in items:
                tp = Topic(topic_words(q), persona.language, rules.matching)
                scores = {i: match_score(f, tp) for i, f in facts.items()}
                n += 1
                reach += scores[fid] >= t or not tp.specific
                best += scores[fid] == max(scores.values()) or not tp.specific
        print(f"{'all':<20} {t:>3} {reach / n:>15.3f} {best / n:>14.3f}")
    misses = []
    for pid, items in NATURAL.items():
        persona = personas[pid]
        facts = {f.id: f for f in persona.all_facts()}
        for fid, q in items:
            tp = Topic(topic_words(q), persona.language, rules.matching)
            score = match_score(facts[fid], tp)
            top = max(facts.values(), key=lambda f: match_score(f, tp))
            if tp.specific and (score < rules.matching.min_score or top.id != fid):
                misses.append(f"  {pid} {fid} score {score} (best {top.id}): {q}")
    print(f"\nmisses at min_score {rules.matching.min_score}: {len(misses)}")
    print("\n".join(misses))
    pointing_back(personas, rules)


if __name__ == "__main__":
    main()
