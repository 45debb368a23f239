from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api.tokens import TokenError, token_user


class BearerAuthentication(BaseAuthentication):
    """`Authorization: Bearer <access token>`, looked up in this process's token table."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Authorization header must contain two space-delimited values")
        try:
            access = parts[1].decode("ascii")
            return token_user(access=access), access
        except UnicodeDecodeError:
            raise AuthenticationFailed("Token is invalid") from None
        except TokenError as exc:
            raise AuthenticationFailed(str(exc)) from None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
