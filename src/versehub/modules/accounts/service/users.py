"""Users: registration, lookup, preferences, roles, module grants and activation."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from versehub.core.api import Page, paginate
from versehub.core.db import utcnow
from versehub.core.errors import APIError, field_error
from versehub.core.events import publish
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import DEFAULT_ROLE, ROLES, User, UserRole
from versehub.modules.accounts.schemas import PreferencesUpdate
from versehub.modules.accounts.service import passwords
from versehub.modules.accounts.service.meta import RequestMeta

USERNAME_MIN, USERNAME_MAX = 3, 32
USERNAME_PUNCTUATION = frozenset("._-")


def email_key(email: str) -> str:
    """The unique lookup key of an email address: the whole address lower-cased."""
    return email.strip().lower()


def username_key(username: str) -> str:
    """The unique lookup key of a username: NFKC, case-folded, NFKC again (idempotent)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def clean_username(raw: str) -> str:
    """The username as stored (NFKC-normalised); VAL_INVALID when it breaks the rules."""
    name = unicodedata.normalize("NFKC", raw.strip())
    problems = []
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        problems.append(f"Username must be {USERNAME_MIN}-{USERNAME_MAX} characters")
    if not all(ch.isalnum() or ch in USERNAME_PUNCTUATION for ch in name):
        problems.append("Username may contain only letters, digits, '.', '_' and '-'")
    elif name and not name[0].isalnum():
        problems.append("Username must start with a letter or digit")
    if problems:
        raise APIError("VAL_INVALID", errors=[field_error("username", p) for p in problems])
    return name


def get(*, user_id: int) -> User | None:
    """A user by id."""
    return db.session.get(User, user_id)


def get_or_404(*, user_id: int) -> User:
    """A user by id, or RES_NOT_FOUND."""
    user = get(user_id=user_id)
    if user is None:
        raise APIError("RES_NOT_FOUND", "No such user")
    return user


# One rule for another user's resources (their API keys, listed, created or revoked): a caller
# who is not an admin gets RES_NOT_FOUND with this message, the same answer whether or not that
# user exists, so user ids reveal nothing. Admins get it only for users who do not exist.
NOT_VISIBLE = "No such user among those you may see"


def get_visible(*, user_id: int, viewer_id: int, viewer_is_admin: bool) -> User:
    """The user whose resources the viewer asks for: themselves, or anyone for admins; else 404."""
    user = get(user_id=user_id) if user_id == viewer_id or viewer_is_admin else None
    if user is None:
        raise APIError("RES_NOT_FOUND", NOT_VISIBLE)
    return user


def login_key(login: str) -> str:
    """The lookup key of what someone typed as their login (email or username)."""
    return email_key(login) if "@" in login else username_key(login.strip())


def get_by_login(*, login: str) -> User | None:
    """The user whose email (when `login` has an @) or username is `login`."""
    column = User.email_key if "@" in login else User.username_key
    return db.session.scalars(select(User).where(column == login_key(login))).one_or_none()


def _taken(*, email: str, username: str) -> list[dict[str, str]]:
    rows = db.session.execute(
        select(User.email_key, User.username_key).where(
            or_(User.email_key == email_key(email), User.username_key == username_key(username))
        )
    ).all()
    errors = []
    if any(row.email_key == email_key(email) for row in rows):
        errors.append(field_error("email", "Email address is already registered", "unique"))
    if any(row.username_key == username_key(username) for row in rows):
        errors.append(field_error("username", "Username is taken", "unique"))
    return errors


def create(
    *,
    email: str,
    username: str,
    password: str,
    meta: RequestMeta,
    roles: Iterable[str] = (DEFAULT_ROLE,),
    preferences: PreferencesUpdate | None = None,
    actor_id: int | None = None,
) -> User:
    """Register a user (policy-checked password, unique email and username); commits."""
    name = clean_username(username)
    passwords.check_password(password, email=email, username=name)
    if taken := _taken(email=email, username=name):
        raise APIError("RES_ALREADY_EXISTS", errors=taken)
    user = User(
        email=email.strip(),
        email_key=email_key(email),
        username=name,
        username_key=username_key(name),
        password_hash=passwords.hash_password(password),
        role_rows=[UserRole(role=role) for role in sorted(set(roles))],
    )
    for field, value in (preferences.model_dump(exclude_unset=True) if preferences else {}).items():
        setattr(user, field, value)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Lost a race with a concurrent registration of the same email or username.
        db.session.rollback()
        raise APIError("RES_ALREADY_EXISTS", errors=_taken(email=email, username=name)) from None
    publish("user.created", user_id=user.id, username=user.username)
    events.publish_security(
        events.USER_REGISTERED, meta=meta, actor_id=actor_id or user.id, target=f"user:{user.id}"
    )
    return user


def list_(*, page: int, per_page: int, q: str | None = None, role: str | None = None) -> Page[User]:
    """One page of users by id, optionally filtered by a search text and a role."""
    query = select(User)
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(User.email_key.like(like, escape="\\"), User.username_key.like(like, escape="\\"))
        )
    if role:
        query = query.where(User.role_rows.any(UserRole.role == role))
    return paginate(query.order_by(User.id), page=page, per_page=per_page)


def update_preferences(*, user: User, changes: PreferencesUpdate) -> User:
    """Apply the fields sent (partial update); commits and publishes `preferences.updated`."""
    values = changes.model_dump(exclude_unset=True)
    for field, value in values.items():
        setattr(user, field, value)
    db.session.commit()
    publish("preferences.updated", user_id=user.id, changed=sorted(values))
    return user


def is_last_admin(*, user: User) -> bool:
    """Whether `user` is the only active admin (who must not lose admin rights)."""
    if "admin" not in user.roles or not user.is_active:
        return False
    others = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.id != user.id,
            User.is_active.is_(True),
            User.role_rows.any(UserRole.role == "admin"),
        )
    )
    return not others


def change_roles(
    *,
    user: User,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    actor_id: int | None,
    meta: RequestMeta,
) -> User:
    """Add and take away roles, keeping the others (roles add up); commits and audits."""
    new = (user.roles | set(add)) - set(remove)
    if not new:
        raise APIError(
            "VAL_INVALID", errors=[field_error("roles", "A user keeps at least one role")]
        )
    return set_roles(user=user, roles=new, actor_id=actor_id, meta=meta)


def set_roles(*, user: User, roles: Iterable[str], actor_id: int | None, meta: RequestMeta) -> User:
    """Replace the user's roles; commits and audits the change."""
    new = set(roles)
    if not new or not new <= set(ROLES):
        raise APIError(
            "VAL_INVALID", errors=[field_error("roles", f"Roles are {', '.join(ROLES)}")]
        )
    old = user.roles
    if "admin" not in new and is_last_admin(user=user):
        raise APIError("RES_CONFLICT", "The last active admin cannot lose the admin role")
    user.role_rows = [row for row in user.role_rows if row.role in new]
    user.role_rows.extend(UserRole(role=role) for role in sorted(new - old))
    user.updated_at = utcnow()
    db.session.commit()
    events.publish_security(
        events.ROLES_CHANGED,
        meta=meta,
        actor_id=actor_id,
        target=f"user:{user.id}",
        before=sorted(old),
        after=sorted(new),
    )
    return user
