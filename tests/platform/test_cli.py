"""The console script: db upgrade, user add, playbook check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import os

    values = {
        **os.environ,
        "SALESCOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SALESCOACH_PASSWORD": "s3cret-pw",
    }
    return values


def test_db_upgrade_then_user_add_and_duplicate(env: dict[str, str]) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    first = run(["user", "add", "sam", "--role", "trainer", "--team", "north"], env)
    assert first.returncode == 0 and "sam" in first.stdout
    again = run(["user", "add", "sam", "--role", "rep"], env)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "s3cret-pw" not in first.stdout + first.stderr + again.stdout + again.stderr


def test_playbook_check_ok_and_error_names_file_and_field(
    tmp_path: Path, playbook_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["playbook", "check", str(playbook_dir)]) == 0
    broken = tmp_path / "playbook"
    shutil.copytree(playbook_dir, broken)
    persona = next((broken / "personas").glob("*.yaml"))
    persona.write_text(
        persona.read_text(encoding="utf-8").replace("personality: ", "personality: grumpy #"),
        encoding="utf-8",
    )
    assert main(["playbook", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert persona.name in err and "personality" in err


def test_user_add_without_a_password_source_exits_1(env: dict[str, str]) -> None:
    del env["SALESCOACH_PASSWORD"]
    assert run(["db", "upgrade"], env).returncode == 0
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "user", "add", "kim", "--role", "rep"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1 and "SALESCOACH_PASSWORD" in result.stderr


def test_serve_runs_uvicorn_on_uvloop_and_httptools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from app.config import get_settings

    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options, app=app))
    monkeypatch.setenv("SALESCOACH_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("SALESCOACH_LLM", "scripted")
    get_settings.cache_clear()
    try:
        assert main(["serve", "--port", "8123"]) == 0
    finally:
        get_settings.cache_clear()
    assert served["app"] == "app.main:create_app" and served["port"] == 8123
    assert served["loop"] == "uvloop" and served["http"] == "httptools"
    assert "created rep account" in capsys.readouterr().out


def test_export_without_a_database_says_so_in_one_line_and_creates_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run(["export", "no-such-session"], env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no database" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.db").exists()
    practice = run(["practice", "--persona", "karen-education"], env)
    assert practice.returncode == 1 and "no database" in practice.stderr
    assert not (tmp_path / "cli.db").exists()


def test_terminal_practice_stores_a_session_that_export_prints(env: dict[str, str]) -> None:
    assert run(["db", "upgrade"], env).returncode == 0
    assert run(["user", "add", "rita", "--role", "rep"], env).returncode == 0
    talk = "Hi Karen, how has the school year started?\nHow do you track the laptops today?\n"
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "practice", "--persona", "karen-education"],
        env=env,
        input=talk + "/finish\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "needs_work" not in result.stdout
    session_id = result.stdout.rsplit("salescoach export ", 1)[1].split()[0]
    exported = run(["export", session_id, "--format", "markdown"], env)
    assert exported.returncode == 0, exported.stderr
    assert "How do you track the laptops today?" in exported.stdout
    unknown = run(["practice", "--persona", "karen-education", "--user", "nobody"], env)
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
