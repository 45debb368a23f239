"""API tokens: JWTs signed with a key every replica shares; revocations kept where every replica looks."""

import time

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from config.caches import shared_cache


def _revoked_key(jti: str) -> str:
    return f"revoked-access:{jti}"


def _active_user(user_id):
    # SimpleJWT 5.5's TokenRefreshSerializer raises DoesNotExist (a 500) for a deleted user
    # (jazzband/djangorestframework-simplejwt#860), so the refresh checks the user itself.
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}, is_active=True).first()
    if user is None:
        raise TokenError("No active account found for the given token.")
    return user


def token_obtain(*, user) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a refresh token, which is used up: presenting it again is refused."""
    token = RefreshToken(refresh)
    user = _active_user(token.get(api_settings.USER_ID_CLAIM))
    # The blacklist row is unique per token: of two replicas refreshing the same token at once,
    # only one creates it.
    _, first = token.blacklist()
    if not first:
        raise TokenError("Token is blacklisted")
    return token_obtain(user=user)


def token_revoke(*, access: str, refresh: str) -> None:
    """Log out: both tokens are refused from now on, by every replica."""
    access_token, refresh_token = AccessToken(access), RefreshToken(refresh)
    if access_token.get(api_settings.USER_ID_CLAIM) != refresh_token.get(api_settings.USER_ID_CLAIM):
        raise TokenError("The refresh token belongs to another account.")
    refresh_token.blacklist()
    # SimpleJWT's blacklist covers refresh tokens only; the access token is denied until it expires.
    remaining = int(access_token["exp"] - time.time()) + 1
    shared_cache("tokens").set(_revoked_key(access_token[api_settings.JTI_CLAIM]), 1, timeout=remaining)


def token_revoked(*, access: AccessToken) -> bool:
    return shared_cache("tokens").get(_revoked_key(access[api_settings.JTI_CLAIM])) is not None
