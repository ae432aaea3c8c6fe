"""Schemathesis against a running server, on SQLite and on PostgreSQL, bounded in time.

Every API operation of the OpenAPI document gets generated valid and invalid requests (as an
admin, who may call everything); no answer may be a 500, and every status code must be one the
document lists for that route. The seed is fixed and the run has a time budget, so CI neither
flakes nor grows long: a minute of fuzzing per database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, Account
from tests.roleplay.test_multiprocess import free_port

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
# Signing out or changing the password would revoke the token the rest of the run uses.
REVOKING = "^/api/v1/auth/(logout|password)$"


@pytest.fixture
def server(db_url: str, client: httpx.AsyncClient) -> Iterator[str]:
    """The app under uvicorn on the test database (the `client` fixture empties it after)."""
    env = {
        **os.environ,
        "SALESCOACH_DATABASE_URL": db_url,
        "SALESCOACH_SECRET_KEY": TEST_SECRET,
        "SALESCOACH_ENVIRONMENT": "test",
        "SALESCOACH_LLM": "scripted",
    }
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_no_generated_request_gives_a_500_or_an_undocumented_code(
    server: str, admin: Account, tmp_path: Path
) -> None:
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--no-color",
            "run",
            f"{server}/openapi.json",
            "--checks",
            CHECKS,
            "--exclude-path-regex",
            REVOKING,
            "--header",
            f"Authorization: Bearer {admin.token}",
            "--max-examples",
            "25",
            "--max-time",
            "60",
            "--seed",
            "20261130",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
