"""Tips in their conversation, for a blind review: writes a Markdown file of sampled rep turns.

Plays scripted conversations (zh and en, several personas, cold calls and discovery meetings,
good moves and common mistakes) through the same pure steps a live turn takes: the coach
reads the rep turn, the next best move is chosen from that reading and the conversation so
far, the customer state machine decides and the offline scripted engine phrases the reply.
Then it samples rep turns (spread over personas and tip kinds) and writes, for each, the
conversation up to that turn, the coach's reading and the tip.

    .venv/bin/python bench/tip_samples.py [--out /work/tipreview/tips.md] [--per-language 20]
        [--calls data/calls/<file>.json]

`--calls` plays the calls of a JSON file (a list of {persona, scenario, kind, lines}, as in
data/calls/) instead of the built-in scripts, so a review can use calls nobody tuned on.

Reviewers should see only the output file, never the code or the tip kinds (`--kinds` adds
them, for the developer's own look).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.coach import tips  # noqa: E402
from app.coach.analyzer import read  # noqa: E402
from app.coach.schemas import CoachContext, Coaching, EarlierTurn, Scenario  # noqa: E402
from app.playbook.loader import Playbook, load_playbook  # noqa: E402
from app.playbook.persona import Language, Persona  # noqa: E402
from app.roleplay.engine import ReplyContext  # noqa: E402
from app.roleplay.scripted import ScriptedEngine  # noqa: E402
from app.roleplay.state import decide, initial_state  # noqa: E402
from app.roleplay.transcript import TranscriptTurn  # noqa: E402

# (persona, scenario, rep lines). The rep lines mix textbook moves with the mistakes reps make.
SCRIPTS: list[tuple[str, Scenario, list[str]]] = [
    (
        "chen-logistics",
        "discovery",
        [
            "陈总您好,最近旺季是不是特别忙?",
            "咱们现在车队和调度是怎么安排的?",
            "排线这块,目前最让您头疼的是什么?",
            "我们的智能调度系统行业领先,能帮您把排线时间缩短80%。",
            "排线慢、经常排错,对客户那边有什么影响?",
            "如果半小时就能排完线,对调度团队意味着什么?",
            "我理解下来,您最关心的是排线又慢又容易错,导致赔付和调度员加班,对吗?",
            "那我们下周二上午10点约半小时,我把方案给您演示一下,可以吗?",
        ],
    ),
    (
        "chen-logistics",
        "cold_call",
        [
            "您好,我是云智科技的小李,想跟您聊聊。",
            "您现在用的是Excel排线吗?",
            "高峰期排线是不是经常出问题?",
            "那排错线有没有让您赔过钱?",
            "要不我们改天约个时间再聊?",
        ],
    ),
    (
        "wang-manufacturing",
        "discovery",
        [
            "王总,上次展会一别,最近还好吗?",
            "咱们两个厂区现在一共有多少台设备?",
            "生产计划现在是怎么排的?",
            "质检记录目前是怎么管理的?",
            "设备维护这块,最让您头疼的是什么?",
            "我们公司的预测性维护平台已经服务了300多家工厂。",
            "设备突然停机,对按时交付有什么影响?",
            "您看今天能不能把合同定下来?我可以给您打八折。",
        ],
    ),
    (
        "wang-manufacturing",
        "cold_call",
        [
            "王总您好,我是精维科技的张伟,我们专门帮汽车零部件工厂减少设备非计划停机。"
            "很多同行都被突然停机、交付吃紧困扰,想占用您两分钟,方便吗?",
            "现在设备坏了一般是怎么处理的?",
            "设备停机的情况多吗?有哪些让您头疼的地方?",
            "停机一次,对交付和成本会有什么影响?",
            "要不这样,下周四下午两点我带工程师过来,花一个小时看看现场,您看行吗?",
        ],
    ),
    (
        "liu-retail",
        "discovery",
        [
            "刘总好,听说您最近刚开了几家新店,恭喜!",
            "周末您一般喜欢去哪儿玩?",
            "咱们门店现在订货是怎么做的?",
            "生鲜这块,目前最让您操心的是什么?",
            "损耗率那么高,一年下来对利润影响有多大?",
            "损耗高是不是因为店长订货不准?",
            "如果订货量能自动算出来,对店长和门店意味着什么?",
            "要是能把损耗降两三个点,对今年的利润目标意味着什么?",
        ],
    ),
    (
        "liu-retail",
        "cold_call",
        [
            "您好,我们是做零售智能补货的,系统很好用,价格也便宜,您有兴趣了解一下吗?",
            "请问您是负责运营的刘总吗?",
            "你们现在是怎么订货的?有没有遇到断货的问题?会员复购怎么样?",
            "断货的时候,顾客一般会怎么样?",
            "那我先把资料发给您看看吧。",
        ],
    ),
    (
        "zhao-hospital",
        "discovery",
        [
            "赵主任,感谢您抽时间见面。",
            "医院现在有多少套信息系统在跑?",
            "信息科现在有多少人?",
            "门诊量大概是多少?",
            "系统之间对接这块,有哪些让您不满意的地方?",
            "接口经常出问题,对临床和患者有什么影响?",
            "电子病历评级如果过不了,会带来什么后果?",
            "如果有统一的集成平台,对信息科的工作意味着什么?",
            "好的,今天先这样,谢谢赵主任,再见。",
        ],
    ),
    (
        "zhao-hospital",
        "cold_call",
        [
            "赵主任您好,我是医联科技的王磊,我们做医院集成平台,"
            "服务了全国两百多家三甲医院,产品包括集成引擎、数据中心、运维监控、"
            "主数据管理、患者360视图、临床决策支持等十几个模块,"
            "今年还拿了省里的科技进步奖,想跟您约个时间详细介绍一下我们的方案?",
            "您对我们的平台有兴趣吗?",
            "医院现在的系统是怎么对接的?",
            "对接这块有没有什么难处?",
        ],
    ),
    (
        "morgan-saas",
        "discovery",
        [
            "Hi Morgan, thanks for making the time. How was the Series C celebration?",
            "How is your customer success team set up today?",
            "How do you track account health at the moment?",
            "What's the hardest part of spotting at-risk accounts?",
            "Our platform uses AI to predict churn with 95% accuracy.",
            "When an account churns without warning, what does that do to your revenue?",
            "How has that shown up in front of the board?",
            "If you could spot a risky account 90 days before renewal, what would that mean "
            "for your team?",
            "Could we book 30 minutes next Tuesday at 10am to walk through it?",
        ],
    ),
    (
        "morgan-saas",
        "cold_call",
        [
            "Hi Morgan, this is Sam from Acme. I wanted to tell you about our new churn "
            "prediction platform.",
            "Do you use a customer success platform today?",
            "Are you happy with how you track account health?",
            "Is churn a problem for you?",
            "Can I send you a case study?",
        ],
    ),
    (
        "karen-education",
        "discovery",
        [
            "Hi Karen, how was the start of the school year?",
            "How many devices does your team look after?",
            "How do support requests reach your technicians?",
            "What's the toughest part of managing all those laptops?",
            "What has that cost the district over the last year?",
            "If you knew where every device was and its repair status, how would that help?",
            "So if I heard you right, devices go missing and you end up buying replacements "
            "you may not need - is that fair?",
            "Would Thursday at 3pm work for a 20-minute demo with your technicians?",
        ],
    ),
    (
        "karen-education",
        "cold_call",
        [
            "Hi Karen, I'm Alex from FleetDesk. We help school districts keep track of "
            "student laptops, so fewer go missing and repairs move faster. Have you got "
            "two minutes?",
            "How do you keep track of the laptops today?",
            "What gets in the way when a laptop breaks?",
            "What's your favourite football team, by the way?",
            "When the helpdesk is swamped, what happens to lessons?",
            "Let's set up a call sometime.",
        ],
    ),
    (
        "mark-packaging",
        "discovery",
        [
            "Mark, how do you schedule the lines today?",
            "How is maintenance handled on the converting lines?",
            "Is downtime an issue?",
            "What does unplanned downtime cost you?",
            "How do you schedule the lines, and what happens when a rush order comes in, "
            "and who approves overtime?",
            "What happens to the e-commerce account when you run late?",
            "If you knew about a failing roller a week ahead, what would that be worth?",
        ],
    ),
    (
        "mark-packaging",
        "cold_call",
        [
            "Hi Mark, Jordan from LineSense. Plants like yours lose hours to unplanned "
            "downtime on converting lines; we predict failures before they stop a run. "
            "Could I have two minutes?",
            "How do you handle maintenance today?",
            "What's the biggest headache with downtime?",
            "What did the downtime cost you last quarter?",
            "Our sensors cut downtime by 40% at a plant just like yours.",
            "Could we do a 20-minute call on Thursday at 2pm?",
        ],
    ),
    (
        "priya-finance",
        "discovery",
        [
            "Priya, congratulations on the merger closing. How is the integration going?",
            "How does month-end close work across the two core systems?",
            "Who does the reconciliations?",
            "What's the biggest frustration with month-end close?",
            "What's the impact of a twelve-day close on the board's decisions?",
            "We can automate your reconciliations and cut the close to three days.",
            "Why would a faster close matter to you personally?",
            "Sign this week and we'll take 20% off the first year.",
        ],
    ),
    (
        "priya-finance",
        "cold_call",
        [
            "Good morning Priya, my name is Chris from LedgerLine, we work with credit unions "
            "on month-end close. Many of them tell us reconciliations between core systems "
            "eat their accountants' weekends. Have you got two minutes?",
            "How are reconciliations done today?",
            "Where do the reconciliations break down?",
            "What did last year's audit say about that?",
            "I understand. Would a call next Wednesday at 9am work to look at how other "
            "credit unions fixed it?",
            "Great, talk then. Bye!",
        ],
    ),
]


@dataclass
class Sample:
    persona: Persona
    scenario: Scenario
    turns: list[TranscriptTurn]  # up to and including the coached rep turn
    tip: tips.Tip


async def play(
    playbook: Playbook, persona: Persona, scenario: Scenario, lines: list[str]
) -> list[Sample]:
    """One conversation, turn by turn as a live session takes it (app/roleplay/service.py)."""
    engine = ScriptedEngine()
    state = initial_state(persona, playbook.customer)
    turns: list[TranscriptTurn] = []
    samples: list[Sample] = []
    for text in lines:
        if state.ended:
            break
        earlier = [EarlierTurn.model_validate(t.model_dump()) for t in turns]
        coaching = read(
            text, playbook.coach, CoachContext.of(scenario, earlier), language=persona.language
        )
        tip = tips.next_best_move(coaching, turns, persona, scenario, playbook, rep_text=text)
        coaching.tip = tip.text
        decision = decide(state, persona, coaching, scenario, playbook.customer, seq=len(turns) + 1)
        rep = TranscriptTurn(seq=len(turns) + 1, speaker="rep", text=text, coaching=coaching)
        ctx = ReplyContext(
            persona=persona,
            scenario=scenario,
            language=persona.language,
            decision=decision,
            history=list(turns),
            rep_text=text,
            rules=playbook.customer,
            session_id=f"samples-{persona.id}-{scenario}",
        )
        turns.append(rep)
        samples.append(Sample(persona, scenario, list(turns), tip))
        reply = "".join([delta async for delta in engine.stream(ctx)]).strip()
        turns.append(
            TranscriptTurn(
                seq=len(turns) + 1,
                speaker="customer",
                text=reply,
                revealed=decision.facts,
                act=decision.act,
            )
        )
        state = decision.state
    return samples


def pick(samples: list[Sample], count: int) -> list[Sample]:
    """Spread the picks: round-robin over tip kinds, each kind's turns in conversation order,
    alternating personas."""
    by_kind: dict[str, list[Sample]] = {}
    for s in samples:
        by_kind.setdefault(s.tip.kind, []).append(s)
    chosen: list[Sample] = []
    while len(chosen) < min(count, len(samples)):
        for kind in sorted(by_kind, key=lambda k: (-len(by_kind[k]), k)):
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop(len(by_kind[kind]) // 2))
    return chosen


LABELS: dict[Language, dict[str, str]] = {
    "zh": {
        "rep": "销售",
        "reading": "教练的判断",
        "tip": "建议",
        "cold_call": "陌生拜访电话",
        "discovery": "需求挖掘会谈",
    },
    "en": {
        "rep": "Rep",
        "reading": "Coach's reading",
        "tip": "Tip",
        "cold_call": "Cold call",
        "discovery": "Discovery meeting",
    },
}


def reading_line(c: Coaching) -> str:
    signals = c.signals
    shown = [
        name
        for name in (
            "small_talk",
            "acknowledgement",
            "summary",
            "value_point",
            "pitch",
            "hard_close",
            "off_topic",
            "meta",
            "goodbye",
        )
        if getattr(signals, name)
    ]
    if signals.repeat_of is not None:
        shown.append(f"repeat_of=#{signals.repeat_of}")
    step = signals.next_step
    if step.proposed:
        shown.append(f"next_step(time={step.time_text or '-'})")
    parts = [f"spin={c.spin or '-'}", f"question={c.question or '-'}"]
    if c.flags:
        parts.append("flags=" + ",".join(c.flags))
    if shown:
        parts.append("signals=" + ",".join(shown))
    if c.opener is not None:
        missed = [k for k, v in c.opener.model_dump().items() if v is False]
        parts.append("opener missing=" + (",".join(missed) or "none"))
    return "; ".join(parts)


def render(chosen: list[Sample], kinds: bool) -> str:
    lines = [
        "# Tips in their conversation",
        "",
        "For each item: the conversation up to the rep turn, the coach's reading of that turn,",
        "and the tip shown under it. Judge each tip: is it specific to this moment and this",
        "customer, and is it correct (right about the turn, right about what to do next)?",
        "Mark each item `specific: yes/no`, `correct: yes/no`.",
        "",
    ]
    for n, s in enumerate(chosen, start=1):
        t = LABELS[s.persona.language]
        p = s.persona
        lines += [
            f"## {n}. {p.name}, {p.title}, {p.company} ({p.industry}) - {t[s.scenario]}",
            "",
        ]
        for turn in s.turns:
            who = t["rep"] if turn.speaker == "rep" else p.name
            lines.append(f"- #{turn.seq} **{who}**: {turn.text}")
        rep = s.turns[-1]
        assert rep.coaching is not None
        lines += [
            "",
            f"{t['reading']} (#{rep.seq}): {reading_line(rep.coaching)}",
            "",
            f"**{t['tip']}**: {s.tip.text}" + (f"  `[{s.tip.kind}]`" if kinds else ""),
            "",
            "specific: ___  correct: ___",
            "",
        ]
    return "\n".join(lines)


def calls_from(path: Path) -> list[tuple[str, Scenario, list[str]]]:
    """The calls of a JSON file: a list of {"persona", "scenario", "lines", "kind"?}."""
    calls = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(calls, list):
        raise SystemExit(f"{path}: expected a list of calls")
    scripts: list[tuple[str, Scenario, list[str]]] = []
    for n, call in enumerate(calls):
        try:
            persona, scenario, lines = call["persona"], call["scenario"], call["lines"]
        except (KeyError, TypeError) as e:
            raise SystemExit(f"{path}: call {n} has no {e}") from None
        if scenario not in ("cold_call", "discovery") or not isinstance(lines, list):
            raise SystemExit(f"{path}: call {n}: bad scenario or lines")
        scripts.append((persona, scenario, [str(line) for line in lines]))
    return scripts


async def collect(
    playbook: Playbook, scripts: list[tuple[str, Scenario, list[str]]]
) -> list[Sample]:
    samples: list[Sample] = []
    for persona_id, scenario, script in scripts:
        if persona_id not in playbook.personas:
            raise SystemExit(f"unknown persona {persona_id!r}")
        samples += await play(playbook, playbook.personas[persona_id], scenario, script)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/work/tipreview/tips.md")
    parser.add_argument("--per-language", type=int, default=20)
    parser.add_argument("--kinds", action="store_true", help="show each tip's kind")
    parser.add_argument("--calls", type=Path, help="a JSON file of calls to play instead")
    args = parser.parse_args()
    playbook = load_playbook(ROOT / "playbook")
    scripts = calls_from(args.calls) if args.calls else SCRIPTS
    samples = asyncio.run(collect(playbook, scripts))
    chosen: list[Sample] = []
    for language in ("zh", "en"):
        mine = [s for s in samples if s.persona.language == language]
        chosen += pick(mine, args.per_language)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(chosen, args.kinds), encoding="utf-8")
    kinds = sorted({s.tip.kind for s in chosen})
    print(f"{len(samples)} coached rep turns played; wrote {len(chosen)} to {out}")
    print(f"tip kinds in the sample ({len(kinds)}): {', '.join(kinds)}")


if __name__ == "__main__":
    main()
