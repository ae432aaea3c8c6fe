"""Every table, imported in one place for Alembic and the tests."""

from app.auth.models import LoginFailure, Team, User
from app.db import Base
from app.needs.models import StoredNeedsRecord, StoredScorecard
from app.personas.models import StoredPersona
from app.review.models import Comment, TurnLabel
from app.roleplay.models import PracticeSession, Turn

__all__ = [
    "Base",
    "Comment",
    "LoginFailure",
    "PracticeSession",
    "StoredNeedsRecord",
    "StoredPersona",
    "StoredScorecard",
    "Team",
    "Turn",
    "TurnLabel",
    "User",
]
