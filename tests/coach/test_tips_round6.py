"""Tips after the round-6 blind review (issue #11): what the trainers hit most often."""

from __future__ import annotations

from pathlib import Path

from app.coach import tips
from app.coach.schemas import Coaching, NextStepSignal, OpenerCheck, Signals
from app.playbook.loader import Playbook, load_playbook
from app.roleplay.transcript import RevealedFact, TranscriptTurn
from tests.coach.test_tips import customer, fact, reading_of, rep

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK: Playbook = load_playbook(ROOT / "playbook")


def tip_for(
    reading: Coaching,
    history: list[TranscriptTurn],
    persona: str,
    rep_text: str,
    scenario: str = "discovery",
) -> tips.Tip:
    return tips.next_best_move(
        reading,
        history,
        PLAYBOOK.personas[persona],
        scenario,  # type: ignore[arg-type]
        PLAYBOOK,
        rep_text=rep_text,
    )


def named_opener() -> Coaching:
    """A cold-call opener that gave a name and a company but no purpose."""
    check = OpenerCheck(
        introduced_self=True,
        stated_purpose=False,
        named_pain=False,
        asked_for_time=False,
        within_30_seconds=True,
        estimated_seconds=12,
    )
    return reading_of("en", opener=check, signals=Signals(pitch=True))


def morgan_invites_after_who() -> list[TranscriptTurn]:
    public = RevealedFact(kind="public", id="u1", text="We evaluated Gainsight and ChurnZero.")
    return [
        TranscriptTurn(
            seq=1, speaker="rep", text="Hi Morgan, Kevin here from ChurnShield.", coaching=named_opener()
        ),
        customer(2, "Who am I speaking to, and why are you calling?", act="puzzled"),
        rep(3, "We predict churn.", language="en", signals=Signals(pitch=True)),
        customer(4, "That's no secret. We evaluated Gainsight and ChurnZero last year and bought neither.", public),
        rep(5, "We'd replace all that.", language="en", signals=Signals(pitch=True)),
        customer(6, "Mm-hm, I'm listening.", act="acknowledge"),
    ]  # fmt: skip


def test_who_are_you_is_settled_once_a_named_caller_is_invited_on() -> None:
    tip = tip_for(
        reading_of("en", flags=["no_question"]),
        morgan_invites_after_who(),
        "morgan-saas",
        "So what's your renewal process like today",
        scenario="cold_call",
    )
    assert tip.kind != "answer_who_still", tip.text


def test_good_question_to_a_statement_goes_back_to_the_rival_they_named() -> None:
    tip = tip_for(
        reading_of("en", flags=["no_question"]),
        morgan_invites_after_who(),
        "morgan-saas",
        "Good question, I'll loop in my SE on that. Anyway, did I mention the Slack integration",
        scenario="cold_call",
    )
    assert tip.kind == "fake_good_question"
    assert '"Mm-hm, I\'m listening" (#6)' in tip.text and "(#4)" in tip.text
    # Why they passed on the rivals (the probe's wording rotates).
    assert "pass on them" in tip.text or "fall short" in tip.text
    assert tip.cites == (6, 4)


def test_a_budget_worry_waved_away_is_taken_up_before_the_pitch() -> None:
    history = [
        rep(1, "我们这个上了以后损耗能降30%", signals=Signals(pitch=True)),
        customer(2, "说句实话,今年开新店花钱的地方太多,预算比较紧。", act="object"),
    ]
    tip = tip_for(
        reading_of(flags=["premature_pitch", "no_question"], signals=Signals(pitch=True)),
        history,
        "liu-retail",
        "这个您放心，我们都能搞定的。我再给您讲下我们的自动调拨功能，这个很牛",
    )
    assert tip.kind == "take_up_concern"
    assert "预算比较紧" in tip.text and "(#2)" in tip.text and "头疼" not in tip.text


def test_talking_to_the_simulator_as_a_meeting_opens_gets_the_rapport_step() -> None:
    tip = tip_for(
        reading_of("en", question="open", signals=Signals(meta=True, off_topic=True)),
        [],
        "morgan-saas",
        "Hey Morgan, quick calibration: you're the simulator persona, right?",
    )
    assert tip.kind == "stay_in_role_meeting_start"
    assert "thank them" in tip.text and "?" not in tip.text
    assert "tracking account health" not in tip.text


def test_a_next_step_is_praised_for_the_meetings_time_not_the_send_by_date() -> None:
    p1, i1, n1 = (fact("mark-packaging", f) for f in ("p1", "i1", "n1"))
    history = [
        rep(1, "What's most frustrating about downtime?", language="en", spin="problem"),
        customer(2, "I'll tell you. " + p1.text, p1),
        rep(3, "What does that cost?", language="en", spin="implication"),
        customer(4, i1.text, i1),
        rep(5, "What would early warning mean?", language="en", spin="need_payoff"),
        customer(6, n1.text, n1),
    ]
    text = (
        "How about this: I send a short pilot outline for one line by Friday, and we do a "
        "45-minute walk of your main plant on Wednesday, December 9 at 10 am with your "
        "maintenance lead. Would that work"
    )
    step = NextStepSignal(proposed=True, has_concrete_time=True, time_text="Friday")
    reading = reading_of("en", question="closed", signals=Signals(next_step=step))
    tip = tip_for(reading, history, "mark-packaging", text)
    assert "Wednesday" in tip.text and "Friday" not in tip.text
    # The rep already named who joins: no "confirm who else should join".
    assert "who else" not in tip.text


def test_a_meeting_turned_down_for_an_email_is_not_told_to_book_a_time() -> None:
    step = NextStepSignal(proposed=True, has_concrete_time=True, time_text="Tuesday at 11")
    history = [
        rep(1, "Would a call on Tuesday at 11 work?", language="en", signals=Signals(next_step=step)),
        customer(2, "Let's not book anything yet. Email me something and I'll have a look.",
                 act="defer_next_step"),
    ]  # fmt: skip
    tip = tip_for(
        reading_of("en", signals=Signals(goodbye=True, small_talk=True)),
        history,
        "morgan-saas",
        "Perfect, thanks Morgan, enjoy the rest of your day, talk Tuesday",
        scenario="cold_call",
    )
    assert tip.kind == "wrap_up_declined"
    assert "(#2)" in tip.text and "book a concrete time" not in tip.text


def test_no_tip_carries_a_bracket_to_fill_in() -> None:
    i1 = fact("mark-packaging", "i1")
    history = [
        rep(1, "What does it cost?", language="en", spin="implication"),
        customer(2, i1.text, i1),
    ]
    tip = tip_for(
        reading_of("en", spin="need_payoff", question="open"),
        history,
        "mark-packaging",
        "If your crew could see a bearing failing weeks out, how would that change your planning",
    )
    assert tip.kind == "after_payoff_question"
    assert "[" not in tip.text and "]" not in tip.text


def test_a_vague_kept_question_becomes_one_about_the_real_process() -> None:
    tip = tip_for(
        reading_of(spin="situation", question="open", flags=["multiple_questions"],
                   signals=Signals(question_count=2)),
        [],
        "liu-retail",
        "目前贵公司流程是如何运作的？团队规模是多少",
    )  # fmt: skip
    assert tip.kind == "one_question_concrete"
    assert "贵公司流程" not in tip.text and "订货" in tip.text


def test_a_closed_question_about_a_plan_is_not_reworded_into_its_impact() -> None:
    form = tips.open_version("30家新店是不是明年开", "implication", PLAYBOOK.moves, "zh")
    assert form is None
    assert tips.open_version("Is downtime expensive for you", "problem", PLAYBOOK.moves, "en") == (
        "What does downtime cost you when it happens?"
    )


def test_the_problem_question_after_a_background_question_takes_up_its_subject() -> None:
    tip = tip_for(
        reading_of("en", spin="situation", question="open"),
        [],
        "morgan-saas",
        "How does your team get a read on account health today",
        scenario="cold_call",
    )
    assert tip.kind == "to_problem"
    assert "account health" in tip.text and "renewals" not in tip.text


def test_a_stated_doubt_is_asked_about_not_probed_for_a_story() -> None:
    history = [
        rep(1, "What's your NRR framework?", language="en", spin="situation"),
        customer(2, "Slow down. I'm not convinced it's that big a deal yet.", act="object"),
    ]
    tip = tip_for(
        reading_of("en", spin="need_payoff", question="open"),
        history,
        "morgan-saas",
        "Why does fixing that matter to you?",
    )
    assert tip.kind == "answer_objection"
    assert "what happened there" not in tip.text
    assert "worth a closer look" in tip.text or "convince you" in tip.text


def test_a_problem_question_on_a_fact_not_yet_called_a_pain_is_the_right_move() -> None:
    p1 = fact("priya-finance", "p1")
    history = [
        rep(1, "How many days does the close take?", language="en", spin="situation"),
        customer(2, "Sure. " + p1.text, p1),
    ]
    tip = tip_for(
        reading_of("en", spin="problem", question="open"),
        history,
        "priya-finance",
        "Which parts of the close or the reconciliations are the most painful for your team",
    )
    assert tip.kind == "after_problem_question"
    assert "twelve business days" in tip.text and "(#2)" in tip.text
    # The cost question waits for the difficulty she is about to name: not on the days quoted.
    assert tip.text.count("twelve business days") == 1
