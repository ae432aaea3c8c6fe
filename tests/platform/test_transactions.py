"""One owner per transaction: the request's session dependency commits (app/deps.py); only the
work that owns a DB session of its own commits by hand, each early commit saying why."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

# Modules that own a DB session: the request dependency and its between-turns variants, the
# turn stream and its lease, the finish, and the command line; and the one early commit of a
# request's session (a failed sign-in must outlive the rolled-back request).
OWNERS = {
    "deps.py",
    "auth/throttle.py",
    "web/security.py",
    "roleplay/service.py",
    "roleplay/locking.py",
    "needs/service.py",
    "cli.py",
    "roleplay/terminal.py",  # the command line's practice: its session outlives each turn
}


def test_only_session_owners_commit() -> None:
    committing = {
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if re.search(r"\.commit\(\)", path.read_text(encoding="utf-8"))
    }
    assert committing <= OWNERS, sorted(committing - OWNERS)


def test_other_domains_reach_sessions_through_the_roleplay_service() -> None:
    reaching = sorted(
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if not path.is_relative_to(APP / "roleplay")
        and re.search(
            r"roleplay import repository|roleplay\.repository", path.read_text(encoding="utf-8")
        )
    )
    assert reaching == []
