"""Password attempts, counted per account and per client, whichever door checks the password.

The login form, the API's token endpoint and the admin's login all reach the password through
django.contrib.auth.authenticate(), so the count lives in the authentication backend: one allowance
per account (against guessing one password) and one per client address (against trying one password
on many accounts), both counted by django-ratelimit in the `ratelimit` cache.
"""

import unicodedata

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

# Failed attempts allowed per minute; the attempt after the last one is refused, right password or not.
ACCOUNT_ALLOWANCE = "5/m"


# Per client address, over every account: a household or an office behind one NAT shares it. A
# deployment setting (LOGIN_ATTEMPTS_PER_CLIENT), 50/m unless the environment says otherwise.
def client_allowance() -> str:
    return settings.LOGIN_ATTEMPTS_PER_CLIENT


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed login attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def account_name(username) -> str:
    """The name authentication looks up (AuthenticationForm's NFKC, stripped), case-folded: one
    allowance for every spelling of it."""
    return unicodedata.normalize("NFKC", str(username)).strip().casefold()


def allowances(request, username) -> list[tuple[str, str, str]]:
    # REMOTE_ADDR is the client as the load balancer saw it: uvicorn takes X-Forwarded-For from it alone.
    client = request.META.get("REMOTE_ADDR", "")
    return [("account", account_name(username), ACCOUNT_ALLOWANCE), ("client", client, client_allowance())]


def count(request, *, group: str, value: str, rate: str, increment: bool) -> dict | None:
    """django-ratelimit's count for `value` in this window (None when limits are off)."""
    return get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=increment)


def password_attempt(request, username) -> None:
    """Count one attempt on each allowance, then refuse it if either is used up: counted before the
    password is checked, in one atomic step each, so of attempts that arrive together on any replica
    only the allowance gets as far as the password. Successes are taken off again."""
    refusals = []
    for kind, value, rate in allowances(request, username):
        attempts = count(request, group=f"accounts.{kind}", value=value, rate=rate, increment=True)
        if attempts:
            successes = count(request, group=f"accounts.{kind}-ok", value=value, rate=rate, increment=False)
            if attempts["count"] - successes["count"] > attempts["limit"]:
                refusals.append(max(attempts["time_left"], 1))
    if refusals:
        raise TooManyAttempts(max(refusals))


def password_accepted(request, username) -> None:
    for kind, value, rate in allowances(request, username):
        count(request, group=f"accounts.{kind}-ok", value=value, rate=rate, increment=True)


class PasswordAttemptsBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:  # not a door: a management command, a test's client.login()
            return super().authenticate(request, username=username, password=password, **kwargs)
        password_attempt(request, username)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            password_accepted(request, username)
        return user


class TooManyAttemptsMiddleware:
    """A refused attempt is a 429 with Retry-After: JSON on the API, a page everywhere else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, TooManyAttempts):
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": str(exception)}, status=429)
        else:
            context = {"retry_after": exception.retry_after}
            response = render(request, "accounts/too_many_attempts.html", context, status=429)
        response["Retry-After"] = str(exception.retry_after)
        return response
