"""API tokens: JWTs signed with a key every replica shares; revocations kept in the database, where the
query that loads a token's user finds them at no extra round trip."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from api.models import TokenFamily

# The login a token descends from: set in each refresh token, copied by SimpleJWT into its access tokens.
FAMILY_CLAIM = "fam"


class RotatingRefreshToken(RefreshToken):
    def check_blacklist(self):
        """Not when the token is read: token_refresh's blacklist() asks the same in the step that uses
        the token up, and tells a first use from a reuse."""


def _families_revoke(**lookups) -> None:
    TokenFamily.objects.filter(**lookups, revoked_at=None).update(revoked_at=timezone.now())


def _pair(*, user, family) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = str(family)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_user(*, token):
    """The token's user, loaded with its revocation state in one query: refused if the account is gone
    or inactive, its password changed since the token was issued, or the token's login revoked."""
    # A join on the family's primary key rather than an Exists() subquery: the same answer, and a third
    # of the Python the ORM spends building the subquery on every request (docs/06-api-tokens.md); in
    # one get(), as a filter() first would clone the query once more.
    lookup = {
        api_settings.USER_ID_FIELD: token.get(api_settings.USER_ID_CLAIM),
        "token_families__pk": token.get(FAMILY_CLAIM),
        "token_families__revoked_at": None,
    }
    try:
        user = get_user_model().objects.get(**lookup)
    except ObjectDoesNotExist:
        # Not DoesNotExist, which SimpleJWT 5.5's refresh lets through as a 500 for a deleted user
        # (jazzband/djangorestframework-simplejwt#860).
        raise TokenError("Token is revoked, or its account is gone") from None
    if not user.is_active:
        raise TokenError("User is inactive")
    # SimpleJWT's CHECK_REVOKE_TOKEN claim: a password changed through any door ends every token.
    if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenError("The user's password has been changed.")
    return user


def token_obtain(*, user) -> dict[str, str]:
    """A new login: a family of its own, and its first pair."""
    return _pair(user=user, family=TokenFamily.objects.create(user=user).pk)


def token_refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a refresh token, which is used up: presented again, it was copied, and every
    token of its login is revoked, the new pair too."""
    token = RotatingRefreshToken(refresh)
    user = token_user(token=token)
    # The blacklist row is unique per token: of two replicas refreshing the same token at once,
    # only one creates it.
    _, first = token.blacklist()
    if not first:
        _families_revoke(pk=token[FAMILY_CLAIM])
        raise TokenError("Token was used already: every token of its login is revoked")
    return _pair(user=user, family=token[FAMILY_CLAIM])


def token_revoke(*, access: str, refresh: str) -> None:
    """Log out: every token of this login, access tokens issued before the last refresh too, is refused
    from now on, by every replica."""
    access_token, refresh_token = AccessToken(access), RefreshToken(refresh)
    if access_token.get(api_settings.USER_ID_CLAIM) != refresh_token.get(api_settings.USER_ID_CLAIM):
        raise TokenError("The refresh token belongs to another account.")
    _families_revoke(pk__in={access_token.get(FAMILY_CLAIM), refresh_token.get(FAMILY_CLAIM)})


def token_revoke_all(*, user) -> None:
    """Log out everywhere: every token of the account, from every login, is refused from now on."""
    _families_revoke(user=user)
