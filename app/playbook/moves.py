"""The next-best-move tips, loaded from playbook/coach/moves.yaml (the file's header explains it).

Loading checks that every move the tip selector can choose has a tip in both languages, that
every model-question list the selector renders exists, and that templates use only known
placeholders, so a typo fails at start-up instead of under a rep's turn.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from app.playbook.errors import PlaybookError
from app.playbook.files import load_section
from app.playbook.persona import Language

FILE = "coach/moves.yaml"
LANGUAGES: tuple[Language, ...] = get_args(Language)

# What a tip asks the rep to do, checked against the turn's reading.
Says = Literal["ask_question", "ask_openly", "hold_pitch", "propose_next_step"]
MoveKind = Literal[
    "answer_who",
    "answer_who_still",
    "answered_who",
    "answer_question",
    "answer_objection",
    "answer_objection_earlier",
    "answer_doubt",
    "answer_evidence",
    "get_to_point",
    "priority_asked",
    "rapport_listen",
    "wrap_up",
    "wrap_up_agreed",
    "wrap_up_no_step",
    "stay_in_role",
    "back_on_topic",
    "opener_introduced_self",
    "opener_stated_purpose",
    "opener_within_30_seconds",
    "opener_named_pain",
    "opener_asked_for_time",
    "opener_complete",
    "hold_close",
    "hold_pitch",
    "hold_pitch_heard",
    "no_repeat",
    "no_repeat_unanswered",
    "earn_next_step",
    "concrete_time",
    "next_step_set",
    "take_counter",
    "rapport_first",
    "one_question",
    "one_question_kept",
    "shorter",
    "reopen",
    "reopen_this",
    "ground_problem_first",
    "ground_implication_first",
    "hand_back",
    "hand_back_heard",
    "rapport_to_business",
    "meeting_start",
    "enough_small_talk",
    "to_problem",
    "late_background",
    "enough_background",
    "explore_open_problem",
    "after_problem_question",
    "after_implication_question",
    "develop_implication",
    "after_payoff_question",
    "summarise_then_next_step",
    "after_summary",
    "after_summary_early",
    "unfounded_summary",
    "tie_to_pain",
    "pitch_after_need",
    "check_value",
    "cold_call_next_step",
    "cold_call_next_step_after_answer",
    "clear_up_purpose",
    "open_meeting",
    "keep_going",
    "take_invitation",
    "answer_doubt_meeting",
    "withdraw_close",
    "summary_dropped_figures",
    "acknowledge_process",
    "one_question_after_brush_off",
    "asked_already",
    "rapport_listen_news",
    "wrap_up_wrong_day",
    "after_problem_question_recall",
    "after_problem_question_setup",
    "priority_from_their_words",
    "back_to_named_pain",
    "back_on_topic_pending",
    "reopen_heard",
    "fake_good_question",
    "answer_competitor",
    "take_up_concern",
    "stay_in_role_meeting_start",
    "wrap_up_declined",
    "one_question_concrete",
    "hold_close_doubt",
    "next_step_set_joined",
    "vague_question",
    "reset_after_gaming",
    "answer_who_then_ask",
    "reopen_thread",
    "priority_ranking",
    "deepen_implication",
    "answer_how",
    "reopen_live_problem",
    "ranked_already",
    "reset_then_ask",
    "reset_after_close",
]
MOVE_KINDS: tuple[MoveKind, ...] = get_args(MoveKind)
QuestionKind = Literal[
    "situation",
    "situation_on_fact",
    "problem",
    "problem_on_fact",
    "problem_on_setup",
    "implication",
    "implication_on_fact",
    "need_payoff",
    "need_payoff_on_fact",
    "need_payoff_on_figure",
    "priority",
    "priority_more",
    "summary",
    "summary_on_fact",
    "payoff_playback",
    "payoff_playback_on_fact",
    "next_step",
    "next_step_on_fact",
    "value_check",
    "value_check_on_fact",
]
QUESTION_KINDS: tuple[QuestionKind, ...] = get_args(QuestionKind)
TIP_PLACEHOLDERS = frozenset(
    {
        "name",
        "figures",
        "items",
        "thread",
        "thread_seq",
        "quote",
        "seq",
        "question",
        "industry",
        "customers",
        "pain",
        "time",
        "earlier",
        "count",
        "estimated_seconds",
        "limit_seconds",
        "max_words",
        "max_chars",
        "subject",
        "news",
    }
)
QUESTION_PLACEHOLDERS = frozenset({"area", "process", "quote", "topic", "subject", "slot"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __getitem__(self, language: Language) -> str:
        text: str = getattr(self, language)
        return text


class Move(Text):
    says: list[Says] = Field(default_factory=list)
    # The wording used when the tip quotes the customer ({quote}, {seq}).
    quoted: Text | None = None


class Phrases(_Strict):
    zh: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    def pick(self, language: Language, index: int = 0) -> str:
        items: list[str] = getattr(self, language)
        return items[index % len(items)]

    def lowered(self, language: Language) -> tuple[str, ...]:
        """The phrases of this language in lower case, as cues are matched."""
        items: list[str] = getattr(self, language)
        return tuple(w.lower() for w in items)


class IndustryTerms(_Strict):
    # How the industry's buyers read mid-sentence ("hospitals", "物流公司").
    customers: Phrases
    pains: Phrases
    areas: Phrases
    processes: Phrases


class Industry(IndustryTerms):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    # Words looked for (case-insensitively) in the persona's `industry`.
    match: list[str] = Field(min_length=1)


MissedKind = Literal[
    "problem_not_explored",
    "implication_not_developed",
    "no_summary_before_next_step",
    "next_step_before_interest",
]
MISSED_KINDS: tuple[MissedKind, ...] = get_args(MissedKind)
MISSED_PLACEHOLDERS = frozenset({"name", "quote", "seq", "step"})


class Missed(Text):
    label: Text
    # The model question the rep could have asked at that turn; `focus`: the next question of
    # the thread open there.
    question: QuestionKind | Literal["focus"]


class SetupForm(_Strict):
    """A background question's form: what it asks about (the group `subject`)."""

    language: Language
    pattern: str

    def compiled(self) -> re.Pattern[str]:
        return _compiled(self.pattern)


class ReopenForm(SetupForm):
    """A closed question's form: what it asks about, and that subject asked openly."""

    # By the question's SPIN type, `any` for the rest; {subject}: what the rep asked about.
    open: dict[Literal["situation", "problem", "implication", "need_payoff", "any"], str]


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


class Unanswered(_Strict):
    """What in the customer's last turn asks the rep for an answer before the next question."""

    # Customer acts (the state machine's) whose question mark asks the rep something; other
    # acts ("Honestly? There is something.") count by their cues only. No act: any mark.
    asking_acts: list[str]
    # Acts never counted (answered by their own rules: the greeting, a slot, the goodbye).
    skip_acts: list[str]
    # Cues that the customer does not know who calls or why, and of an objection or complaint.
    who: Phrases
    # "Get to the point" after an opener that said who and why: ask the question, no more intro.
    to_the_point: Phrases
    objection: Phrases
    # Doubt that the call is worth their time ("I get a lot of these calls"): earn it first.
    doubt: Phrases
    # A demand for proof ("show me numbers from a customer our size", 拿数据说话): offer it.
    evidence: Phrases
    # The model question on an objection, built on its words ({quote}).
    probe: Phrases
    # The customer invites the talk on their problem ("如果能解决…可以聊聊", "I'd want to
    # hear more"): the rep takes it up, not a new subject.
    invite: Phrases
    # An objection that is the buyer's process (a tender, a board vote), not a pain: it is
    # acknowledged and set aside, not probed.
    process: Phrases
    # An objection that denies a problem ("not a problem we have"): when the customer named
    # another pain earlier, the tip goes back to that, not "what's behind that?".
    denial: Phrases
    # The customer asks the rep to go on ("I'm listening", "你说"): after an opener that gave a
    # name and a company, "who are you?" is settled.
    go_on: Phrases
    # A rival the customer named ("we evaluated Gainsight", "还有两家公司交过方案"): a live
    # thread to ask about, with its model question (probe_competitor).
    competitor: Phrases
    probe_competitor: Phrases
    # Scepticism stated, not a story ("I'm not convinced it's that big a deal"): "what happened
    # there?" does not fit; ask what would make it worth a look (probe_sceptic).
    sceptic: Phrases
    probe_sceptic: Phrases
    # A concern the rep must take up before anything else (a budget, a risk) ...
    concern: Phrases
    probe_concern: Phrases
    # The customer is lost after the rep played with the exercise ("No idea what that means",
    # "我不明白这个问题的目的", "Did that message go to the wrong person?"): reset first.
    lost: Phrases
    # Impatience with a detour ("跟业务无关的就别问了"): more play gets the reset, a real
    # question answers it.
    impatient: Phrases
    # The customer asks how the offer would work for them ("How would it work here?",
    # "具体怎么解决?") once a pain is named: answer it against that pain before asking more.
    how: Phrases
    # A rep turn that starts over after a derailed call (an apology): the reset is done.
    reset: Phrases


OpenerFix = Literal["named_pain", "asked_for_time", "pitch", "lead"]


class MoveRules(_Strict):
    situation_enough: int = Field(default=3, ge=1, le=20)
    tips: dict[MoveKind, Move]
    questions: dict[QuestionKind, Phrases]
    industries: list[Industry] = Field(default_factory=list)
    default: IndustryTerms
    missed: dict[MissedKind, Missed]
    reopen_forms: list[ReopenForm] = Field(default_factory=list)
    unanswered: Unanswered
    # Cues of one prioritising question (must-have against nice-to-have): never split.
    priority_cues: Phrases
    # A closed problem question that only asks whether the problem happens (asked again when
    # the customer named it in their last turn).
    asks_again_cues: Phrases
    # A closed question about a tool or a fix tried ("有没有用过…", "Have you tried…"): never
    # asking again whether the problem happens, whatever keyword of it the tool's name shares.
    asks_about_tools: Phrases
    # Words that introduce an item of a ranked list the rep proposes ("必须满足的是…",
    # "must-have: …"): its items are checked against the customer's words.
    priority_items: Phrases
    # Words that date a clause of the persona's background as news ("去年", "last spring"):
    # the line of rapport a meeting opens with.
    news_cues: Phrases
    # Times a model next step proposes ({slot}), picked by the session's turn.
    slots: Phrases
    # The opener's other fixes, said after the first one's tip ({pain}), and the feature list.
    opener_also: dict[OpenerFix, Text]
    # The rep's words that treat a statement as a question ("Good question") or brush a
    # concern off ("这个您放心,我们都能搞定的").
    fake_ack_cues: Phrases
    brush_off_cues: Phrases
    # A question with nothing to answer about ("目前贵公司流程是如何运作的?"): not kept as is.
    vague_question_cues: Phrases
    # The customer turned a meeting down and asked for something to read instead.
    declined_step_cues: Phrases
    # What the rep's background question asks about (a group named `subject`).
    setup_forms: list[SetupForm] = Field(default_factory=list)
    # Words that make a fact a complaint ("太高", "eating us alive"): a problem said without them
    # ("Our close takes twelve business days") is still to be called one by the customer.
    pain_words: Phrases
    # A next step that already names who comes ("with your maintenance lead", "叫上设备部").
    joined_cues: Phrases
    # Words that lead into the rep's background question ("先问问", "想了解一下"): not part of
    # what it asks about, so never said back as its subject.
    setup_lead_ins: Phrases
    # Words that lead into a playback ("So I'm hearing", "我理解下来"): not part of its items.
    recap_lead_ins: Phrases
    # Words that point a claim back at what the customer said ("that's exactly what …",
    # "针对您说的"): a value point, not a pitch.
    tie_cues: Phrases

    def industry(self, name: str) -> IndustryTerms:
        """The industry entry whose match words occur in `name`, else the default."""
        lowered = name.lower()
        for entry in self.industries:
            if any(word.lower() in lowered for word in entry.match):
                return entry
        return self.default


def _placeholders(template: str, where: str, allowed: frozenset[str], path: str) -> None:
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise PlaybookError(path, where, str(exc)) from exc
    unknown = names - allowed
    if unknown:
        raise PlaybookError(
            path, where, f"unknown placeholder {sorted(unknown)[0]!r}; use {sorted(allowed)}"
        )


def _check(rules: MoveRules, path: str) -> None:
    for kind in MOVE_KINDS:
        if kind not in rules.tips:
            raise PlaybookError(path, f"tips.{kind}", "missing")
    for q in QUESTION_KINDS:
        if q not in rules.questions:
            raise PlaybookError(path, f"questions.{q}", "missing")
    for kind, move in rules.tips.items():
        for lang in LANGUAGES:
            _placeholders(move[lang], f"tips.{kind}.{lang}", TIP_PLACEHOLDERS, path)
            if move.quoted is not None:
                where = f"tips.{kind}.quoted.{lang}"
                _placeholders(move.quoted[lang], where, TIP_PLACEHOLDERS, path)
    for missed in MISSED_KINDS:
        if missed not in rules.missed:
            raise PlaybookError(path, f"missed.{missed}", "missing")
        for lang in LANGUAGES:
            where = f"missed.{missed}.{lang}"
            _placeholders(rules.missed[missed][lang], where, MISSED_PLACEHOLDERS, path)
    for fix in get_args(OpenerFix):
        if fix not in rules.opener_also:
            raise PlaybookError(path, f"opener_also.{fix}", "missing")
        for lang in LANGUAGES:
            _placeholders(
                rules.opener_also[fix][lang], f"opener_also.{fix}.{lang}", frozenset({"pain"}), path
            )
    for q, phrases in rules.questions.items():
        for lang in LANGUAGES:
            for i, text in enumerate(getattr(phrases, lang)):
                where = f"questions.{q}.{lang}.{i}"
                _placeholders(text, where, QUESTION_PLACEHOLDERS, path)


def _check_forms(rules: MoveRules, path: str) -> None:
    for i, form in enumerate(rules.reopen_forms):
        where = f"reopen_forms.{i}"
        try:
            pattern = form.compiled()
        except re.error as exc:
            raise PlaybookError(path, f"{where}.pattern", str(exc)) from exc
        if "subject" not in pattern.groupindex:
            raise PlaybookError(path, f"{where}.pattern", "needs a group named 'subject'")
        if "any" not in form.open:
            raise PlaybookError(path, f"{where}.open.any", "missing")
        for spin, text in form.open.items():
            _placeholders(text, f"{where}.open.{spin}", frozenset({"subject"}), path)
    for i, setup in enumerate(rules.setup_forms):
        where = f"setup_forms.{i}.pattern"
        try:
            found = setup.compiled()
        except re.error as exc:
            raise PlaybookError(path, where, str(exc)) from exc
        if "subject" not in found.groupindex:
            raise PlaybookError(path, where, "needs a group named 'subject'")


def load(dir: Path) -> MoveRules:
    """Read and validate playbook/coach/moves.yaml under the playbook folder `dir`."""
    path = dir / FILE
    if not path.is_file():
        raise PlaybookError(str(path), "(file)", "missing")
    rules = load_section(MoveRules, path)
    _check(rules, str(path))
    _check_forms(rules, str(path))
    return rules
