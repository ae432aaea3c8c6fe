"""Trainer review: comments on sessions and turns, corrections of the coach, and team figures."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.db import utcnow
from app.errors import AppError, NotFound
from app.review.models import Comment, TurnLabel
from app.review.schemas import LabelIn, LabelledTurnOut, LabelSignals, TrainerLabel
from app.roleplay import service as roleplay_service
from app.roleplay.models import Turn
from app.roleplay.schemas import CommentOut, SessionQuery


async def comments(db: AsyncSession, *, session_id: str) -> list[CommentOut]:
    rows = await roleplay_service.comments_of(db, session_id=session_id)
    return [
        CommentOut(id=c.id, author=name, turn_seq=c.turn_seq, text=c.text, created_at=c.created_at)
        for c, name in rows
    ]


async def add_comment(
    db: AsyncSession, *, user: User, session_id: str, text: str, turn_seq: int | None
) -> CommentOut:
    await roleplay_service.get_session(db, user=user, session_id=session_id)
    if turn_seq is not None and turn_seq > await roleplay_service.last_seq(
        db, session_id=session_id
    ):
        raise AppError(f"turn {turn_seq} does not exist in this session", 422)
    comment = Comment(session_id=session_id, author_id=user.id, turn_seq=turn_seq, text=text)
    db.add(comment)
    await db.flush()
    await db.refresh(comment)
    return CommentOut(
        id=comment.id,
        author=user.username,
        turn_seq=turn_seq,
        text=text,
        created_at=comment.created_at,
    )


async def team_overview(db: AsyncSession, *, user: User) -> list[dict[str, Any]]:
    """Per rep: sessions, finished sessions, average score, SPIN mix and scores in time order."""
    rows = await roleplay_service.list_sessions(
        db, user=user, query=SessionQuery(order="created_at"), limit=10_000
    )
    reps: dict[str, dict[str, Any]] = {}
    for session, rep in rows:
        entry = reps.setdefault(
            rep, {"rep": rep, "sessions": 0, "finished": 0, "scores": [], "spin": Counter()}
        )
        entry["sessions"] += 1
        if session.total_score is not None:
            entry["finished"] += 1
            entry["scores"].append(round(session.total_score, 1))
    for rep, coaching in await roleplay_service.rep_coaching_by_rep(db, user=user):
        if rep in reps:
            reps[rep]["spin"][(coaching.spin if coaching else None) or "none"] += 1
    out = []
    for entry in reps.values():
        scores = entry["scores"]
        out.append(
            {
                "rep": entry["rep"],
                "sessions": entry["sessions"],
                "finished": entry["finished"],
                "average_score": round(sum(scores) / len(scores), 1) if scores else None,
                "trend": scores,
                "spin_mix": dict(entry["spin"]),
            }
        )
    return sorted(out, key=lambda e: e["rep"])


async def label_turn(
    db: AsyncSession, *, user: User, session_id: str, seq: int, body: LabelIn
) -> LabelledTurnOut:
    """Store a trainer's correction of one rep turn's reading, over the coach's (or the last) one."""
    await roleplay_service.get_session(db, user=user, session_id=session_id)
    turn = await roleplay_service.turn_at(db, session_id=session_id, seq=seq)
    if turn is None:
        raise NotFound(f"turn {seq} not found")
    if turn.speaker != "rep" or turn.coaching is None:
        raise AppError("only rep turns carry the coach's reading to correct", 422)
    if body.signals and body.signals.repeat_of is not None and body.signals.repeat_of >= seq:
        raise AppError("repeat_of must name an earlier rep turn", 422)
    label = await _label_row(db, turn.id)
    base = _as_label(label, None) if label else None
    reading = turn.coaching
    current: dict[str, Any] = {
        "spin": base.spin if base else reading.spin,
        "question": base.question if base else reading.question,
        "signals": (base.signals if base else LabelSignals.of(reading)).model_dump(),
    }
    given = body.model_dump(exclude_unset=True)
    for key in ("spin", "question"):
        if key in given:
            current[key] = given[key]
    # An explicit null keeps the reading, like a field left out (for repeat_of and the
    # next-step time, null is itself a reading: "not a repeat", "no time").
    for key, value in (given.get("signals") or {}).items():
        if key == "next_step":
            step = {k: v for k, v in (value or {}).items() if v is not None or k == "time_text"}
            current["signals"]["next_step"].update(step)
        elif value is not None or key == "repeat_of":
            current["signals"][key] = value
    signals = LabelSignals.model_validate(current["signals"])
    if label is None:
        label = TurnLabel(turn_id=turn.id)
        db.add(label)
    label.spin = current["spin"]
    label.question = current["question"]
    label.signals = signals.model_dump(mode="json")
    label.labelled_by = user.id
    label.labelled_at = utcnow()
    await db.flush()
    return LabelledTurnOut(
        **roleplay_service.turn_out(turn).model_dump(),
        trainer_label=_as_label(label, user.username),
    )


async def labels_of(db: AsyncSession, *, session_id: str) -> dict[int, TrainerLabel]:
    """The trainer labels of a session's rep turns, by turn seq."""
    rows = await db.execute(
        select(Turn.seq, TurnLabel, User.username)
        .join(TurnLabel, TurnLabel.turn_id == Turn.id)
        .outerjoin(User, User.id == TurnLabel.labelled_by)
        .where(Turn.session_id == session_id)
    )
    return {seq: _as_label(label, name) for seq, label, name in rows.all()}


async def agreement(db: AsyncSession, *, user: User) -> dict[str, Any]:
    """How often trainers agreed with the coach on the rep turns they reviewed (visible sessions)."""
    sessions = roleplay_service.visible_ids(user).subquery()
    rows = await db.execute(
        select(Turn.coaching, TurnLabel, User.username)
        .join(TurnLabel, TurnLabel.turn_id == Turn.id)
        .outerjoin(User, User.id == TurnLabel.labelled_by)
        .join(sessions, sessions.c.id == Turn.session_id)
    )
    counts: Counter[str] = Counter()
    total = 0
    for coaching, label, name in rows.all():
        total += 1
        for aspect, same in _as_label(label, name).agrees_with(coaching).items():
            counts[aspect] += same
        counts["all"] += all(_as_label(label, name).agrees_with(coaching).values())
    rates = {k: round(counts[k] / total, 3) if total else None for k in AGREEMENT_ASPECTS}
    return {"labelled_turns": total, **rates}


AGREEMENT_ASPECTS = ("spin", "question", "signals", "all")


async def _label_row(db: AsyncSession, turn_id: int) -> TurnLabel | None:
    found: TurnLabel | None = await db.scalar(select(TurnLabel).where(TurnLabel.turn_id == turn_id))
    return found


def _as_label(label: TurnLabel, by: str | None) -> TrainerLabel:
    return TrainerLabel(
        spin=label.spin,
        question=label.question,
        signals=LabelSignals.model_validate(label.signals or {}),
        by=by,
        at=label.labelled_at,
    )


async def rep_progress(
    db: AsyncSession, *, user: User, stored_records: Any, recent: int = 20
) -> dict[str, Any]:
    """A rep's own figures: scored sessions in time order, SPIN mix, the criteria that lose the
    most points over the latest `recent` scored sessions, and comments on their sessions.
    `stored_records(db, session_id)` reads a session's saved scorecard (the needs domain's)."""
    rows = await roleplay_service.list_sessions(
        db, user=user, query=SessionQuery(rep=user.username, order="created_at"), limit=10_000
    )
    scored = [s for s, _ in rows if s.total_score is not None]
    spin: Counter[str] = Counter()
    for rep, coaching in await roleplay_service.rep_coaching_by_rep(db, user=user):
        if rep == user.username:
            spin[(coaching.spin if coaching else None) or "none"] += 1
    lost: dict[str, dict[str, Any]] = {}
    for session in scored[-recent:] if recent else []:
        saved = await stored_records(db, session.id)
        if saved is None:
            continue
        for c in saved[0].criteria:
            entry = lost.setdefault(c.id, {"id": c.id, "label": c.label, "lost": 0.0, "n": 0})
            entry["lost"] += max(0.0, c.max_points - c.points)
            entry["n"] += 1
    worst = sorted(lost.values(), key=lambda e: -e["lost"])
    notes: list[dict[str, Any]] = []
    for session, _ in rows:
        for comment in await comments(db, session_id=session.id):
            if comment.author != user.username:
                notes.append({"session": session, "comment": comment})
    notes.sort(key=lambda n: n["comment"].created_at, reverse=True)
    return {
        "sessions": len(rows),
        "scores": [(s.created_at, round(s.total_score or 0, 1), s.id) for s in scored],
        "spin_mix": dict(spin),
        "lost": [
            {**e, "average": round(e["lost"] / e["n"], 1)} for e in worst[:5] if e["lost"] > 0
        ],
        "comments": notes,
    }
