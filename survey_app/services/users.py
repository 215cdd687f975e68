"""Staff accounts: creation, login, passwords (own change, an administrator's reset), name and role, and
deactivation.

Every password set here passes ``survey_app.passwords``. Ending a user's sessions (a changed or reset
password, a new role, deactivation) happens in the same transaction as the change, so no session outlives
it. There is always at least one active administrator: without one, nobody could add users or change roles.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, func, select

from survey_app import audit, passwords
from survey_app.db import begin_write
from survey_app.models import Role, StaffUser, utcnow
from survey_app.security import DUMMY_HASH, hash_password, verify_password
from survey_app.services import sessions

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
# What the audit log says instead of what was typed when a login names no account: the «e-mail» field
# sometimes holds a password typed in the wrong place, and the log must not keep it.
UNKNOWN_ACCOUNT = "ukjent bruker"
MAX_NAME_LENGTH = 200
LAST_ADMIN = (
    "Innspill må ha minst én aktiv administrator, og dette er den siste. "
    "Gi en annen bruker rollen administrator først."
)


class UserError(ValueError):
    """A change to a user was refused; the message is a Norwegian sentence for the person who asked.

    ``field`` names the form field it belongs by (``email``, ``password``, …), or is empty.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def by_email(session: Session, email: str) -> StaffUser | None:
    """The account with this e-mail address (any case, spaces around ignored), active or not."""
    return session.exec(select(StaffUser).where(StaffUser.email == normalise_email(email))).first()


def create_user(
    session: Session, *, email: str, password: str, role: Role, full_name: str = "", actor: str
) -> StaffUser:
    """Create a staff user with an argon2-hashed password that passes the password policy."""
    begin_write(session)
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise UserError(f"«{email}» er ikke en gyldig e-postadresse.", field="email")
    if problem := passwords.problem(password, email=email, full_name=full_name):
        raise UserError(problem, field="password")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise UserError(f"Det finnes allerede en bruker med e-post {email}.", field="email")
    user = StaffUser(
        email=email,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="staff_user",
        object_id=user.id,
        details={"email": email, "role": role.value},
    )
    session.commit()
    return user


def create_from_provider(
    session: Session, *, email: str, full_name: str, role: Role, details: dict[str, object]
) -> StaffUser:
    """A staff user whom the county's identity provider signed in and Innspill did not know yet
    (services/oidc.py, where the county allows it). Their password is random and never shown: they sign in
    through the provider. Inside the caller's write transaction; the caller commits."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise UserError(f"«{email}» er ikke en gyldig e-postadresse.", field="email")
    user = StaffUser(
        email=email,
        full_name=" ".join(full_name.split())[:MAX_NAME_LENGTH],
        role=role,
        password_hash=hash_password(secrets.token_urlsafe(32)),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="user.create",
        object_type="staff_user",
        object_id=user.id,
        details={"email": email, "role": role.value, **details},
    )
    return user


def set_role_from_provider(
    session: Session, *, user: StaffUser, role: Role, details: dict[str, object]
) -> None:
    """Give a user the role the identity provider's claim maps to, ending their other sessions as any role
    change does. Inside the caller's write transaction; the caller commits. Refused (``UserError``) for the
    last active administrator, as in ``update_user``."""
    assert user.id is not None
    if role == user.role:
        return
    if _is_last_active_admin(session, user):
        raise UserError(LAST_ADMIN, field="role")
    before = user.role
    user.role = role
    session.add(user)
    ended = sessions.end_for_user(session, user_id=user.id, reason=sessions.EndReason.role_changed)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="user.update",
        object_type="staff_user",
        object_id=user.id,
        details={
            "email": user.email,
            "role_from": before.value,
            "role_to": role.value,
            "sessions_ended": ended,
            **details,
        },
    )


def authenticate(session: Session, *, email: str, password: str, address: str) -> StaffUser | None:
    """The active user with this e-mail and password, or None. Both outcomes are audited.

    A failure names the account only when the e-mail is an account's: what else was typed is not kept.
    """
    begin_write(session)
    user = by_email(session, email)
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if not (user and ok and user.is_active):
        audit.record(
            session,
            actor=f"anonym:{address}",
            action="login.failed",
            object_type="staff_user",
            object_id=user.id if user else "",
            details={"email": user.email if user else UNKNOWN_ACCOUNT},
        )
        session.commit()
        return None
    user.last_login_at = utcnow()
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="login",
        object_type="staff_user",
        object_id=user.id,
        details={"address": address},
    )
    session.commit()
    return user


def check_password(session: Session, *, user: StaffUser, password: str, address: str) -> bool:
    """Whether ``password`` is the signed-in user's own (asked before it is changed); a wrong one is audited.

    Call it through ``throttle.check_password``, which counts the wrong ones like failed logins.
    """
    if verify_password(password, user.password_hash):
        return True
    begin_write(session)
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="user.password_check_failed",
        object_type="staff_user",
        object_id=user.id,
        details={"address": address},
    )
    session.commit()
    return False


def change_password(
    session: Session, *, user: StaffUser, new_password: str, keep_session_id: int | None
) -> StaffUser:
    """Set a user's own new password (the current one already checked): a forced change is done, and every
    other session of theirs ends, in the same transaction. The session ``keep_session_id`` goes on.

    Raises ``UserError`` (field ``new_password``) when the policy refuses it or it is the current one.
    """
    if problem := passwords.problem(new_password, email=user.email, full_name=user.full_name):
        raise UserError(problem, field="new_password")
    if verify_password(new_password, user.password_hash):
        raise UserError("Det nye passordet må være et annet enn det du har nå.", field="new_password")
    new_hash = hash_password(new_password)  # before the write transaction: hashing takes a while
    begin_write(session)
    session.refresh(user)
    assert user.id is not None
    user.password_hash = new_hash
    user.password_changed_at = utcnow()
    was_forced = user.must_change_password
    user.must_change_password = False
    ended = sessions.end_for_user(
        session, user_id=user.id, reason=sessions.EndReason.password_changed, keep_id=keep_session_id
    )
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="user.password_change",
        object_type="staff_user",
        object_id=user.id,
        details={"email": user.email, "after_reset": was_forced, "sessions_ended": ended},
    )
    session.commit()
    return user


def reset_password(session: Session, *, user: StaffUser, actor: str) -> str:
    """Give a user a random temporary password, returned this once for the administrator to pass on.

    The user must choose a new password at the next login (``must_change_password``), and every session of
    theirs ends now, in the same transaction.
    """
    temporary = passwords.temporary_password()
    new_hash = hash_password(temporary)
    begin_write(session)
    session.refresh(user)
    assert user.id is not None
    user.password_hash = new_hash
    user.password_changed_at = utcnow()
    user.must_change_password = True
    ended = sessions.end_for_user(session, user_id=user.id, reason=sessions.EndReason.password_reset)
    audit.record(
        session,
        actor=actor,
        action="user.password_reset",
        object_type="staff_user",
        object_id=user.id,
        details={"email": user.email, "sessions_ended": ended},
    )
    session.commit()
    return temporary


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(StaffUser)).one()


def deactivate(session: Session, *, user: StaffUser, actor: str) -> StaffUser:
    """Stop a user from logging in and end their sessions; their API tokens stop working with them.
    The account stays for the log. Refused (``UserError``) for the last active administrator."""
    begin_write(session)
    session.refresh(user)
    assert user.id is not None
    if _is_last_active_admin(session, user):
        session.rollback()
        raise UserError(LAST_ADMIN)
    user.is_active = False
    ended = sessions.end_for_user(session, user_id=user.id, reason=sessions.EndReason.deactivated)
    audit.record(
        session,
        actor=actor,
        action="user.deactivate",
        object_type="staff_user",
        object_id=user.id,
        details={"email": user.email, "sessions_ended": ended},
    )
    session.commit()
    return user


def _is_last_active_admin(session: Session, user: StaffUser) -> bool:
    """Inside the write transaction. The active administrators' rows are locked (PostgreSQL; SQLite holds
    the whole database), so two administrators demoting each other at once cannot both pass."""
    if user.role != Role.admin or not user.is_active:
        return False
    admins = session.exec(
        select(StaffUser.id).where(StaffUser.role == Role.admin, col(StaffUser.is_active)).with_for_update()
    ).all()
    return set(admins) <= {user.id}


def update_user(
    session: Session,
    *,
    user: StaffUser,
    full_name: str,
    role: Role,
    actor: str,
    keep_session_id: int | None = None,
) -> StaffUser:
    """Change a user's name and role. A new role ends the user's sessions (but ``keep_session_id``, the
    session of an administrator changing their own role) in the same transaction, so every page they see
    afterwards is one their new role may see; the change is audited. Nothing changed: nothing is written.

    Raises ``UserError`` (field ``full_name`` or ``role``) for a name that is too long, a deactivated user,
    or taking the role from the last active administrator.
    """
    full_name = " ".join(full_name.split())
    if len(full_name) > MAX_NAME_LENGTH:
        raise UserError(f"Navnet kan være høyst {MAX_NAME_LENGTH} tegn.", field="full_name")
    begin_write(session)
    session.refresh(user)
    assert user.id is not None
    if not user.is_active:
        session.rollback()
        raise UserError("Brukeren er deaktivert og kan ikke endres.")
    if role == user.role and full_name == user.full_name:
        session.rollback()
        return user
    if role != user.role and _is_last_active_admin(session, user):
        session.rollback()
        raise UserError(LAST_ADMIN, field="role")
    details: dict[str, object] = {"email": user.email}
    if full_name != user.full_name:
        details.update(name_from=user.full_name, name_to=full_name)
        user.full_name = full_name
    if role != user.role:
        details.update(role_from=user.role.value, role_to=role.value)
        user.role = role
        details["sessions_ended"] = sessions.end_for_user(
            session, user_id=user.id, reason=sessions.EndReason.role_changed, keep_id=keep_session_id
        )
    session.add(user)
    audit.record(
        session,
        actor=actor,
        action="user.update",
        object_type="staff_user",
        object_id=user.id,
        details=details,
    )
    session.commit()
    return user
