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


def test_the_wrong_readings_of_issue_9() -> None:
    """Found by trainers on phrasing the rules never saw (issue #9)."""
    spin = {
        "How is your current equipment working for you?": ("problem", "open"),
        "Where does the current system fall short?": ("problem", "open"),
        "国产化改造压力大吗?": ("problem", "closed"),
        "Thanks. How is your customer success team set up today?": ("situation", "open"),
        "您们有用什么系统跟踪销售数据吗?": ("situation", "closed"),
        "What has that downtime been costing you?": ("implication", "open"),
    }
    for text, expected in spin.items():
        c = analyze(text, RULES)
        assert (c.spin, c.question) == expected, text
    pitch = analyze(
        "Our platform is the best on the market and will save you 30% — want a demo?", RULES
    )
    assert pitch.spin is None and pitch.signals.pitch and "premature_pitch" in pitch.flags
    book = analyze("Could we book 30 minutes next Tuesday at 10am", RULES).signals.next_step
    assert book.proposed and book.has_concrete_time and book.time_text == "next Tuesday at 10am"
    thanks = analyze("感谢您今天抽出半小时见面", RULES)
    assert not thanks.signals.next_step.proposed and thanks.signals.small_talk
    chat = analyze("how's the start of the school yr been?", RULES)
    assert chat.spin is None and chat.signals.small_talk


def test_a_textbook_opener_is_not_a_premature_pitch() -> None:
    en = (
        "Hi Mr Smith, this is John from Acme Software. We work with manufacturers like you to "
        "reduce unplanned downtime. Do you have a couple of minutes?"
    )
    zh = "王总您好,我是云帆软件的小李,我们专门帮制造企业减少非计划停机。想跟您聊两分钟,方便吗?"
    for text in (en, zh):
        c = analyze(text, RULES, opener=True)
        assert not c.signals.pitch and "premature_pitch" not in c.flags, text
        assert c.opener is not None and c.opener.stated_purpose
    # A feature list in the opener is still a pitch.
    long = (
        "Hi, it's Tom from SensaPlant. We make wireless vibration sensors with AI anomaly "
        "detection, a five-year battery, a cloud dashboard, every PLC supported, and we're 30% "
        "cheaper than the big guys. Got a minute?"
    )
    assert analyze(long, RULES, opener=True).signals.pitch


def test_asking_for_the_hardest_part_is_a_problem_question_whatever_it_is_about() -> None:
    # "all those laptops ... day to day" had pulled the learned layer to implication: a
    # superlative of difficulty is a strong problem cue, so the rules' type stands.
    from app.coach.analyzer import read
    from app.coach.schemas import CoachContext

    context = CoachContext(scenario="discovery", rep_turn_index=3)
    for text in (
        "What's been the hardest part of keeping all those laptops up and running day to day?",
        "What's been the toughest part of managing all those laptops day to day?",
        "那这些设备,现在最大的问题是什么?",
    ):
        assert read(text, RULES, context).spin == "problem", text
    assert read("What's the biggest cost of that downtime?", RULES, context).spin != "problem"


def test_what_the_product_does_states_the_purpose_of_the_call() -> None:
    # Blind calls 2: "We put ... sensors on ... so plants catch ..." said why Jess called.
    for text in (
        "Hi Mark, Jess Carter with Uptrend Systems. We put predictive-maintenance sensors on "
        "corrugators so plants catch a failing bearing before it stops the line. Two minutes?",
        "Hi, it's Sam from Brightline. Our sensors flag a failing bearing weeks ahead. Got two "
        "minutes?",
    ):
        c = analyze(text, RULES, opener=True)
        assert c.opener is not None and c.opener.stated_purpose, text
    sorry = analyze("Hi Mark, it's Sam. We put you on hold earlier, sorry.", RULES, opener=True)
    assert sorry.opener is not None and not sorry.opener.stated_purpose


def test_who_or_which_after_a_leading_clause_asks() -> None:
    # Blind calls 6, the excellent Mark call: read as no question, answered "Okay.".
    for text in (
        "Besides you, who would get the most out of that kind of early warning",
        "Other than finance, which teams would benefit from that",
    ):
        c = analyze(text, RULES)
        assert c.question == "open" and c.spin is not None, text
    assert analyze("Thanks, which is why I called.", RULES).question is None
