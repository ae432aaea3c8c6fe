from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow

Role = Literal["rep", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("rep", "trainer", "admin")


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Every token and cookie session carries the version it was signed with; raising it
    # (sign-out, a new password) makes all earlier ones worthless.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A disabled user cannot sign in and their tokens stop working.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team | None] = relationship(lazy="raise")


class LoginFailure(Base):
    """One failed sign-in, counted per key (`user:NAME`, `address:IP`) by every server process."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True, default=utcnow)
