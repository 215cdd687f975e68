"""Staff sign-in through the county's own identity provider (OpenID Connect), with Authlib.

``begin`` sends the browser to the provider (authorization code flow with PKCE S256, ``state`` and ``nonce``;
what the callback needs to check them is kept in the signed session cookie, for this one browser). ``finish``
takes the provider's answer: the state must be the one this browser was given and unused, the code is
exchanged at the token endpoint (with the client secret and the PKCE verifier), and the ID token is checked
against the provider's discovery document and keys (signature, issuer, audience, expiry, nonce). ``sign_in``
decides who that person is in Innspill: a known, active user by e-mail, with the role the provider's claim
maps to when the county maps roles; an unknown one is refused or, where the county allows it, created.

Every outcome is audited: ``login.oidc``, ``login.oidc_refused`` (a verified person Innspill does not let
in) and ``login.oidc_error`` (the flow itself failed). Errors::

    FlowError    the flow failed (provider error, unknown/reused state, unreachable provider, bad ID token)
    Refused      the provider vouched for the person, and Innspill says no (unknown, deactivated, no role)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from authlib.integrations.base_client import MismatchingStateError, OAuthError  # type: ignore[import-untyped]
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from joserfc.errors import JoseError
from sqlmodel import Session
from starlette.responses import Response

from survey_app import audit
from survey_app.config import Settings
from survey_app.db import begin_write
from survey_app.models import Role, StaffUser, utcnow
from survey_app.services import users

log = logging.getLogger(__name__)

NAME = "fylket"  # Authlib's name for the provider: its state keys in the session are _state_fylket_…
# Keys of the signed session cookie besides the app's own (deps.py).
NEXT_KEY = "oidc_neste"  # where to go after signing in
ID_TOKEN_KEY = "oidc_id_token"  # the ID token, for the provider's logout (id_token_hint)
LOGOUT_KEY = "oidc_utlogging"  # signed out of Innspill: the ID token until the provider's logout is followed
# How long Innspill waits for the provider; a person is waiting on the other side.
TIMEOUT_SECONDS = 10
# The strongest role wins when a person's groups map to several.
_RANK = {Role.leser: 0, Role.radgiver: 1, Role.admin: 2}

# What the person is told, by what went wrong. Never the provider's own words: they may be English, or
# say more than a login page should.
REFUSALS = {
    "unknown": "Du er ikke registrert som bruker i Innspill. Be en administrator i fylkeskommunen om tilgang.",
    "inactive": "Brukeren din i Innspill er deaktivert. Be en administrator i fylkeskommunen om tilgang.",
    "no_role": "Kontoen din i fylket gir ingen rolle i Innspill. Be fylkets IT-avdeling om tilgang.",
    "no_email": "Fylkets identitetsleverandør oppga ingen e-postadresse for kontoen din, så Innspill vet ikke "
    "hvem du er. Kontakt fylkets IT-avdeling.",
    "email_unverified": "Fylkets identitetsleverandør har ikke bekreftet e-postadressen til kontoen din. "
    "Kontakt fylkets IT-avdeling.",
    "last_admin": "Kontoen din i fylket gir deg ikke lenger rollen administrator, men du er den siste aktive "
    "administratoren i Innspill. Gi en annen bruker rollen administrator først.",
}
ERRORS = {
    "access_denied": "Innloggingen hos fylket ble avbrutt eller avvist. Prøv igjen.",
    "provider_error": "Fylkets identitetsleverandør kunne ikke logge deg inn. Prøv igjen; skjer det igjen, "
    "kontakt fylkets IT-avdeling.",
    "state": "Innloggingen var utløpt eller allerede brukt. Prøv å logge inn på nytt.",
    "unreachable": "Fylkets identitetsleverandør svarer ikke akkurat nå. Prøv igjen om litt.",
    "invalid_response": "Svaret fra fylkets identitetsleverandør kunne ikke bekreftes, så du er ikke logget "
    "inn. Prøv igjen; skjer det igjen, kontakt fylkets IT-avdeling.",
}


class FlowError(Exception):
    """The sign-in flow failed before anyone was identified; ``code`` keys ``ERRORS``."""

    def __init__(self, code: str, detail: str = "", *, status: int = 400) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.status = code, detail[:300], status
        self.message = ERRORS[code]


class Refused(Exception):
    """A person the provider vouched for, whom Innspill does not let in; ``reason`` keys ``REFUSALS``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = REFUSALS[reason]


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, from the checked ID token (and its userinfo endpoint)."""

    issuer: str
    subject: str
    email: str
    name: str = ""
    email_verified: bool | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)

    def details(self) -> dict[str, object]:
        """What the audit log keeps about the sign-in: the provider's stable id for the person, not just the
        e-mail (which a county can reassign)."""
        return {"issuer": self.issuer, "sub": self.subject, "email": self.email}


# --- the flow (Authlib) ------------------------------------------------------------------------------------


def client(app: FastAPI) -> StarletteOAuth2App:
    """The app's provider client: made once, so the discovery document and keys are fetched once (Authlib
    fetches the keys again when a token names one it does not have: the provider rotated them)."""
    existing: StarletteOAuth2App | None = getattr(app.state, "oidc_client", None)
    if existing is not None:
        return existing
    settings: Settings = app.state.settings
    assert settings.oidc_issuer is not None
    oauth = OAuth()
    made: StarletteOAuth2App = oauth.register(
        NAME,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings.oidc_scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "timeout": TIMEOUT_SECONDS,
        },
    )
    app.state.oidc_client = made
    return made


async def _metadata(provider: StarletteOAuth2App, settings: Settings) -> dict[str, Any]:
    try:
        metadata: dict[str, Any] = await provider.load_server_metadata()
    except (httpx2.HTTPError, ValueError) as exc:
        raise FlowError("unreachable", f"discovery: {exc}", status=502) from None
    # The document must be the configured issuer's own (OpenID Connect Discovery §4.3): ID tokens are
    # checked against the issuer it names.
    assert settings.oidc_issuer is not None
    if str(metadata.get("issuer", "")).rstrip("/") != settings.oidc_issuer.rstrip("/"):
        provider.server_metadata.pop("_loaded_at", None)  # read it again next time
        raise FlowError("invalid_response", f"discovery names issuer {metadata.get('issuer')!r}", status=502)
    return metadata


async def begin(request: Request, *, settings: Settings, redirect_uri: str) -> Response:
    """The redirect to the provider's login, with a new state, nonce and PKCE verifier for this browser."""
    provider = client(request.app)
    await _metadata(provider, settings)
    try:
        response: Response = await provider.authorize_redirect(request, redirect_uri)
    except httpx2.HTTPError as exc:
        raise FlowError("unreachable", str(exc), status=502) from None
    return response


async def finish(request: Request, *, settings: Settings) -> tuple[Identity, str]:
    """The person the provider's answer names, and the ID token (kept for logout). Raises ``FlowError``."""
    provider = client(request.app)
    query = request.query_params
    if error := query.get("error"):
        # Checked before the state, and the state is left as it was: the person may simply try again.
        code = "access_denied" if error == "access_denied" else "provider_error"
        raise FlowError(code, f"{error}: {query.get('error_description', '')}")
    metadata = await _metadata(provider, settings)
    # RFC 9207: an answer that names another issuer came from another provider (a mix-up attack).
    if "iss" in query and query["iss"] != metadata["issuer"]:
        raise FlowError("invalid_response", f"callback names issuer {query['iss']!r}")
    try:
        token: dict[str, Any] = await provider.authorize_access_token(request)
    except MismatchingStateError:
        raise FlowError("state", "unknown, expired or already used state") from None
    except httpx2.TransportError as exc:
        raise FlowError("unreachable", f"token endpoint: {exc}", status=502) from None
    except (OAuthError, AuthlibBaseError, JoseError, httpx2.HTTPError, ValueError, KeyError) as exc:
        # A refused code, a bad signature, a wrong issuer, audience or nonce, an expired token …
        raise FlowError("invalid_response", f"{type(exc).__name__}: {exc}", status=502) from None
    id_token = token.get("id_token")
    claims = token.get("userinfo")
    if not isinstance(id_token, str) or not isinstance(claims, Mapping):
        raise FlowError("invalid_response", "no ID token in the token response", status=502)
    claims = dict(claims)
    if _missing(claims, settings) and metadata.get("userinfo_endpoint"):
        # Many providers put only the subject in the ID token and the rest behind the userinfo endpoint.
        try:
            more = await provider.userinfo(token=token)
        except (AuthlibBaseError, httpx2.HTTPError, ValueError) as exc:
            raise FlowError("invalid_response", f"userinfo: {exc}", status=502) from None
        if more.get("sub") != claims.get("sub"):  # OpenID Connect Core §5.3.4
            raise FlowError("invalid_response", "userinfo names another subject", status=502)
        claims = {**more, **claims}  # the signed ID token wins
    return identity_of(claims, settings=settings, issuer=str(metadata["issuer"])), id_token


def _missing(claims: Mapping[str, Any], settings: Settings) -> bool:
    wanted = [settings.oidc_email_claim, *([settings.oidc_role_claim] if settings.oidc_role_claim else [])]
    return any(name not in claims for name in wanted)


def identity_of(claims: Mapping[str, Any], *, settings: Settings, issuer: str) -> Identity:
    """The person the checked claims describe, by the configured e-mail and role claims."""
    email = claims.get(settings.oidc_email_claim)
    verified = claims.get("email_verified")
    values: object = claims.get(settings.oidc_role_claim) if settings.oidc_role_claim else None
    if isinstance(values, str):
        values = values.split()  # a space-separated claim, as some providers send roles
    groups = tuple(str(v) for v in values) if isinstance(values, list) else ()
    return Identity(
        issuer=issuer,
        subject=str(claims.get("sub", "")),
        email=users.normalise_email(email) if isinstance(email, str) else "",
        name=str(claims.get("name") or ""),
        email_verified=verified if isinstance(verified, bool) else None,
        groups=groups,
    )


def role_for(groups: tuple[str, ...], role_map: Mapping[str, str]) -> Role | None:
    """The role a person's groups give (the strongest, if several), or None when none is mapped."""
    roles = [Role(role_map[g]) for g in groups if g in role_map]
    return max(roles, key=_RANK.__getitem__) if roles else None


async def end_session_url(
    request: Request, *, settings: Settings, id_token: str, post_logout_redirect_uri: str
) -> str | None:
    """The provider's logout (RP-initiated logout) for this ID token, if the provider offers one."""
    provider = client(request.app)
    try:
        metadata = await _metadata(provider, settings)
        if not metadata.get("end_session_endpoint"):
            return None
        made = await provider.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token
        )
    except FlowError as exc:
        log.warning("the identity provider's logout is not offered: %s", exc)
        return None
    url: str = made["url"]
    return url


# --- who that is in Innspill -------------------------------------------------------------------------------


def sign_in(session: Session, *, identity: Identity, settings: Settings, address: str) -> StaffUser:
    """The Innspill user the provider signed in, with the role its claim maps to; the sign-in is audited.

    Raises ``Refused`` (audited as ``login.oidc_refused``) for a person without an e-mail, an unknown one
    (unless the county creates them as ``leser``), a deactivated one, or one whose groups map to no role.
    """
    begin_write(session)
    details = {**identity.details(), "address": address}
    user = users.by_email(session, identity.email) if identity.email else None

    def refuse(reason: str) -> Refused:
        session.rollback()
        begin_write(session)
        audit.record(
            session,
            actor=audit.staff_actor(user) if user is not None else f"anonym:{address}",
            action="login.oidc_refused",
            object_type="staff_user",
            object_id=user.id if user is not None else "",
            details={**details, "reason": reason},
        )
        session.commit()
        return Refused(reason)

    if not identity.email or "@" not in identity.email:
        raise refuse("no_email")
    if identity.email_verified is False:
        raise refuse("email_unverified")
    if user is not None and not user.is_active:
        raise refuse("inactive")
    role: Role | None = None
    if settings.oidc_role_map:
        role = role_for(identity.groups, settings.oidc_role_map)
        if role is None:
            raise refuse("no_role")
    source: dict[str, object] = {"source": "oidc", "issuer": identity.issuer, "sub": identity.subject}
    if user is None:
        if not settings.oidc_create_unknown_as_leser:
            raise refuse("unknown")
        user = users.create_from_provider(
            session, email=identity.email, full_name=identity.name, role=role or Role.leser, details=source
        )
    elif role is not None:
        try:
            users.set_role_from_provider(session, user=user, role=role, details=source)
        except users.UserError:
            raise refuse("last_admin") from None
    user.last_login_at = utcnow()
    session.add(user)
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="login.oidc",
        object_type="staff_user",
        object_id=user.id,
        details=details,
    )
    session.commit()
    return user


def record_error(session: Session, *, error: FlowError, address: str) -> None:
    """Audit a failed flow (``login.oidc_error``): what went wrong, in the provider's or Authlib's words."""
    log.warning("sign-in through the identity provider failed: %s", error)
    begin_write(session)
    audit.record(
        session,
        actor=f"anonym:{address}",
        action="login.oidc_error",
        details={"error": error.code, "detail": error.detail, "address": address},
    )
    session.commit()
