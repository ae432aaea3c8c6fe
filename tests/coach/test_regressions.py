"""Coach cases found by probing the API: courtesies, punctuation, a language hint that disagrees."""

from __future__ import annotations

from pathlib import Path

from app.coach.analyzer import analyze
from app.playbook.loader import load_playbook

RULES = load_playbook(Path(__file__).resolve().parents[2] / "playbook").coach


def test_a_greeting_in_front_does_not_hide_the_question() -> None:
    assert analyze("Hi, how many servers do you run?", RULES).spin == "situation"
    assert analyze("Thanks, what goes wrong with the routing?", RULES).spin == "problem"
    assert analyze("您好,目前贵公司的排线是怎么做的?", RULES).spin == "situation"


def test_small_talk_and_greetings_stay_null() -> None:
    assert analyze("Hi Mark, how are you?", RULES).spin is None
    assert analyze("Hi there!", RULES).spin is None


def test_punctuation_alone_asks_nothing() -> None:
    for text in ("?", "???!!!...", "?!。,…"):
        c = analyze(text, RULES)
        assert c.spin is None and c.question is None and "multiple_questions" not in c.flags


def test_patterns_follow_the_written_language_and_the_tip_the_session() -> None:
    text = "Hi, this is Ann from Acme. We help plants cut downtime. Could I have two minutes?"
    c = analyze(text, RULES, language="zh", opener=True)
    assert c.opener is not None and c.opener.introduced_self and c.opener.asked_for_time
    assert c.language == "zh" and any("\u4e00" <= ch <= "\u9fff" for ch in c.tip)


def test_full_width_punctuation_reads_like_ascii() -> None:
    import yaml

    from app.coach.text import halfwidth

    data = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "data/labelled/utterances_zh.yaml").read_text(
            "utf-8"
        )
    )
    widen = str.maketrans({"?": "？", ",": "，", "!": "！", ":": "：", ";": "；"})
    assert halfwidth("您好，请问？（１２３）") == "您好,请问?(123)"
    for item in data["items"]:
        ascii_form = analyze(item["text"], RULES, language="zh")
        full_width = analyze(item["text"].translate(widen), RULES, language="zh")
        assert (full_width.spin, full_width.question) == (ascii_form.spin, ascii_form.question)
    opener = "您好，我是云智科技的李明，专注物流调度。了解到贵公司排线慢，想跟您聊两分钟，方便吗？"
    check = analyze(opener, RULES, opener=True).opener
    assert check is not None and check.asked_for_time and check.introduced_self


def test_next_step_time_is_the_whole_phrase() -> None:
    cases = {
        "Could we set up a 30-minute call next Tuesday at 10am to walk through a demo?": "next Tuesday at 10am",
        "您看下周三下午两点,我们约个视频会议给您演示一下,方便吗?": "下周三下午两点",
        "明天下午3点给您打个电话可以吗?": "明天下午3点",
    }
    for text, phrase in cases.items():
        step = analyze(text, RULES).signals.next_step
        assert step.proposed and step.has_concrete_time and step.time_text == phrase
