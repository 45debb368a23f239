"""API tokens: opaque random strings, remembered by the process that issued them."""

import secrets
import threading
import time
from datetime import timedelta
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.utils.crypto import constant_time_compare

ACCESS_LIFETIME = timedelta(minutes=5)
REFRESH_LIFETIME = timedelta(days=1)
USED_UP = "used-up refresh"


class _Token(NamedTuple):
    user_id: int
    kind: str
    expires_at: float
    family: str  # the login it descends from: every pair rotated from one password check
    password: str  # the account's session auth hash when issued: a password change ends the token


# The state this part of the workshop is about: which tokens exist lives only in this process's
# memory, so another replica (or this one after a restart) has never heard of them.
_tokens: dict[str, _Token] = {}
_lock = threading.Lock()


class TokenError(ValueError):
    """The token is unknown, expired, of the wrong kind or its user is gone; the message says which."""


def _forget(matches) -> None:
    """Drops every token `matches` accepts; the caller holds the lock."""
    for token in [token for token, entry in _tokens.items() if matches(entry)]:
        del _tokens[token]


def _issue(*, user, kind: str, lifetime: timedelta, family: str) -> str:
    token = secrets.token_urlsafe(32)
    now = time.time()
    with _lock:
        _forget(lambda entry: entry.expires_at <= now)
        _tokens[token] = _Token(user.pk, kind, now + lifetime.total_seconds(), family, user.get_session_auth_hash())
    return token


def _check(token: str, *, kind: str, use_up: bool = False) -> _Token:
    """What the token was issued for; with use_up, the token is used up in the same step."""
    with _lock:
        entry = _tokens.get(token)
        if entry is None:
            raise TokenError("Token is invalid")
        if entry.expires_at <= time.time():
            del _tokens[token]
            raise TokenError("Token is expired")
        if entry.kind == USED_UP and kind == "refresh":
            # Presented again, it was copied: every token of its login goes.
            _forget(lambda other: other.family == entry.family)
            raise TokenError("Token was used already: every token of its login is revoked")
        if entry.kind != kind:
            raise TokenError("Token is invalid")
        if use_up:
            _tokens[token] = entry._replace(kind=USED_UP)
    return entry


def _active_user(entry: _Token):
    user = get_user_model().objects.filter(pk=entry.user_id).first()
    if user is None:
        raise TokenError("User not found")
    if not user.is_active:
        raise TokenError("User is inactive")
    if not constant_time_compare(entry.password, user.get_session_auth_hash()):
        raise TokenError("The user's password has been changed.")
    return user


def _pair(*, user, family: str) -> dict[str, str]:
    return {
        "access": _issue(user=user, kind="access", lifetime=ACCESS_LIFETIME, family=family),
        "refresh": _issue(user=user, kind="refresh", lifetime=REFRESH_LIFETIME, family=family),
    }


def token_obtain(*, user) -> dict[str, str]:
    """A new login: a family of its own, and its first pair."""
    return _pair(user=user, family=secrets.token_urlsafe(16))


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a refresh token, which is used up: presented again, it was copied, and every
    token of its login is revoked, the new pair too."""
    entry = _check(refresh, kind="refresh", use_up=True)
    return _pair(user=_active_user(entry), family=entry.family)


def token_revoke(*, access: str, refresh: str) -> None:
    """Log out: every token of this login, access tokens issued before the last refresh too, is refused
    from now on."""
    refresh_entry, access_entry = _check(refresh, kind="refresh"), _check(access, kind="access")
    if refresh_entry.user_id != access_entry.user_id:
        raise TokenError("The refresh token belongs to another account.")
    with _lock:
        _forget(lambda entry: entry.family in (refresh_entry.family, access_entry.family))


def token_revoke_all(*, user) -> None:
    """Log out everywhere: every token of the account, from every login, is refused from now on."""
    with _lock:
        _forget(lambda entry: entry.user_id == user.pk)


def token_user(*, access: str):
    """The active user an access token was issued to."""
    return _active_user(_check(access, kind="access"))
