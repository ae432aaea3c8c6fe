"""Personas and transcripts for the needs tests, built the way the role-play records them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from app.coach.analyzer import estimated_seconds, topic_words
from app.coach.schemas import Coaching, NextStepSignal, OpenerCheck, Signals
from app.needs.schemas import SessionExport
from app.playbook import coaching as coaching_playbook
from app.playbook.persona import Language, Persona
from app.roleplay.transcript import RevealedFact, TranscriptTurn

COACH_RULES = coaching_playbook.load(Path(__file__).resolve().parents[2] / "playbook")

CHEN = Persona.model_validate(
    {
        "id": "chen-logistics",
        "language": "zh",
        "name": "陈静",
        "title": "物流总监",
        "company": "华东快运",
        "industry": "物流",
        "decision_role": "decision_maker",
        "personality": "busy",
        "situation": [
            {"id": "s1", "text": "我们有120辆车,5个调度员每天用Excel排线。"},
            {"id": "s2", "text": "去年新开了两个区域分拨中心,单量涨了三成。"},
        ],
        "problems": [
            {
                "id": "p1",
                "text": "高峰期排一次线要3个小时,还经常排错。",
                "implications": [{"id": "i1", "text": "上个季度因为送错货,赔了客户40多万。"}],
                "need_payoffs": [
                    {
                        "id": "n1",
                        "text": "要是半小时内能排完线,调度员就能去处理异常单了。",
                        "priority": "must",
                    }
                ],
            },
            {
                "id": "p2",
                "text": "车辆回程经常空跑,空驶率差不多三成。",
                "implications": [{"id": "i2", "text": "油费一年多花了两百多万,老板一直在问。"}],
                "need_payoffs": [
                    {
                        "id": "n2",
                        "text": "能自动拼回程货的话,每个月能省不少油费。",
                        "priority": "optional",
                    }
                ],
            },
        ],
    }
)

LIU = Persona.model_validate(
    {
        "id": "liu-factory",
        "language": "zh",
        "name": "刘伟",
        "title": "生产经理",
        "company": "恒达精密",
        "industry": "制造",
        "decision_role": "influencer",
        "personality": "skeptical",
        "situation": [{"id": "s1", "text": "我们厂有3条产线,设备维护主要靠老师傅的经验。"}],
        "problems": [
            {
                "id": "p1",
                "text": "设备经常突发停机,上个月就停了4次。",
                "implications": [
                    {"id": "i1", "text": "每次停线大概损失20万的订单,工人还得加班赶工。"}
                ],
                "need_payoffs": [
                    {
                        "id": "n1",
                        "text": "要是能提前一周知道哪台设备要出问题,就能安排在周末检修。",
                        "priority": "must",
                    },
                    {
                        "id": "n2",
                        "text": "能在手机上看设备状态的话,有也行。",
                        "priority": "optional",
                    },
                ],
            }
        ],
    }
)

MAYA = Persona.model_validate(
    {
        "id": "maya-support",
        "language": "en",
        "name": "Maya Patel",
        "title": "Head of Customer Support",
        "company": "Brightdesk",
        "industry": "SaaS",
        "decision_role": "decision_maker",
        "personality": "analytical",
        "situation": [
            {
                "id": "s1",
                "text": "We have 40 agents answering about 3,000 tickets a week in Zendesk.",
            }
        ],
        "problems": [
            {
                "id": "p1",
                "text": "Agents spend ages hunting for answers across three different wikis.",
                "implications": [
                    {
                        "id": "i1",
                        "text": "First response time slipped to 9 hours and two enterprise "
                        "renewals are now at risk.",
                    }
                ],
                "need_payoffs": [
                    {
                        "id": "n1",
                        "text": "If agents found the right answer in seconds, first response "
                        "would drop under an hour.",
                        "priority": "must",
                    }
                ],
            },
            {
                "id": "p2",
                "text": "Nobody can see which product issues drive most of the tickets.",
                "implications": [
                    {
                        "id": "i2",
                        "text": "Product keeps fixing the wrong things, so the same complaints "
                        "come back every month.",
                    }
                ],
                "need_payoffs": [
                    {
                        "id": "n2",
                        "text": "A weekly report of the top ticket drivers would help me argue "
                        "for fixes.",
                        "priority": "optional",
                    }
                ],
            },
        ],
    }
)


class Dialogue:
    """Appends turns with gap-free seqs; customer facts are revealed as the state machine
    does, said verbatim after a lead-in unless the test gives its own wording."""

    def __init__(self, persona: Persona, language: Language | None = None) -> None:
        self.persona = persona
        self.language: Language = language or persona.language
        self.turns: list[TranscriptTurn] = []

    @property
    def next_seq(self) -> int:
        return len(self.turns) + 1

    def rep(
        self,
        text: str,
        *,
        spin: str | None = None,
        question: str | None = None,
        flags: Iterable[str] = (),
        opener: OpenerCheck | None = None,
        pitch: bool = False,
        small_talk: bool = False,
        value_point: bool = False,
        next_step: NextStepSignal | None = None,
    ) -> int:
        coaching = Coaching.model_validate(
            {
                "language": self.language,
                "spin": spin,
                "question": question,
                "flags": list(flags),
                "opener": opener,
                "signals": Signals(
                    pitch=pitch,
                    small_talk=small_talk,
                    value_point=value_point,
                    next_step=next_step or NextStepSignal(),
                    question_count=1 if question else 0,
                    # What the coach measures on any turn: speaking time and the words.
                    estimated_seconds=estimated_seconds(text, COACH_RULES),
                    topic=topic_words(text),
                ),
            }
        )
        seq = self.next_seq
        self.turns.append(TranscriptTurn(seq=seq, speaker="rep", text=text, coaching=coaching))
        return seq

    def customer(
        self,
        text: str = "",
        *,
        reveal: Iterable[str] = (),
        lead_in: str = "",
        act: str | None = None,
    ) -> int:
        revealed = [self.revealed(fact_id) for fact_id in reveal]
        if not text:
            joiner = "" if self.language == "zh" else " "
            text = lead_in + joiner.join(f.text for f in revealed)
        seq = self.next_seq
        self.turns.append(
            TranscriptTurn(
                seq=seq,
                speaker="customer",
                text=text,
                revealed=revealed,
                act=act or ("reveal" if revealed else None),
            )
        )
        return seq

    def revealed(self, fact_id: str) -> RevealedFact:
        kind = self.persona.fact_kind(fact_id)
        assert kind is not None, fact_id
        fact = next(f for f in self.persona.all_facts() if f.id == fact_id)
        problem_id = next(
            (
                p.id
                for p in self.persona.problems
                if fact_id in {f.id for f in [*p.implications, *p.need_payoffs]}
            ),
            None,
        )
        return RevealedFact(kind=kind, id=fact_id, text=fact.text, problem_id=problem_id)


OPENER_OK = OpenerCheck(
    introduced_self=True,
    stated_purpose=True,
    named_pain=True,
    asked_for_time=True,
    within_30_seconds=True,
    estimated_seconds=18.0,
)
OPENER_POOR = OpenerCheck(
    introduced_self=True,
    stated_purpose=False,
    named_pain=False,
    asked_for_time=False,
    within_30_seconds=False,
    estimated_seconds=42.0,
)


def chen_discovery_good() -> Dialogue:
    d = Dialogue(CHEN)
    d.rep(
        "陈总您好,听说你们刚开了两个新分拨中心,最近一定很忙吧?", small_talk=True, question="closed"
    )
    d.customer("是啊,忙得脚不沾地。", act="small_talk")
    d.rep("目前你们的车队和调度是怎么安排的?", spin="situation", question="open")
    d.customer(reveal=["s1"], lead_in="嗯,")
    d.rep("在排线这个环节,哪些地方让您觉得最费劲?", spin="problem", question="open")
    d.customer(reveal=["p1"], lead_in="说实话,")
    d.rep("排错线这件事,对客户和成本有什么影响?", spin="implication", question="open")
    d.customer(reveal=["i1"], lead_in="影响不小,")
    d.rep("如果排线能缩短到半小时,对您的团队意味着什么?", spin="need_payoff", question="open")
    d.customer("这个是关键,要是半小时内能排完线,调度员就能去处理异常单了。", reveal=["n1"])
    d.rep("除了排线,车辆使用上还有哪些让您头疼的地方?", spin="problem", question="open")
    d.customer(reveal=["p2"], lead_in="还有就是,")
    d.rep("空跑这么多,一年下来对成本有多大影响?", spin="implication", question="open")
    d.customer(reveal=["i2"], lead_in="这个我算过,")
    d.rep("如果能把回程货自动拼起来,对您有多大帮助?", spin="need_payoff", question="open")
    d.customer(reveal=["n2"], lead_in="嗯,")
    d.rep(
        "明白了。那您看明天下午3点,我带上同行的案例,30分钟视频会议给您演示一下,方便吗?",
        next_step=NextStepSignal(
            proposed=True, has_concrete_time=True, time_text="明天下午3点", form="视频会议"
        ),
        question="closed",
    )
    d.customer("好,明天下午3点可以,你把会议链接发我。", act="accept_next_step")
    return d


def chen_pitch_first() -> Dialogue:
    d = Dialogue(CHEN)
    d.rep(
        "陈总您好,我们的智能排线系统是业内领先的,能帮物流企业把排线时间缩短80%,"
        "已经服务了200多家客户,价格也很有优势。",
        pitch=True,
        flags=["premature_pitch", "too_long"],
    )
    d.customer("我们现在挺好的,没这个需要。", act="object")
    d.rep(
        "我们的系统还支持实时追踪、电子签收和智能报表,功能非常全面,您一定会喜欢的。",
        pitch=True,
        flags=["premature_pitch"],
    )
    d.customer("嗯。", act="object")
    d.rep("你们有用排线软件吗?", spin="situation", question="closed")
    d.customer(reveal=["s1"], lead_in="没有,")
    d.rep(
        "那我下周给您打电话吧?",
        next_step=NextStepSignal(proposed=True, has_concrete_time=False, form="电话"),
        question="closed",
    )
    d.customer("再说吧,我先忙了。", act="defer_next_step")
    return d


def maya_discovery_good() -> Dialogue:
    d = Dialogue(MAYA)
    d.rep("Hi Maya, how was the support summit last week?", small_talk=True, question="open")
    d.customer("Tiring but useful, thanks for asking.", act="small_talk")
    d.rep("How is your support team set up today?", spin="situation", question="open")
    d.customer(reveal=["s1"], lead_in="Sure.")
    d.rep("What's the hardest part of answering those tickets?", spin="problem", question="open")
    d.customer(
        "Honestly, agents spend ages hunting for answers across three different wikis. "
        "It drives them mad.",
        reveal=["p1"],
    )
    d.rep(
        "What does that search time do to your response times and renewals?",
        spin="implication",
        question="open",
    )
    d.customer(reveal=["i1"], lead_in="It hurts.")
    d.rep(
        "If agents found answers in seconds, what would that mean for you?",
        spin="need_payoff",
        question="open",
    )
    d.customer(
        "That's critical for us. If agents found the right answer in seconds, first response "
        "would drop under an hour.",
        reveal=["n1"],
    )
    d.rep("Where else do tickets cause you trouble?", spin="problem", question="open")
    d.customer(reveal=["p2"], lead_in="Well.")
    d.rep("How does that affect what product works on?", spin="implication", question="open")
    d.customer(reveal=["i2"], lead_in="Badly.")
    d.rep(
        "How useful would a weekly view of the top ticket drivers be?",
        spin="need_payoff",
        question="open",
    )
    d.customer(
        "It would be nice to have. A weekly report of the top ticket drivers would help me "
        "argue for fixes.",
        reveal=["n2"],
    )
    d.rep(
        "Could we book a 30-minute demo on Thursday at 10am?",
        next_step=NextStepSignal(
            proposed=True, has_concrete_time=True, time_text="Thursday at 10am", form="demo"
        ),
        question="closed",
    )
    d.customer("Thursday at 10 works, send the invite.", act="accept_next_step")
    return d


def maya_pitch_first() -> Dialogue:
    d = Dialogue(MAYA)
    d.rep(
        "Hi Maya, our AI knowledge base is the best on the market, it plugs into Zendesk, "
        "cuts handle time by half and customers love it, so I'd love to show you everything.",
        pitch=True,
        flags=["premature_pitch", "too_long"],
    )
    d.customer("We're fine for now.", act="object")
    d.rep(
        "It also has analytics, chatbots and a mobile app, all included in one price.", pitch=True
    )
    d.customer("Okay.", act="object")
    d.rep("Do you use Zendesk?", spin="situation", question="closed")
    d.customer(reveal=["s1"], lead_in="Yes.")
    d.rep(
        "Can I call you sometime next month?",
        next_step=NextStepSignal(proposed=True, has_concrete_time=False, form="call"),
        question="closed",
    )
    d.customer("Maybe, I have to go.", act="defer_next_step")
    return d


def liu_cold_call_good() -> Dialogue:
    d = Dialogue(LIU)
    d.rep(
        "刘经理您好,我是智维科技的小王,我们专门帮制造企业减少设备突发停机,"
        "想跟您聊两分钟,看看有没有合作空间,您现在方便吗?",
        opener=OPENER_OK,
    )
    d.customer("你说吧,就两分钟。")
    d.rep("目前厂里的设备维护是怎么做的?", spin="situation", question="open")
    d.customer(reveal=["s1"], lead_in="嗯,")
    d.rep("在设备运行上,最让您头疼的是什么?", spin="problem", question="open")
    d.customer(reveal=["p1"], lead_in="最头疼的就是")
    d.rep("每次停机,对订单交付有什么影响?", spin="implication", question="open")
    d.customer(reveal=["i1"], lead_in="影响挺大,")
    d.rep("如果能提前知道设备要出问题,对您的排产有什么帮助?", spin="need_payoff", question="open")
    d.customer("那必须的,要是能提前一周知道哪台设备要出问题,就能安排在周末检修。", reveal=["n1"])
    d.rep(
        "我们的预测性维护能提前预警设备停机,帮您减少停线损失。",
        value_point=True,
        pitch=True,
    )
    d.customer("听起来不错,具体怎么做?")
    d.rep(
        "您看明天下午3点,我给您发一份同行案例,再10分钟电话沟通是否方便?",
        next_step=NextStepSignal(
            proposed=True, has_concrete_time=True, time_text="明天下午3点", form="电话沟通"
        ),
        question="closed",
    )
    d.customer("行,明天下午3点你打给我。", act="accept_next_step")
    return d


def export_bundle(d: Dialogue, scenario: str, **parts: object) -> SessionExport:
    return SessionExport.model_validate(
        {
            "session_id": "sess-1",
            "persona_id": d.persona.id,
            "persona_name": d.persona.name,
            "scenario": scenario,
            "language": d.language,
            "rep": "wang",
            "created_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
            "turns": d.turns,
            **parts,
        }
    )
