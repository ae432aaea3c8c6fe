"""`salescoach practice`: the same role-play in the terminal, coaching printed under each turn.

The session is stored like one started in the browser (same service, same turn lock, same
records), for a user of the database: `--user NAME`, else the only rep. Its id is printed at
the start and the end, so `salescoach export ID` and the review pages show it. `/finish` (or
the end of input) saves and prints the scorecard and the needs record; the engine is the one
the server would use (scripted offline, else the LLM).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from langchain_core.language_models.chat_models import BaseChatModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import User
from app.auth.service import TokenClaims
from app.coach.schemas import Coaching, Scenario
from app.config import Settings
from app.errors import AppError
from app.playbook.loader import Playbook
from app.roleplay.engine import CustomerEngine

LABELS = {
    "zh": {
        "you": "你",
        "coach": "教练",
        "ended": "客户结束了通话。",
        "score": "总分",
        "session": "会话",
        "export": "导出",
        "finish": "输入 /finish 结束",
    },
    "en": {
        "you": "you",
        "coach": "coach",
        "ended": "The customer ended the call.",
        "score": "Total",
        "session": "session",
        "export": "export",
        "finish": "/finish to end",
    },
}
RECORD_LABELS = {
    "zh": {
        "situation": "背景",
        "problems": "难点",
        "implications": "暗示",
        "need_payoffs": "需求-效益",
    },
    "en": {
        "situation": "situation",
        "problems": "problem",
        "implications": "implication",
        "need_payoffs": "need-payoff",
    },
}


class PracticeError(Exception):
    """Something the rep can fix (a name, a persona); the message is one line."""


def describe(coaching: Coaching) -> str:
    parts = [f"SPIN: {coaching.spin or '-'}", f"question: {coaching.question or '-'}"]
    if coaching.flags:
        parts.append("flags: " + ", ".join(coaching.flags))
    if coaching.opener is not None:
        checks = coaching.opener.model_dump()
        seconds = checks.pop("estimated_seconds")
        parts.append(
            "opener: "
            + " ".join(("✓" if ok else "✗") + name for name, ok in checks.items())
            + f" ({seconds:.0f}s)"
        )
    return " | ".join(parts) + (f"\n  → {coaching.tip}" if coaching.tip else "")


async def practising_user(db: AsyncSession, name: str | None) -> User:
    """The user named, else the only rep."""
    if name:
        found = (await db.execute(select(User).where(User.username == name))).scalar_one_or_none()
        if found is None:
            raise PracticeError(f"no user {name!r}; create one with `salescoach user add`")
        return found
    reps = list((await db.execute(select(User).where(User.role == "rep"))).scalars())
    if len(reps) != 1:
        names = ", ".join(sorted(r.username for r in reps)) or "none"
        raise PracticeError(f"say who practises with --user NAME (reps: {names})")
    return reps[0]


async def practice(
    maker: async_sessionmaker[AsyncSession],
    playbook: Playbook,
    engine: CustomerEngine,
    chat_model: BaseChatModel | None,
    *,
    persona_id: str,
    scenario: Scenario,
    user_name: str | None,
    engine_name: str,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> str:
    """Run the conversation, store it, print the records; returns the session id."""
    from app.needs import service as needs_service
    from app.roleplay import service as roleplay_service

    async with maker() as db:
        user = await practising_user(db, user_name)
        try:
            session = await roleplay_service.create_session(
                db,
                playbook,
                user=user,
                persona_id=persona_id,
                scenario=scenario,
                engine=engine_name,
            )
        except AppError as exc:
            known = ", ".join(playbook.personas)
            raise PracticeError(f"no persona {persona_id!r}; try: {known}") from exc
        await db.commit()
        persona = roleplay_service.persona_of(session)
    labels = LABELS[persona.language]
    print(f"{persona.name}, {persona.title} @ {persona.company} ({persona.industry})", file=out)
    print(f"{labels['session']}: {session.id}  ·  {labels['finish']}\n", file=out)
    ended = False
    while not ended:
        try:
            text = read(f"{labels['you']}> ").strip()
        except EOFError:
            break
        if text == "/finish":
            break
        if not text:
            continue
        try:
            async for event in roleplay_service.run_turn(
                maker,
                playbook,
                engine,
                caller=TokenClaims(user.id, user.token_version),
                session_id=session.id,
                text=text,
            ):
                if event.event == "coaching":
                    reading = Coaching.model_validate(event.data)
                    print(f"  [{labels['coach']}] {describe(reading)}", file=out)
                    print(f"{persona.name}> ", end="", file=out, flush=True)
                elif event.event == "token":
                    print(event.data["text"], end="", file=out, flush=True)
                elif event.event == "done":
                    ended = event.data.get("status") == "ended"
        except AppError as exc:
            print(f"\n  ! {exc.detail}", file=out)
            continue
        print("\n", file=out)
    if ended:
        print(labels["ended"], file=out)
    card, record = await needs_service.finish_between_turns(
        maker, playbook, chat_model, user=user, session_id=session.id
    )
    print(f"\n{labels['score']}: {card.total} ({card.band_label or card.band})", file=out)
    for c in card.criteria:
        print(f"  {c.label}: {c.points:g}/{c.max_points:g}  {c.comment}", file=out)
    names = RECORD_LABELS[persona.language]
    for field in ("situation", "problems", "implications", "need_payoffs"):
        for item in getattr(record, field):
            print(f"  [{names[field]}] {item.text} (#{item.turn_seq})", file=out)
    print(f"\n{labels['session']}: {session.id}", file=out)
    print(f"{labels['export']}: salescoach export {session.id} --format markdown", file=out)
    return session.id


def run(
    settings: Settings,
    playbook: Playbook,
    persona_id: str,
    scenario: Scenario,
    user_name: str | None,
) -> int:
    import asyncio

    from app.db import create_engine, create_sessionmaker
    from app.llm.models import build_chat_model
    from app.main import customer_engine

    chat_model = build_chat_model(settings)

    async def _main() -> None:
        db_engine = create_engine(settings.async_database_url)
        try:
            await practice(
                create_sessionmaker(db_engine),
                playbook,
                customer_engine(settings, chat_model),
                chat_model,
                persona_id=persona_id,
                scenario=scenario,
                user_name=user_name,
                engine_name=settings.llm,
            )
        finally:
            await db_engine.dispose()

    try:
        asyncio.run(_main())
    except PracticeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
