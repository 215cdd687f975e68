"""Settings, read from the environment (prefix ``SURVEY_APP_``) once per process."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from survey_app.db import MAX_OVERFLOW, POOL_SIZE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything that differs between a laptop, a test run and a county's server."""

    model_config = SettingsConfigDict(env_prefix="SURVEY_APP_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    # DATABASE_URL is the conventional name; SURVEY_APP_DATABASE_URL works too.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SURVEY_APP_DATABASE_URL")
    )
    # PostgreSQL connections each worker process keeps open, and how many more it may open at its busiest.
    # The app lets at most the sum of the two requests use the database at once per worker, so no request
    # waits for a connection (keep workers x the sum below PostgreSQL's max_connections, 100 by default).
    database_pool_size: int = Field(default=POOL_SIZE, ge=1)
    database_max_overflow: int = Field(default=MAX_OVERFLOW, ge=0)
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    county_name: str = "Viken fylkeskommune"
    templates_dir: Path = PROJECT_ROOT / "templates"
    questionnaires_dir: Path = PROJECT_ROOT / "questionnaires"
    invitation_days: int = 120
    session_max_age_seconds: int = 8 * 3600
    secure_cookies: bool = False
    # E-mail is optional: without a host and a sender, the app offers invitation links as CSV instead.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str | None = None
    # Bench-only endpoints (survey_app/routes/bench.py) for `make bench`'s ceilings; never in production.
    bench_routes: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if not self.secret_key or len(self.secret_key) < 32:
                raise ValueError("SURVEY_APP_SECRET_KEY must be set to at least 32 characters in production")
            if not self.database_url:
                raise ValueError("DATABASE_URL must be set in production")
            if self.bench_routes:
                raise ValueError(
                    "SURVEY_APP_BENCH_ROUTES is for benchmarks only and must be off in production"
                )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the plain postgres:// form that hosting platforms hand out.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'innspill.sqlite3').resolve()}"

    @property
    def database_slots(self) -> int | None:
        """How many requests of one process may use the database at once (None: no limit, SQLite)."""
        if self.sqlalchemy_url.startswith("sqlite"):
            return None
        return self.database_pool_size + self.database_max_overflow

    def resolved_secret_key(self) -> str:
        """The signing key; outside production one is created once per data dir and kept there.

        Keeping it in a file (not in memory) is what lets several worker processes share sessions.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
