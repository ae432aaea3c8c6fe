"""Settings from the environment (and an optional .env); see the README for every variable."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-insecure-secret-change-me-before-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="SALESCOACH_")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./salescoach.db"
    secret_key: str = DEV_SECRET
    token_minutes: int = 12 * 60
    llm: str = "scripted"
    llm_timeout: float = 30.0
    llm_max_retries: int = 2
    llm_history_turns: int = 12
    playbook_dir: Path = ROOT / "playbook"
    prompts_dir: Path = ROOT / "prompts"
    max_body_bytes: int = 256 * 1024
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed ("*" for any, "" none).
    trusted_proxies: str = "127.0.0.1"
    # Mark cookies Secure even when the request looks like plain HTTP (TLS ends before a proxy
    # that sends no X-Forwarded-Proto).
    secure_cookies: bool = False
    # PostgreSQL connection pool per server process (a turn holds at most one connection, and
    # none while the model answers); a request waits `db_pool_timeout` seconds at most.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    # Sign-in throttling: failures allowed per user and per client address within the window.
    login_user_failures: int = 5
    login_address_failures: int = 20
    login_window_seconds: int = 15 * 60
    # Read without the SALESCOACH_ prefix, as every OpenAI client does.
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.secret_key == DEV_SECRET and self.environment == "production":
            raise ValueError("SALESCOACH_SECRET_KEY must be set to a random value in production")
        return self

    @property
    def lease_seconds(self) -> float:
        """How long a turn or a finish may keep its session across a model call before another
        may take it over (a process that died mid-turn): every attempt's timeout, plus slack."""
        return self.llm_timeout * (self.llm_max_retries + 1) + 10

    @property
    def async_database_url(self) -> str:
        """The URL with an async driver, so sync spellings (sqlite:///, postgresql://) work too."""
        url = self.database_url
        for sync, async_ in (
            ("sqlite://", "sqlite+aiosqlite://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ):
            if url.startswith(sync):
                return async_ + url[len(sync) :]
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()


def generate_password() -> str:
    return secrets.token_urlsafe(12)
