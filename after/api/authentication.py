from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from api.tokens import token_revoked


class BearerAuthentication(JWTAuthentication):
    """`Authorization: Bearer <access token>`: SimpleJWT checks the signature, expiry and user, any
    replica can; this adds the revocations every replica shares."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if token_revoked(access=token):
            raise InvalidToken("Token is revoked")
        return token
