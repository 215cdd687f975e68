"""Staff accounts and login."""

from __future__ import annotations

from sqlmodel import Session, func, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import Role, StaffUser, utcnow
from survey_app.security import DUMMY_HASH, hash_password, verify_password

MIN_PASSWORD_LENGTH = 12


class UserError(ValueError):
    """A user could not be created; the message is for the person who asked."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, *, email: str, password: str, role: Role, full_name: str = "", actor: str
) -> StaffUser:
    """Create a staff user with an argon2-hashed password."""
    begin_write(session)
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise UserError(f"«{email}» er ikke en gyldig e-postadresse")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"passordet må ha minst {MIN_PASSWORD_LENGTH} tegn")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise UserError(f"det finnes allerede en bruker med e-post {email}")
    user = StaffUser(email=email, full_name=full_name, role=role, password_hash=hash_password(password))
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


def authenticate(session: Session, *, email: str, password: str, address: str) -> StaffUser | None:
    """The active user with this e-mail and password, or None. Both outcomes are audited."""
    begin_write(session)
    email = normalise_email(email)
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if not (user and ok and user.is_active):
        audit.record(
            session,
            actor=f"anonym:{address}",
            action="login.failed",
            object_type="staff_user",
            details={"email": email[:100]},
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


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(StaffUser)).one()


def deactivate(session: Session, *, user: StaffUser, actor: str) -> StaffUser:
    """Stop a user from logging in; their API tokens stop working with them. The account stays for the log."""
    begin_write(session)
    session.refresh(user)
    user.is_active = False
    audit.record(
        session,
        actor=actor,
        action="user.deactivate",
        object_type="staff_user",
        object_id=user.id,
        details={"email": user.email},
    )
    session.commit()
    return user
