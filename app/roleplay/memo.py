"""What a turn reads of its session, kept between turns: the persona snapshot, the turns so far
(as the pure domains and the coach see them) and the customer's state after the last one.

The persona never changes once the session starts, and turns are only appended, with gap-free
seqs; the state changes only with a turn. So a memo is fresh when its last seq is the session's
last seq, read in the turn's transaction under the session's lock; otherwise only the newer
turns are read. Processes sharing a database stay correct: each reads what the others appended.
A turn adds its own turns after its commit. The memos are bounded (least recently used out), and
sessions with the same persona snapshot share one Persona (it is only read).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.coach.schemas import Coaching, EarlierTurn, Scenario
from app.playbook.persona import Language, Persona
from app.roleplay import repository
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.transcript import RevealedFact, Speaker, TranscriptTurn

DEFAULT_SIZE = 512


def transcript(turns: Sequence[Turn]) -> list[TranscriptTurn]:
    """Stored turns as the pure domains see them."""
    return [_seen(t.seq, t.speaker, t.text, t.coaching, t.meta) for t in turns]


def _seen(
    seq: int, speaker: Speaker, text: str, coaching: Coaching | None, meta: dict[str, Any] | None
) -> TranscriptTurn:
    meta = meta or {}
    return TranscriptTurn(
        seq=seq,
        speaker=speaker,
        text=text,
        coaching=coaching,
        revealed=[RevealedFact.model_validate(f) for f in meta.get("revealed", [])],
        act=meta.get("act"),
        next_step=meta.get("next_step"),
    )


@dataclass
class SessionMemo:
    rep_id: int
    persona: Persona
    scenario: Scenario
    language: Language
    state: dict[str, Any]
    turns: list[TranscriptTurn] = field(default_factory=list)
    # The same turns as the coach reads them (CoachContext.earlier), kept alongside.
    earlier: list[EarlierTurn] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        return self.turns[-1].seq if self.turns else 0

    def extend(self, turns: Sequence[TranscriptTurn]) -> None:
        self.turns.extend(turns)
        self.earlier.extend(EarlierTurn.model_validate(t, from_attributes=True) for t in turns)


class SessionMemos:
    """Memos of the sessions whose turns ran here lately (see the module docstring)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._memos: OrderedDict[str, SessionMemo] = OrderedDict()
        # The latest snapshot of each persona id read here, and its Persona.
        self._personas: OrderedDict[str, tuple[dict[str, Any], Persona]] = OrderedDict()

    async def load(self, db: AsyncSession, session: PracticeSession, last_seq: int) -> SessionMemo:
        """The session's memo, brought up to `last_seq` (its last stored turn)."""
        memo = self._memos.pop(session.id, None)
        if memo is None or memo.last_seq > last_seq:
            persona = await repository.persona_json(db, session)
            memo = SessionMemo(
                rep_id=session.rep_id,
                persona=self._persona(session.persona_id, persona),
                scenario=session.scenario,
                language=session.language,
                state=session.state,
            )
        if memo.last_seq < last_seq:
            newer = await repository.turns_after(db, session_id=session.id, seq=memo.last_seq)
            memo.extend(transcript(newer))
        memo.state = session.state
        self._memos[session.id] = memo
        while len(self._memos) > self.size:
            self._memos.popitem(last=False)
        return memo

    def _persona(self, persona_id: str, snapshot: dict[str, Any]) -> Persona:
        """The Persona of a snapshot, shared with the other sessions of the same snapshot."""
        known = self._personas.pop(persona_id, None)
        if known is None or known[0] != snapshot:
            known = (snapshot, Persona.model_validate(snapshot))
        self._personas[persona_id] = known
        while len(self._personas) > self.size:
            self._personas.popitem(last=False)
        return known[1]

    def add(self, session_id: str, rows: Sequence[dict[str, Any]], state: dict[str, Any]) -> None:
        """Turns this process just committed (as rows of the turns table), and the state after."""
        memo = self._memos.get(session_id)
        if memo is None or not rows or rows[0]["seq"] != memo.last_seq + 1:
            return  # the next load reads them
        keys = ("seq", "speaker", "text", "coaching", "meta")
        memo.extend([_seen(*(row[key] for key in keys)) for row in rows])
        memo.state = state

    def get(self, session_id: str) -> SessionMemo | None:
        memo = self._memos.get(session_id)
        if memo is not None:
            self._memos.move_to_end(session_id)
        return memo

    def __len__(self) -> int:
        return len(self._memos)
