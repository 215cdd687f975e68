"""Settings, read from the environment (prefix ``SURVEY_APP_``) once per process."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from survey_app.db import MAX_OVERFLOW, POOL_SIZE
from survey_app.resources import QUESTIONNAIRES_DIR, TEMPLATES_DIR

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Files and folders Innspill creates are its own: the database, the secret key and invitation links are
# credentials and answers, not for other accounts on the machine (0600 files, 0700 folders).
PRIVATE_UMASK = 0o077
# Allowed besides the public address outside production, so a developer's browser and local tools work.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# A host name, a *.domain wildcard (Starlette's TrustedHostMiddleware), or a bracketed IPv6 address.
_HOST_PATTERN = re.compile(r"(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\]")
# The roles a provider's claim may map to (models.Role's values; not imported, to keep settings leaf-level).
OIDC_ROLES = ("admin", "radgiver", "leser")


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
    # In the checkout, or inside the installed package (survey_app/resources.py).
    templates_dir: Path = TEMPLATES_DIR
    questionnaires_dir: Path = QUESTIONNAIRES_DIR
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
    # Host names requests may carry (comma-separated); empty: base_url's host, and outside production also
    # 127.0.0.1 and localhost. Links and redirects are built from the Host header, so no other may pass.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Reverse proxies (comma-separated IPs or CIDRs) whose X-Forwarded-For/-Proto `survey-app serve`
    # believes; empty: none, so no one can claim another client address to the login throttle.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Sign-in through the county's own identity provider (OpenID Connect; services/oidc.py). Off while no
    # issuer is set. The issuer is the provider's own identifier: its discovery document is read from
    # ISSUER/.well-known/openid-configuration, and every ID token must name it.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid email profile"
    # The claim that holds the e-mail address staff users are known by in Innspill (Entra ID often sends
    # it as `preferred_username` or `upn` rather than `email`).
    oidc_email_claim: str = "email"
    # A claim with the person's groups or roles (e.g. `groups`, `roles`), and which of its values give which
    # role in Innspill: "innspill-admin=admin,innspill-radgiver=radgiver,innspill-leser=leser". Set, the
    # provider decides everyone's role at every sign-in, and a person it gives no role is refused.
    oidc_role_claim: str | None = None
    oidc_role_map: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # A person the provider vouches for but Innspill does not know: refused (False), or given an account.
    oidc_create_unknown_as_leser: bool = False
    # Off: the password form is gone and only the identity provider signs staff in.
    password_login: bool = True

    @field_validator("allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str]) -> list[str]:
        hosts = [h.strip().lower() for h in hosts]
        for host in hosts:
            if not _HOST_PATTERN.fullmatch(host):
                raise ValueError(
                    f"SURVEY_APP_ALLOWED_HOSTS: {host!r} is not a host name; give names only, without scheme, "
                    "port or path (e.g. innspill.fylke.no,*.fylke.no)"
                )
        return hosts

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"SURVEY_APP_TRUSTED_PROXIES: {proxy!r} is not an IP address or a network "
                    "(e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return proxies

    @field_validator("oidc_role_map", mode="before")
    @classmethod
    def _role_pairs(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            group, sep, role = item.rpartition("=")
            if not sep or not group.strip():
                raise ValueError(
                    f"SURVEY_APP_OIDC_ROLE_MAP: {item.strip()!r} is not value=role "
                    "(e.g. innspill-admin=admin,innspill-radgiver=radgiver)"
                )
            pairs[group.strip()] = role.strip()
        return pairs

    @field_validator("oidc_role_map")
    @classmethod
    def _known_roles(cls, pairs: dict[str, str]) -> dict[str, str]:
        for group, role in pairs.items():
            if role not in OIDC_ROLES:
                raise ValueError(
                    f"SURVEY_APP_OIDC_ROLE_MAP: {group}={role}: the role must be one of {', '.join(OIDC_ROLES)}"
                )
        return pairs

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if not self.oidc_issuer:
            if not self.password_login:
                raise ValueError(
                    "SURVEY_APP_PASSWORD_LOGIN=false needs SURVEY_APP_OIDC_ISSUER: otherwise no one can sign in"
                )
            return self
        issuer = urlsplit(self.oidc_issuer)
        if issuer.scheme not in ("https", "http") or not issuer.hostname or issuer.query or issuer.fragment:
            raise ValueError(
                f"SURVEY_APP_OIDC_ISSUER: {self.oidc_issuer!r} is not an issuer URL "
                "(e.g. https://login.microsoftonline.com/<tenant>/v2.0)"
            )
        # Outside production a provider on this machine may speak plain http (a developer's, the tests');
        # anything else carries tokens and must use https.
        local = issuer.hostname in ("127.0.0.1", "localhost", "::1")
        if issuer.scheme != "https" and (self.environment == "production" or not local):
            raise ValueError("SURVEY_APP_OIDC_ISSUER must be an https:// URL")
        if not self.oidc_client_id or not self.oidc_client_secret:
            raise ValueError(
                "SURVEY_APP_OIDC_CLIENT_ID and SURVEY_APP_OIDC_CLIENT_SECRET must be set with SURVEY_APP_OIDC_ISSUER"
            )
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("SURVEY_APP_OIDC_SCOPES must include openid")
        if not self.oidc_email_claim.strip():
            raise ValueError("SURVEY_APP_OIDC_EMAIL_CLAIM must name a claim (e.g. email)")
        if bool(self.oidc_role_claim) != bool(self.oidc_role_map):
            raise ValueError(
                "SURVEY_APP_OIDC_ROLE_CLAIM and SURVEY_APP_OIDC_ROLE_MAP go together: set both or neither"
            )
        return self

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
    def host_patterns(self) -> list[str]:
        """The Host header values a request may carry (for Starlette's TrustedHostMiddleware)."""
        if self.allowed_hosts:
            return self.allowed_hosts
        host = urlsplit(self.base_url).hostname or "localhost"
        hosts = [f"[{host}]" if ":" in host else host]
        if self.environment != "production":
            hosts += [h for h in LOCAL_HOSTS if h not in hosts]
        return hosts

    @property
    def oidc_enabled(self) -> bool:
        """Whether staff may sign in through the county's identity provider."""
        return bool(self.oidc_issuer)

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
            self.ensure_data_dir()
            # Written whole to a private file first, then linked into place: another process never reads
            # a half-written key, and the first of two racing processes wins.
            fd, partial = tempfile.mkstemp(prefix=".secret_key.", dir=self.data_dir)
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
                os.link(partial, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(partial)
        return path.read_text().strip()

    def ensure_data_dir(self) -> Path:
        """The data dir, made private (0700) if it does not exist yet."""
        if not self.data_dir.is_dir():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.data_dir


def use_private_file_modes() -> None:
    """From now on, files this process creates are 0600 and folders 0700 (the umask, set once at start).

    SQLite creates its -wal and -shm files with the database's own mode, so they follow.
    """
    os.umask(PRIVATE_UMASK)


@lru_cache
def get_settings() -> Settings:
    return Settings()
