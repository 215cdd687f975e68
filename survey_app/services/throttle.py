"""Login throttling: after too many failed logins, further tries are refused for a while.

Three limits, each counting failures within the last ``WINDOW``:

- ``PAIR_LIMIT`` failures for one account from one address: that address may not try that account again.
  The account's owner, anywhere else, is not affected.
- ``ACCOUNT_LIMIT`` failures for one account from all addresses together: the account is locked for
  everyone. It takes a guessing attack spread over at least ``ACCOUNT_LIMIT / PAIR_LIMIT`` addresses.
- ``ADDRESS_LIMIT`` failures from one address, whatever the accounts: a guesser trying many accounts.

Why not lock an account for everyone after a few failures from anywhere (as before): then anyone who knows
a colleague's e-mail address could keep them out of Innspill, fifteen minutes at a time, from one
browser. With the limits above, one address can lock an account only for itself, and a guesser gets at
most ``PAIR_LIMIT`` tries per address and ``ACCOUNT_LIMIT`` per account each ``WINDOW`` (4,800 a day)
against passwords that are not common (``survey_app.passwords``). Someone with ten or more addresses
(networks, for IPv6) can still lock an account for everyone; an administrator sees that on the users page
and can unlock it.

A refused try is not checked at all, so the right password does not get through either, until the window
has passed. A success clears the account's own count, and its count from the address it came from: the
owner logging in does not reopen an address that has been locked out of the account. An address's own
count is left alone, so a guesser who owns one account cannot clear it between guesses. An administrator's
«Lås opp» (``unlock``) clears all of an account's counts: it is stored as a succeeded attempt from the
address ``UNLOCKED``; the address limit stays.

The attempts live in the database (``login_attempt``), not in a process, so every worker sees the same
count. What was typed as the e-mail is kept there (a day) only when it is an account's address; anything
else, perhaps a password typed in the wrong field, only as a hash (``_key``), so unknown and known
accounts are throttled alike and nothing typed is stored. The address is the client's as the ASGI server
reports it (``request.client.host``); an IPv6 address counts by its /64 network, all of which one machine
can use. Behind a reverse proxy that is the proxy's address unless ``SURVEY_APP_TRUSTED_PROXIES`` names the
proxy (``survey-app serve`` then believes its ``X-Forwarded-For``); without that, all users share one address
and its limit.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import LoginAttempt, LoginOutcome, StaffUser, utcnow
from survey_app.security import token_hash
from survey_app.services import users

PAIR_LIMIT = 5
ACCOUNT_LIMIT = 50
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
# Long enough for any window; the audit log is the lasting record.
KEEP = timedelta(days=1)
# The address of an administrator's unlock in ``login_attempt``; no client has it.
UNLOCKED = "opplåst"
IPV6_PREFIX = 64

# No e-mail address has these; PostgreSQL cannot store NUL in text at all.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class LoginResult:
    """The user when the password was right; ``wait`` when the try was refused without checking it."""

    user: StaffUser | None
    wait: timedelta | None = None


@dataclass(frozen=True)
class Lock:
    """An account that cannot be logged in to now: for everyone, or from some addresses; until when."""

    everywhere: bool
    addresses: int
    until: datetime


def login(
    session: Session, *, email: str, password: str, address: str, now: datetime | None = None
) -> LoginResult:
    """Check a staff login unless the account or the address has failed too often within ``WINDOW``.

    Every try is recorded; failures are audited by ``users.authenticate`` (``login.failed``), and the
    first refused try of a lock-out as ``login.throttled``.
    """
    # Replaced, not removed: "admin@x\0" must not become someone's real address.
    email = _UNPRINTABLE.sub("\ufffd", email)
    account = users.by_email(session, email[:320])
    return _attempt(
        session,
        key=_key(email, account),
        account=account,
        address=_network(address),
        now=now or utcnow(),
        check=lambda: users.authenticate(session, email=email, password=password, address=address[:100]),
    )


def check_password(
    session: Session, *, user: StaffUser, password: str, address: str, now: datetime | None = None
) -> LoginResult:
    """Check a signed-in user's own password (asked before it is changed) under the same limits as the
    login, so a session left open is no way round them: ``user`` when it is right."""
    return _attempt(
        session,
        key=_key(user.email, user),
        account=user,
        address=_network(address),
        now=now or utcnow(),
        check=lambda: (
            user
            if users.check_password(session, user=user, password=password, address=address[:100])
            else None
        ),
    )


def unlock(session: Session, *, user: StaffUser, actor: str, now: datetime | None = None) -> None:
    """Let an account be tried again from everywhere at once (the address limit stays); audited."""
    _begin(session)
    session.add(
        LoginAttempt(at=now or utcnow(), email=user.email, address=UNLOCKED, outcome=LoginOutcome.succeeded)
    )
    audit.record(
        session,
        actor=actor,
        action="user.unlock",
        object_type="staff_user",
        object_id=user.id,
        details={"email": user.email},
    )
    session.commit()


def locks(session: Session, *, emails: list[str], now: datetime | None = None) -> dict[str, Lock]:
    """The accounts among ``emails`` that are locked now, for everyone or from some addresses."""
    now = now or utcnow()
    # A success before the window only ever cleared failures that are outside it too: the window is enough.
    rows = session.exec(
        select(LoginAttempt.email, LoginAttempt.address, LoginAttempt.outcome, LoginAttempt.at)
        .where(
            col(LoginAttempt.email).in_(emails),
            col(LoginAttempt.outcome).in_([LoginOutcome.failed, LoginOutcome.succeeded]),
            col(LoginAttempt.at) > now - WINDOW,
        )
        .order_by(col(LoginAttempt.id))
    )
    account: dict[str, list[datetime]] = defaultdict(list)
    pairs: dict[str, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for email, address, outcome, at in rows:
        if outcome == LoginOutcome.failed:
            account[email].append(at)
            pairs[email][address].append(at)
        elif address == UNLOCKED:
            account.pop(email, None)
            pairs.pop(email, None)
        else:
            account.pop(email, None)
            pairs[email].pop(address, None)
    found = {}
    for email in account.keys() | pairs.keys():
        everywhere = _free_at(account.get(email, []), ACCOUNT_LIMIT)
        from_addresses = [_free_at(ats, PAIR_LIMIT) for ats in pairs.get(email, {}).values()]
        ends = [end for end in [everywhere, *from_addresses] if end is not None]
        if ends:
            locked_from = sum(1 for end in from_addresses if end is not None)
            found[email] = Lock(everywhere=everywhere is not None, addresses=locked_from, until=max(ends))
    return found


def _attempt(
    session: Session,
    *,
    key: str,
    account: StaffUser | None,
    address: str,
    now: datetime,
    check: Callable[[], StaffUser | None],
) -> LoginResult:
    _begin(session)
    session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.at) < now - KEEP))
    refusal = _refusal(session, key=key, address=address, now=now)
    if refusal is not None:
        wait, limit = refusal
        same = {
            "account_address": (LoginAttempt.email == key) & (LoginAttempt.address == address),
            "account": LoginAttempt.email == key,
            "address": LoginAttempt.address == address,
        }[limit]
        previous = session.exec(
            select(LoginAttempt.outcome).where(same).order_by(col(LoginAttempt.id).desc()).limit(1)
        ).first()
        if previous != LoginOutcome.refused:  # once per lock-out, not once per try
            audit.record(
                session,
                actor=f"anonym:{address}",
                action="login.throttled",
                object_type="staff_user",
                object_id=account.id if account else "",
                details={
                    "email": account.email if account else users.UNKNOWN_ACCOUNT,
                    "address": address,
                    "limit": limit,
                },
            )
        session.add(LoginAttempt(at=now, email=key, address=address, outcome=LoginOutcome.refused))
        session.commit()
        return LoginResult(None, wait)
    # Counted as a failure from here on: parallel tries cannot all slip in while this one is checked.
    attempt = LoginAttempt(at=now, email=key, address=address, outcome=LoginOutcome.failed)
    session.add(attempt)
    session.commit()
    user = check()
    if user is not None:
        begin_write(session)
        attempt.outcome = LoginOutcome.succeeded
        session.add(attempt)
        session.commit()
    return LoginResult(user)


def _key(email: str, account: StaffUser | None) -> str:
    """What an attempt is counted under: the account's e-mail, or a hash of what was typed."""
    if account is not None:
        return account.email
    return "ukjent:" + token_hash(users.normalise_email(email))


def _network(address: str) -> str:
    """The address a limit counts: an IPv6 address's /64 network, an IPv4 address as it is."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def _begin(session: Session) -> None:
    """A write transaction in which no other login counts or records an attempt."""
    begin_write(session)  # SQLite: BEGIN IMMEDIATE already serialises writers
    if session.get_bind().dialect.name == "postgresql":
        # Held only while counting and recording (a millisecond), never while a password is hashed.
        session.execute(sa.text("LOCK TABLE login_attempt IN SHARE ROW EXCLUSIVE MODE"))


def _last_success(key: str, *addresses: str) -> sa.ScalarSelect[int]:
    """The id of the account's newest success (from one of ``addresses``, when given) or unlock, 0 if none:
    failures before it no longer count."""
    where = (col(LoginAttempt.email) == key) & (col(LoginAttempt.outcome) == LoginOutcome.succeeded)
    if addresses:
        where = where & col(LoginAttempt.address).in_([*addresses, UNLOCKED])
    return select(func.coalesce(func.max(LoginAttempt.id), 0)).where(where).scalar_subquery()


def _free_at(oldest_first: list[datetime], limit: int) -> datetime | None:
    """When a limit that has been hit is free again: the oldest of the last ``limit`` failures leaves the
    window. None when it has not been hit."""
    return oldest_first[-limit] + WINDOW if len(oldest_first) >= limit else None


def _refusal(session: Session, *, key: str, address: str, now: datetime) -> tuple[timedelta, str] | None:
    """How long to wait, and which limit was hit, when this try must be refused."""
    same_account = LoginAttempt.email == key
    checks = [
        (
            "account_address",
            same_account & (LoginAttempt.address == address),
            PAIR_LIMIT,
            col(LoginAttempt.id) > _last_success(key, address),
        ),
        ("account", same_account, ACCOUNT_LIMIT, col(LoginAttempt.id) > _last_success(key)),
        ("address", LoginAttempt.address == address, ADDRESS_LIMIT, sa.true()),
    ]
    waits = []
    for name, same, limit, since in checks:
        recent = session.exec(
            select(LoginAttempt.at)
            .where(
                same,
                LoginAttempt.outcome == LoginOutcome.failed,
                col(LoginAttempt.at) > now - WINDOW,
                since,
            )
            .order_by(col(LoginAttempt.at).desc())
            .limit(limit)
        ).all()
        free_at = _free_at(sorted(recent), limit)
        if free_at is not None:
            waits.append((free_at - now, name))
    return max(waits, key=lambda w: w[0]) if waits else None
