"""API tokens: opaque random strings, remembered by the process that issued them."""

import secrets
import threading
import time
from datetime import timedelta

from django.contrib.auth import get_user_model

ACCESS_LIFETIME = timedelta(minutes=5)
REFRESH_LIFETIME = timedelta(days=1)

# The state this part of the workshop is about: which tokens exist lives only in this process's
# memory, so another replica (or this one after a restart) has never heard of them.
_tokens: dict[str, tuple[int, str, float]] = {}
_lock = threading.Lock()


class TokenError(ValueError):
    """The token is unknown, expired, of the wrong kind or its user is gone; the message says which."""


def _issue(*, user_id: int, kind: str, lifetime: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    now = time.time()
    with _lock:
        for expired in [t for t, (_, _, expires_at) in _tokens.items() if expires_at <= now]:
            del _tokens[expired]
        _tokens[token] = (user_id, kind, now + lifetime.total_seconds())
    return token


def _check(token: str, *, kind: str, use_up: bool = False) -> int:
    """The id of the user the token was issued to; with use_up, the token is gone in the same step."""
    with _lock:
        entry = _tokens.get(token)
        if entry is None or entry[1] != kind:
            raise TokenError("Token is invalid")
        if entry[2] <= time.time():
            del _tokens[token]
            raise TokenError("Token is expired")
        if use_up:
            del _tokens[token]
    return entry[0]


def _active_user(user_id):
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise TokenError("No active account found for the given token.")
    return user


def token_obtain(*, user) -> dict[str, str]:
    return {
        "access": _issue(user_id=user.pk, kind="access", lifetime=ACCESS_LIFETIME),
        "refresh": _issue(user_id=user.pk, kind="refresh", lifetime=REFRESH_LIFETIME),
    }


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a refresh token, which is used up: presenting it again is refused."""
    user = _active_user(_check(refresh, kind="refresh", use_up=True))
    return token_obtain(user=user)


def token_revoke(*, access: str, refresh: str) -> None:
    """Log out: both tokens are refused from now on."""
    if _check(refresh, kind="refresh") != _check(access, kind="access"):
        raise TokenError("The refresh token belongs to another account.")
    with _lock:
        _tokens.pop(refresh, None)
        _tokens.pop(access, None)


def token_user(*, access: str):
    """The active user an access token was issued to."""
    user_id = _check(access, kind="access")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise TokenError("User not found")
    if not user.is_active:
        raise TokenError("User is inactive")
    return user
