"""The customer answers the question asked: follow-ups that point back, or that ask a new kind of
question about something already described, are not mistaken for a topic the persona lacks."""

from __future__ import annotations

from tests.roleplay.test_state import PERSONAS, Talk, coaching


def test_a_problem_question_pointing_back_at_the_setup_reveals_a_problem() -> None:
    t = Talk("mark-packaging")
    setup = t.say(
        "Could you walk me through how you schedule the lines today?",
        coaching("situation", language="en"),
    )
    assert setup.act == "reveal" and setup.facts[0].kind == "situation"
    d = t.say("What tends to go wrong with that approach?", coaching("problem", language="en"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"


def test_a_problem_question_on_a_topic_the_persona_lacks_is_still_honest() -> None:
    t = Talk("mark-packaging")
    t.say("How do you schedule the lines today?", coaching("situation", language="en"))
    d = t.say(
        "What tends to go wrong with the coffee machines in the canteen?",
        coaching("problem", language="en"),
    )
    assert d.act == "deflect" and d.reason == "not_an_issue" and d.facts == []


def test_a_problem_question_about_the_described_setup_reveals_a_problem_not_a_recall() -> None:
    t = Talk("wang-manufacturing")
    setup = t.say("咱们现在设备的点检和保养是怎么安排的?", coaching("situation"))
    assert setup.act == "reveal"
    said = setup.facts[0]
    # The next question reuses the words of what was said, but asks where it hurts.
    asked = f"在{said.text[:8]}这块,您觉得哪个环节最让人头疼?"
    d = t.say(asked, coaching("problem"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"
    assert d.facts[0].id in {p.id for p in PERSONAS["wang-manufacturing"].problems}


def test_pointing_back_reveals_nothing_unearned() -> None:
    t = Talk("wang-manufacturing")
    # No problem known yet: an implication question pointing back gets the gate, not a fact.
    d = t.say("这种情况对交付有什么影响?", coaching("implication"))
    assert d.facts == [] and d.act in {"deflect", "short_answer"}


def test_a_question_naming_no_problem_never_gets_not_an_issue() -> None:
    # "What would you like to see first?" asks what a solution should do: there is no
    # problem in it for the customer to deny.
    for persona_id, text, language in (
        ("chen-logistics", "您希望先看到哪些内容?", "zh"),
        ("morgan-saas", "What would you like to see first?", "en"),
    ):
        t = Talk(persona_id)
        t.say(
            "咱们现在的排线是怎么安排的?" if language == "zh" else "How do you track health today?",
            coaching("situation", language=language),
        )
        d = t.say(text, coaching("need_payoff", language=language))
        assert d.reason != "not_an_issue", text
        assert d.facts == [] and d.reason == "no_implication_known", text


def test_a_problem_question_on_a_lacking_topic_still_gets_not_an_issue_in_chinese() -> None:
    t = Talk("chen-logistics")
    t.say("咱们现在的排线是怎么安排的?", coaching("situation"))
    d = t.say("食堂的咖啡机经常出什么问题?", coaching("problem"))
    assert d.act == "deflect" and d.reason == "not_an_issue"


def test_a_question_reaching_a_said_fact_only_through_area_words_is_not_a_recall() -> None:
    # 设备 is in most of 王建国's facts: it names his area, not the equipment fact he gave.
    t = Talk("wang-manufacturing")
    setup = t.say("现在变速箱壳体这几条线上,关键设备主要有哪些?", coaching("situation"))
    assert setup.act == "reveal" and [f.id for f in setup.facts] == ["s1"]
    # Maintenance is a situation fact of its own (保养, 维护), not the equipment said.
    d = t.say("这些设备现在的维护一般是怎么安排的?", coaching("situation"))
    assert d.act == "reveal" and [f.id for f in d.facts] == ["s4"] and d.recalled == []
    # A problem probe in that area leads to the area's problem, earned by the setup question.
    d = t.say("这些设备在维护上最让您头疼的是什么?", coaching("problem"))
    assert [f.id for f in d.facts] == ["p1"]
    # Asked again about that area's trouble, the customer has said it all: not the next pain
    # of another area (quality traceability shares only a stray "是哪" with the question).
    d = t.say("一般是哪些设备、什么原因比较容易出问题?", coaching("problem"))
    assert d.act == "deflect" and d.reason == "nothing_left" and d.facts == []


def test_a_question_naming_a_said_fact_itself_is_still_a_recall() -> None:
    t = Talk("wang-manufacturing")
    t.say("现在变速箱壳体这几条线上,关键设备主要有哪些?", coaching("situation"))
    d = t.say("两个厂区的加工中心是三班倒吗?", coaching("situation"))
    assert d.act == "recall" and [f.id for f in d.recalled] == ["s1"]


def test_a_broad_word_is_measured_on_the_persona_not_listed() -> None:
    # The same question to a persona whose facts rarely say 设备 is not a broad match.
    from app.roleplay.state import Topic, names_fact
    from tests.roleplay.test_state import RULES, topic_words

    wang = PERSONAS["wang-manufacturing"]
    topic = Topic(topic_words("设备一般是怎么安排的?"), "zh", RULES.matching)
    s1 = wang.situation[0]
    assert not names_fact(s1, topic, wang)
    lone = wang.model_copy(update={"problems": [], "public": [], "situation": [s1]})
    assert names_fact(s1, topic, lone)


def test_a_need_payoff_question_on_a_said_problem_gets_the_gate_not_the_problem_again() -> None:
    t = Talk("priya-finance")
    t.say("How does month-end close work today?", coaching("situation", language="en"))
    pain = t.say(
        "Which parts of the reconciliation take the most manual effort?",
        coaching("problem", language="en"),
    )
    assert [f.kind for f in pain.facts] == ["problem"]
    d = t.say(
        "If reconciliations across both cores ran automatically, what would that mean for "
        "your close?",
        coaching("need_payoff", language="en"),
    )
    assert d.act == "deflect" and d.reason == "no_implication_known"
    assert d.recalled == [] and d.facts == []


def test_colloquial_and_honorific_words_do_not_hide_the_question() -> None:
    # 啥 is 什么 and 贵院 is "your hospital": neither names a topic the persona lacks.
    t = Talk("liu-retail")
    d = t.say("你们现在用的啥系统啊?", coaching("situation"))
    assert d.act == "reveal" and d.facts[0].kind == "public"
    assert d.facts[0].topic == "current_tools"
    t = Talk("zhao-hospital")
    d = t.say("请问目前贵院流程是如何运作的?", coaching("situation"))
    assert d.act == "reveal" and d.facts[0].kind == "situation"


def test_a_value_question_naming_two_keywords_of_a_said_fact_is_a_recall() -> None:
    # "accounts" and "CSMs" are both broad for Morgan, but together they name her setup.
    t = Talk("morgan-saas")
    setup = t.say(
        "How is your CS org set up today: team size, who covers which accounts?",
        coaching("situation", language="en"),
    )
    assert [f.id for f in setup.facts] == ["s1"]
    d = t.say(
        "Roughly how many accounts does each CSM carry?",
        coaching("situation", question="closed", language="en", asks_value=True),
    )
    assert d.act == "recall" and [f.id for f in d.recalled] == ["s1"] and d.facts == []


def test_an_open_question_in_a_said_area_still_gets_the_unsaid_fact_it_reaches() -> None:
    t = Talk("morgan-saas")
    t.say("How is your CS team set up: team size, accounts?", coaching("situation", language="en"))
    d = t.say(
        "How do your CSMs decide which accounts need attention in a given week?",
        coaching("situation", language="en"),
    )
    assert d.act == "reveal" and [f.id for f in d.facts] == ["s2"]


def test_a_good_question_on_a_pain_already_opened_costs_no_patience() -> None:
    t = Talk("priya-finance")
    t.say("How does month-end close work today?", coaching("situation", language="en"))
    t.say(
        "Which parts of the reconciliation take the most manual effort?",
        coaching("problem", language="en"),
    )
    before = t.state.patience
    d = t.say(
        "If reconciliations across both cores ran automatically, what would that mean for "
        "your close?",
        coaching("need_payoff", language="en"),
    )
    assert d.act == "deflect" and d.reason == "no_implication_known" and d.facts == []
    assert t.state.patience == before
    # A need-payoff question on nothing opened still costs.
    d = t.say("What would your team do with the time back?", coaching("need_payoff", language="en"))
    assert d.reason == "no_implication_known" and t.state.patience < before


def test_an_implication_question_on_a_situation_only_still_costs() -> None:
    t = Talk("chen-logistics")
    t.say("咱们现在车队和调度是怎么安排的?", coaching("situation"))
    before = t.state.patience
    d = t.say("车辆空驶或者绕路这块,一个月下来大概要多花多少?", coaching("implication"))
    assert d.reason == "no_problem_known" and t.state.patience < before


def test_english_plural_and_verb_forms_name_the_same_keyword() -> None:
    from app.roleplay.state import Topic, match_score
    from tests.roleplay.test_state import RULES, topic_words

    mark, priya = PERSONAS["mark-packaging"], PERSONAS["priya-finance"]
    s1 = next(f for f in mark.situation if f.id == "s1")  # "converting lines"
    p2 = next(f for f in priya.problems if f.id == "p2")  # "breaks"
    for fact, text in (
        (s1, "How many converting line does the plant have?"),
        (p2, "Where does the matching usually break?"),
        (p2, "What happens when a reconciliation is broken?"),
    ):
        topic = Topic(topic_words(text), "en", RULES.matching)
        assert match_score(fact, topic) >= RULES.matching.min_score, text
    # Another form of a generic word ("cost" for the keyword "costs") names no topic.
    i1 = next(i for p in mark.problems for i in p.implications if i.id == "i1")
    topic = Topic(
        topic_words("What has that student laptop rollout cost you?"), "en", RULES.matching
    )
    assert match_score(i1, topic) < RULES.matching.min_score


def test_chinese_near_synonyms_reach_the_fact_the_persona_knows() -> None:
    t = Talk("chen-logistics")
    t.say("陈总您好,最近忙吗?", coaching(question="closed", small_talk=True))
    d = t.say("那目前每天在跑的车大概有多少台?", coaching("situation"))
    assert d.act == "reveal" and [f.id for f in d.facts] == ["s1"]
    t = Talk("wang-manufacturing")
    t.say("咱们两个厂区现在一共有多少台设备?", coaching("situation"))
    pain = t.say("设备维护这块,最让您头疼的是什么?", coaching("problem"))
    assert [f.id for f in pain.facts] == ["p1"]
    d = t.say("那比较严重的那次停线,一共耽误了多少产量?", coaching("implication"))
    assert d.act == "reveal" and [f.kind for f in d.facts] == ["implication"]
    assert d.facts[0].problem_id == "p1"


def test_the_first_problem_question_after_the_setup_names_the_setup_in_the_reps_words() -> None:
    # "machines" and 维护方式 are no words of these personas, but right after the customer
    # described the setup, the first open problem question asks where that setup hurts.
    t = Talk("mark-packaging")
    t.say("How do you schedule the lines today?", coaching("situation", language="en"))
    d = t.say(
        "Which machines tend to give you the most trouble?", coaching("problem", language="en")
    )
    assert d.act == "reveal" and d.facts[0].kind == "problem"
    t = Talk("wang-manufacturing")
    t.say("咱们现在设备的点检和保养是怎么安排的?", coaching("situation"))
    d = t.say("按现在的维护方式,您觉得哪些地方最让人不放心?", coaching("problem"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"


def test_without_the_setup_described_a_word_the_persona_lacks_is_still_honest() -> None:
    t = Talk("mark-packaging")
    d = t.say(
        "Which machines tend to give you the most trouble?", coaching("problem", language="en")
    )
    assert d.act != "reveal" or d.facts[0].kind != "problem"


def test_a_value_asked_again_through_an_area_word_is_recalled() -> None:
    # "devices" is broad for Karen (most of her facts are about devices), but asking for the
    # number right after "about 9,000 student laptops" asks for what she just said.
    t = Talk("karen-education")
    setup = t.say(
        "How are the student laptops tracked and repaired across the 14 schools today?",
        coaching("situation", language="en"),
    )
    assert setup.act == "reveal" and setup.facts[0].id == "s1"
    value = coaching("situation", question="closed", language="en", asks_value=True)
    d = t.say("Roughly how many devices are you managing right now?", value)
    assert d.act == "recall" and [f.id for f in d.recalled] == ["s1"]


def test_slipping_ship_dates_for_the_new_customer_reach_marks_late_deliveries() -> None:
    # Blind calls 6, the excellent Mark call: "That hasn't really affected us" to a question on
    # exactly his hidden consequence, asked in the rep's own words.
    t = Talk("mark-packaging")
    t.state = t.state.model_copy(update={"revealed": ["s1", "p1", "i1"]})
    d = t.say(
        "And with the new customer, what happens if ship dates slip in the first few months",
        coaching("implication", language="en"),
    )
    assert d.act == "reveal" and [f.id for f in d.facts] == ["i2"]


def test_forms_of_one_keyword_count_once_so_the_question_s_subject_wins() -> None:
    # "scheduled" is a form of both "scheduling" and "schedulers"; the question is about
    # maintenance, which the options list ("scheduled PMs, run-to-failure") only qualifies.
    t = Talk("mark-packaging")
    d = t.say(
        "How is maintenance handled across the three plants today: mostly scheduled PMs, "
        "run-to-failure, or something else?",
        coaching("situation", language="en"),
    )
    assert d.act == "reveal" and d.facts[0].id == "s2"


def test_equipment_going_down_is_the_downtime_and_how_soon_is_no_timeline_question() -> None:
    # "goes down" is the persona's downtime (a listed word form), and "how soon do you find
    # out" asks about the breakdown, not the project's timeline (a public fact).
    t = Talk("mark-packaging")
    t.say("How is maintenance handled today?", coaching("situation", language="en"))
    d = t.say(
        "When one of those goes down unexpectedly, what's usually behind it, and how soon "
        "do you find out?",
        coaching("problem", language="en"),
    )
    assert d.act == "reveal" and d.facts[0].id == "p1"
    t = Talk("mark-packaging")
    t.say("How is maintenance handled today?", coaching("situation", language="en"))
    timeline = t.say("How soon do you need something running?", coaching(None, language="en"))
    assert timeline.act == "reveal" and timeline.facts[0].topic == "timeline"


def test_a_problem_question_pointing_at_the_described_process_reveals_a_problem() -> None:
    t = Talk("morgan-saas")
    setup = t.say(
        "How does your team decide today which accounts are healthy and which need attention?",
        coaching("situation", language="en"),
    )
    assert setup.act == "reveal" and setup.facts[0].kind == "situation"
    d = t.say("Where does that process tend to break down?", coaching("problem", language="en"))
    assert d.act == "reveal" and d.facts[0].kind == "problem"
    # Naming a topic of its own the persona lacks is still answered honestly.
    d = t.say(
        "Where does the coffee machine tend to break down?", coaching("problem", language="en")
    )
    assert d.facts == []


def test_a_stray_shared_word_does_not_pick_the_next_problem() -> None:
    # "student" is also in the grades problem's words; the question asks how long a student is
    # without a laptop once the broken laptops are out: the next problem in the persona's order.
    t = Talk("karen-education")
    t.greet()
    t.say("How are the laptops tracked today?", coaching("situation", language="en"))
    first = t.say(
        "What's been the hardest part of keeping the devices running?",
        coaching("problem", language="en"),
    )
    assert first.facts[0].id == "p1"
    d = t.say(
        "When a student's laptop breaks or goes missing, how long are they usually without one?",
        coaching("problem", "closed", language="en", asks_value=True),
    )
    assert d.act == "reveal" and d.facts[0].id == "p2"
