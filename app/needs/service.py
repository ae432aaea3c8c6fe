"""Finishing a session: the needs record and scorecard derived from its transcript, saved once."""

from __future__ import annotations

import logging

from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import User
from app.db import utcnow
from app.needs import export as needs_export
from app.needs import missed
from app.needs.extract import build_needs_record
from app.needs.models import StoredNeedsRecord, StoredScorecard
from app.needs.refine import refine_with_llm
from app.needs.schemas import NeedsRecord, Scorecard, SessionExport
from app.needs.scorecard import score_session
from app.playbook.loader import Playbook
from app.roleplay import service as roleplay_service
from app.roleplay.models import PracticeSession, Turn
from app.roleplay.transcript import TranscriptTurn

log = logging.getLogger("salescoach.needs")


async def transcript(db: AsyncSession, session: PracticeSession) -> list[TranscriptTurn]:
    return roleplay_service.transcript(await roleplay_service.turns_of(db, session_id=session.id))


def derive(
    playbook: Playbook, session: PracticeSession, turns: list[TranscriptTurn]
) -> tuple[Scorecard, NeedsRecord]:
    """Score and extract from the transcript as it stands (pure: no LLM, nothing saved)."""
    persona = roleplay_service.persona_of(session)
    record = build_needs_record(
        session.id,
        persona,
        session.scenario,
        turns,
        playbook.needs,
        session.language,
        contacted_at=session.created_at,
    )
    card = score_session(
        persona, session.scenario, turns, playbook.scoring, session.language, rules=playbook.needs
    )
    card.missed_opportunities = missed.find(persona, session.scenario, turns, playbook)
    return card, record


async def stored(db: AsyncSession, session_id: str) -> tuple[Scorecard, NeedsRecord] | None:
    card = await db.get(StoredScorecard, session_id)
    record = await db.get(StoredNeedsRecord, session_id)
    if card is None or record is None:
        return None
    return Scorecard.model_validate(card.data), NeedsRecord.model_validate(record.data)


async def records(
    db: AsyncSession, playbook: Playbook, session: PracticeSession
) -> tuple[Scorecard, NeedsRecord]:
    """The saved records of an ended session, or live ones for an active session."""
    return await stored(db, session.id) or derive(playbook, session, await transcript(db, session))


async def finish(
    db: AsyncSession,
    playbook: Playbook,
    session: PracticeSession,
    turns: list[Turn],
    chat_model: BaseChatModel | None = None,
) -> tuple[Scorecard, NeedsRecord]:
    """End the session and save (flush) its records from its turns. With a chat model the needs
    record is refined first: the caller must have no transaction open (SQLite's write lock and
    PostgreSQL's row lock are not held across a model call)."""
    history = roleplay_service.transcript(turns)
    card, record = derive(playbook, session, history)
    if chat_model is not None:
        record = await refine_with_llm(
            record,
            history,
            chat_model,
            session.language,
            min_support=playbook.needs.match.refine_support,
        )
    db.add(
        StoredScorecard(
            session_id=session.id,
            total=card.total,
            band=card.band,
            data=card.model_dump(mode="json"),
        )
    )
    db.add(
        StoredNeedsRecord(
            session_id=session.id, data=record.model_dump(mode="json"), source=record.source
        )
    )
    session.status = "ended"
    session.ended_at = session.ended_at or utcnow()
    session.total_score = card.total
    await db.flush()
    return card, record


async def finish_between_turns(
    maker: async_sessionmaker[AsyncSession],
    playbook: Playbook,
    chat_model: BaseChatModel | None,
    *,
    user: User,
    session_id: str,
    lease_seconds: float = roleplay_service.LEASE_SECONDS,
) -> tuple[Scorecard, NeedsRecord]:
    """`finish` taking the session as a turn does, so a turn in flight is either in the records
    or refused after them; finishing twice returns what was saved. Owns its DB session, like
    the turn stream, because the refinement is a model call."""
    async with roleplay_service.between_turns(session_id), maker() as db:
        session = await roleplay_service.hold(db, user=user, session_id=session_id)
        saved = await stored(db, session_id)
        if saved is not None:
            return saved
        turns = await roleplay_service.turns_of(db, session_id=session_id)
        if chat_model is None:
            result = await finish(db, playbook, session, turns)
            await db.commit()
            return result
        token = roleplay_service.take_lease(session, lease_seconds)
        # Free the row (and SQLite's write lock) before the refinement call; the lease holds.
        await db.commit()
        async with roleplay_service.leased(db, maker, session_id, token):
            result = await finish(db, playbook, session, turns, chat_model)
            roleplay_service.end_lease(session)
            await db.commit()
    return result


def finisher(playbook: Playbook, chat_model: BaseChatModel | None) -> roleplay_service.SessionEnded:
    """What a turn calls when the customer ends the call: save the records."""

    async def save_records(db: AsyncSession, session: PracticeSession, turns: list[Turn]) -> None:
        await finish(db, playbook, session, turns, chat_model)

    return save_records


async def export_bundle(
    db: AsyncSession, playbook: Playbook, session: PracticeSession, rep: str
) -> SessionExport:
    turns = await transcript(db, session)
    card, record = await stored(db, session.id) or derive(playbook, session, turns)
    persona = roleplay_service.persona_of(session)
    return SessionExport(
        session_id=session.id,
        persona_id=session.persona_id,
        persona_name=persona.name,
        scenario=session.scenario,
        language=session.language,
        rep=rep,
        created_at=session.created_at,
        ended_at=session.ended_at,
        turns=turns,
        scorecard=card,
        needs_record=record,
    )


def render_export(bundle: SessionExport, fmt: str) -> tuple[str, str]:
    """The export body and its media type."""
    if fmt == "markdown":
        return needs_export.export_markdown(bundle, bundle.language), "text/markdown; charset=utf-8"
    if fmt == "csv":
        return needs_export.export_csv(bundle), "text/csv; charset=utf-8"
    return needs_export.export_json(bundle), "application/json"
