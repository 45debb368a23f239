from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from api.tokens import TokenError, token_user


class BearerAuthentication(JWTAuthentication):
    """`Authorization: Bearer <access token>`: SimpleJWT checks the signature and expiry, any replica
    can; the user's row comes with the revocations every replica shares, in the same query."""

    def get_user(self, validated_token):
        try:
            return token_user(token=validated_token)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from None
