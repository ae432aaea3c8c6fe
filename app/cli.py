"""The `salescoach` console script: serve, db upgrade, user, practice, playbook check, export, labels,
coach train and accuracy."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import inspect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings, generate_password, get_settings
from app.db import create_engine, create_sessionmaker

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.auth.models import User
    from app.playbook.coaching import CoachRules

Command = Callable[[argparse.Namespace, Settings], int]
T = TypeVar("T")


class NoDatabase(Exception):
    """The database is not there (or has no tables); the message is one line."""


def require_database(settings: Settings) -> None:
    """Refuse, creating nothing, when SQLite's file does not exist (connecting would create it)."""
    url = make_url(settings.async_database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).exists():
            raise NoDatabase(
                f"no database at {url.database}; run `salescoach db upgrade` (or `make run`) "
                "first, or set SALESCOACH_DATABASE_URL"
            )


async def _check_schema(engine: AsyncEngine) -> None:
    # A server that does not answer propagates: main() names it in one line.
    async with engine.connect() as conn:
        has_users = await conn.run_sync(lambda c: inspect(c).has_table("users"))
    if not has_users:
        raise NoDatabase("the database has no tables; run `salescoach db upgrade` first")


def _run_db(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    require_database(settings)

    async def _main() -> T:
        engine = create_engine(settings.async_database_url)
        try:
            await _check_schema(engine)
            async with create_sessionmaker(engine)() as db:
                result = await work(db)
                await db.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(_main())


def cmd_db_upgrade(_: argparse.Namespace, settings: Settings) -> int:
    from app.migrate import upgrade

    upgrade(settings.async_database_url)
    print("database is at the latest schema")
    return 0


def bootstrap_accounts(settings: Settings) -> list[tuple[str, str, str]]:
    """On a database without users, create a trainer and a rep with generated passwords."""
    from app.auth import service

    async def work(db: object) -> list[tuple[str, str, str]]:
        from sqlalchemy.ext.asyncio import AsyncSession

        assert isinstance(db, AsyncSession)
        if await service.count_users(db):
            return []
        created = []
        for name in ("trainer", "rep"):
            password = generate_password()
            await service.create_user(db, username=name, password=password, role=name)
            created.append((name, name, password))
        return created

    return _run_db(settings, work)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.llm.models import ChatModelConfigError, build_chat_model
    from app.migrate import upgrade
    from app.playbook.errors import PlaybookError
    from app.playbook.loader import load_playbook

    try:
        load_playbook(settings.playbook_dir)
        build_chat_model(settings)
    except (PlaybookError, ChatModelConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    upgrade(settings.async_database_url)
    for name, role, password in bootstrap_accounts(settings):
        print(f"created {role} account  username: {name}  password: {password}", flush=True)
    print(f"salescoach on http://{args.host}:{args.port}  (engine: {settings.llm})", flush=True)
    # The app reads proxy headers itself, from SALESCOACH_TRUSTED_PROXIES only.
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=False,
        # uvicorn[standard]'s C event loop and HTTP parser, named so a missing one fails loudly.
        loop="uvloop",
        http="httptools",
    )
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import service
    from app.errors import AppError

    try:
        password = os.environ.get("SALESCOACH_PASSWORD") or getpass.getpass(
            f"password for {args.name}: "
        )
    except EOFError:
        print("error: no password: set SALESCOACH_PASSWORD or run in a terminal", file=sys.stderr)
        return 1

    async def work(db: object) -> None:
        from sqlalchemy.ext.asyncio import AsyncSession

        assert isinstance(db, AsyncSession)
        await service.create_user(
            db, username=args.name, password=password, role=args.role, team=args.team
        )

    try:
        _run_db(settings, work)
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(f"created {args.role} {args.name}" + (f" in team {args.team}" if args.team else ""))
    return 0


def _password_from_env_or_prompt(name: str) -> str | None:
    try:
        return os.environ.get("SALESCOACH_PASSWORD") or getpass.getpass(f"password for {name}: ")
    except EOFError:
        print("error: no password: set SALESCOACH_PASSWORD or run in a terminal", file=sys.stderr)
        return None


def _change_user(
    settings: Settings, name: str, change: Callable[[AsyncSession, User], Awaitable[None]]
) -> int:
    """Apply one change to a user by name; exit 1 naming the problem."""
    from app.auth import service
    from app.errors import AppError

    async def work(db: AsyncSession) -> bool:
        user = await service.get_by_username(db, username=name)
        if user is None:
            return False
        await change(db, user)
        return True

    try:
        found = _run_db(settings, work)
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    if not found:
        print(f"error: no user {name!r}", file=sys.stderr)
        return 1
    return 0


def cmd_user_set_password(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import service

    password = _password_from_env_or_prompt(args.name)
    if password is None:
        return 1

    async def change(db: AsyncSession, user: User) -> None:
        await service.set_password(db, user=user, password=password)

    code = _change_user(settings, args.name, change)
    if code == 0:
        print(f"password of {args.name} changed; their earlier sessions and tokens are revoked")
    return code


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import service

    async def change(db: AsyncSession, user: User) -> None:
        await service.disable(db, user=user)

    code = _change_user(settings, args.name, change)
    if code == 0:
        print(f"{args.name} is disabled: they cannot sign in and their tokens stop working")
    return code


def cmd_user_enable(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import service

    async def change(db: AsyncSession, user: User) -> None:
        await service.enable(db, user=user)

    code = _change_user(settings, args.name, change)
    if code == 0:
        print(f"{args.name} may sign in again")
    return code


def cmd_playbook_check(args: argparse.Namespace, settings: Settings) -> int:
    from app.playbook.errors import PlaybookError
    from app.playbook.loader import load_playbook

    folder = Path(args.dir) if args.dir else settings.playbook_dir
    try:
        playbook = load_playbook(folder)
    except PlaybookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{folder}: ok ({len(playbook.personas)} personas)")
    return 0


def cmd_practice(args: argparse.Namespace, settings: Settings) -> int:
    from app.llm.models import ChatModelConfigError
    from app.playbook.errors import PlaybookError
    from app.playbook.loader import load_playbook
    from app.roleplay.terminal import run

    require_database(settings)

    async def check() -> None:
        engine = create_engine(settings.async_database_url)
        try:
            await _check_schema(engine)
        finally:
            await engine.dispose()

    asyncio.run(check())
    try:
        playbook = load_playbook(settings.playbook_dir)
        return run(settings, playbook, args.persona, args.scenario, args.user)
    except (PlaybookError, ChatModelConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from app.needs import service as needs_service
    from app.playbook.errors import PlaybookError
    from app.playbook.loader import load_playbook
    from app.roleplay.models import PracticeSession

    require_database(settings)
    try:
        playbook = load_playbook(settings.playbook_dir)
    except PlaybookError as exc:
        print(f"error: {exc} (set SALESCOACH_PLAYBOOK_DIR)", file=sys.stderr)
        return 1

    async def work(db: object) -> str | None:
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.auth.models import User

        assert isinstance(db, AsyncSession)
        session = await db.get(PracticeSession, args.session_id)
        if session is None:
            return None
        rep = await db.get(User, session.rep_id)
        bundle = await needs_service.export_bundle(
            db, playbook, session, rep.username if rep else ""
        )
        return needs_service.render_export(bundle, args.format)[0]

    body = _run_db(settings, work)
    if body is None:
        print(f"error: no session {args.session_id!r}", file=sys.stderr)
        return 1
    sys.stdout.write(body if body.endswith("\n") else body + "\n")
    return 0


def cmd_labels_export(args: argparse.Namespace, settings: Settings) -> int:
    import yaml

    from app.review import labels

    async def work(db: object) -> dict[str, object]:
        from sqlalchemy.ext.asyncio import AsyncSession

        assert isinstance(db, AsyncSession)
        return await labels.export_batch(db, language=args.language)

    batch = _run_db(settings, work)
    text = yaml.safe_dump(batch, allow_unicode=True, sort_keys=False, width=100)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        count = len(batch["conversations"])  # type: ignore[arg-type]
        print(f"wrote {count} conversations with trainer labels to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _coach_rules(args: argparse.Namespace, settings: Settings) -> CoachRules:
    from app.playbook.coaching import load

    return load(Path(args.playbook) if args.playbook else settings.playbook_dir)


def cmd_coach_train(args: argparse.Namespace, settings: Settings) -> int:
    import importlib.util

    if importlib.util.find_spec("sklearn") is None:  # pragma: no cover - depends on the install
        print("error: training needs scikit-learn: pip install -e '.[train]'", file=sys.stderr)
        return 1
    from app.coach import train
    from app.coach.accuracy import table

    rules = _coach_rules(args, settings)
    data = Path(args.data)
    if args.cv or args.by_round:
        rows = train.cross_validate(data, rules, folds=args.cv, by_round=args.by_round)
        if args.misses:
            # Training data only (cross-validation never reads a holdout).
            for miss in (m for reader, f in rows if reader != "rules" for m in f.misses):
                print(miss, file=sys.stderr)
        print(table(rows))
        return 0
    model = train.train(data, rules)
    out = (
        Path(args.out)
        if args.out
        else (
            (Path(args.playbook) if args.playbook else settings.playbook_dir)
            / "coach"
            / rules.learning.model_file
        )
    )
    train.write(model, out)
    print(
        f"wrote {out}: {model.examples} rep turns from {', '.join(model.trained_on)}; "
        f"heads {', '.join(model.heads)}; {len(model.weights)} features"
    )
    return 0


def cmd_coach_accuracy(args: argparse.Namespace, settings: Settings) -> int:
    from app.coach import accuracy

    rules = _coach_rules(args, settings)
    readers = [("rules", rules.model_copy(update={"learned": None}))]
    if rules.learned is not None:
        readers.append(("rules + learned", rules))
    sections: dict[bool, list[tuple[str, accuracy.Figures]]] = {True: [], False: []}
    for batch in accuracy.batches(Path(args.data)):
        if args.batch and batch.name not in args.batch:
            continue
        for name, r in readers:
            figures = accuracy.measure(batch, r)
            sections[batch.tuned_on].append((name, figures))
            if args.misses and name == readers[-1][0]:
                # Only tuned-on batches list their misses; blind ones print figures alone.
                for miss in figures.misses:
                    print(miss, file=sys.stderr)
    titles = {True: "tuned on (training data)", False: "never tuned on (holdout): figures only"}
    print(
        "\n\n".join(
            f"{titles[tuned]}\n\n{accuracy.table(rows)}" for tuned, rows in sections.items() if rows
        )
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="salescoach", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API and web UI (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    user = sub.add_parser("user", help="user commands").add_subparsers(
        dest="user_cmd", required=True
    )
    add = user.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--role", choices=["rep", "trainer", "admin"], required=True)
    add.add_argument("--team")
    add.set_defaults(func=cmd_user_add)
    set_password = user.add_parser(
        "set-password", help="new password (SALESCOACH_PASSWORD or prompted); revokes sessions"
    )
    set_password.add_argument("name")
    set_password.set_defaults(func=cmd_user_set_password)
    disable = user.add_parser("disable", help="the user can no longer sign in; revokes sessions")
    disable.add_argument("name")
    disable.set_defaults(func=cmd_user_disable)
    enable = user.add_parser("enable", help="let a disabled user sign in again")
    enable.add_argument("name")
    enable.set_defaults(func=cmd_user_enable)

    practice = sub.add_parser("practice", help="role-play in the terminal")
    practice.add_argument("--persona", required=True)
    practice.add_argument("--scenario", choices=["cold_call", "discovery"], default="discovery")
    practice.add_argument("--user", help="who practises (default: the only rep)")
    practice.set_defaults(func=cmd_practice)

    export = sub.add_parser("export", help="print a session's transcript and records")
    export.add_argument("session_id")
    export.add_argument("--format", choices=["json", "markdown", "csv"], default="json")
    export.set_defaults(func=cmd_export)

    lab = sub.add_parser("labels", help="trainer labels").add_subparsers(
        dest="labels_cmd", required=True
    )
    lab_export = lab.add_parser(
        "export", help="trainers' corrections in the data/labelled/ conversation format"
    )
    lab_export.add_argument("--language", choices=["zh", "en"])
    lab_export.add_argument("--out", help="write to this file instead of standard output")
    lab_export.set_defaults(func=cmd_labels_export)

    coach = sub.add_parser("coach", help="the coach's learned layer").add_subparsers(
        dest="coach_cmd", required=True
    )
    for name, helptext, func in (
        ("train", "fit the learned layer to data/labelled/ and write its model", cmd_coach_train),
        (
            "accuracy",
            "figures per labelled batch, rules alone and with the model",
            cmd_coach_accuracy,
        ),
    ):
        cmd = coach.add_parser(name, help=helptext)
        cmd.add_argument("--data", default="data/labelled", help="the labelled set")
        cmd.add_argument("--playbook", help="playbook folder (default: SALESCOACH_PLAYBOOK_DIR)")
        cmd.set_defaults(func=func)
        if name == "train":
            cmd.add_argument("--out", help="model file (default: beside learned.yaml)")
            cmd.add_argument("--cv", type=int, help="cross-validate in N folds instead, print")
            cmd.add_argument(
                "--by-round",
                action="store_true",
                help="with --cv: one fold per labelling round (conv_<round>_<lang>)",
            )
        else:
            cmd.add_argument("--batch", action="append", help="only this batch (repeatable)")
        cmd.add_argument("--misses", action="store_true", help="list misses of tuned-on batches")

    pb = sub.add_parser("playbook", help="playbook commands").add_subparsers(
        dest="pb_cmd", required=True
    )
    check = pb.add_parser("check", help="validate playbook files")
    check.add_argument("dir", nargs="?")
    check.set_defaults(func=cmd_playbook_check)
    return p


def main(argv: list[str] | None = None) -> int:
    from app.db import describe_unavailable, unavailable

    args = parser().parse_args(argv)
    func: Command = args.func
    settings = get_settings()
    try:
        return func(args, settings)
    except NoDatabase as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if not unavailable(exc):
            raise
        print(f"error: {describe_unavailable(settings.async_database_url, exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
