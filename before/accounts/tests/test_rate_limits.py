"""Password attempts: five failures per account and fifty per client a minute, on every door that
checks a password, then 429 until the minute is over."""

import time
import uuid
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from accounts.limits import client_allowance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def username(django_user_model):
    # Unique per test: in after/ the counters live in a Redis that outlives one test.
    name = f"ann-{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(name, password=PASSWORD)
    return name


@pytest.fixture
def client():
    """A client address of its own, for the same reason."""
    return Client(REMOTE_ADDR=f"2001:db8::{uuid.uuid4().hex[:4]}")


@pytest.fixture
def clock(monkeypatch):
    """Time stands still unless a test moves it: the counters use fixed windows that slow tests could straddle."""
    clock = SimpleNamespace(now=time.time())
    monkeypatch.setattr(time, "time", lambda: clock.now)
    return clock


def log_in(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def api_token(client, username, password):
    body = {"username": username, "password": password}
    return client.post(reverse("api:token"), body, content_type="application/json")


def admin_log_in(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def test_after_five_failures_even_the_right_password_gets_429_with_retry_after(client, username):
    failures = [log_in(client, username, "wrong").status_code for _ in range(5)]

    response = log_in(client, username, PASSWORD)

    assert failures == [200] * 5
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Too many failed login attempts" in response.content


def test_successful_logins_do_not_count(client, username):
    successes = [log_in(client, username, PASSWORD).status_code for _ in range(6)]
    failures = [log_in(client, username, "wrong").status_code for _ in range(5)]

    assert successes == [302] * 6
    assert failures == [200] * 5


def test_the_limit_lifts_when_the_minute_is_over(client, username, clock):
    for _ in range(5):
        log_in(client, username, "wrong")
    assert log_in(client, username, PASSWORD).status_code == 429

    clock.now += 61

    assert log_in(client, username, PASSWORD).status_code == 302


def test_other_usernames_are_not_affected(client, django_user_model, username):
    for _ in range(6):
        log_in(client, username, "wrong")
    django_user_model.objects.create_user("bob-" + username, password=PASSWORD)

    assert log_in(client, "bob-" + username, PASSWORD).status_code == 302


def test_the_form_the_api_and_the_admin_share_one_allowance(client, username):
    failures = [
        log_in(client, username, "wrong").status_code,
        api_token(client, username, "wrong").status_code,
        admin_log_in(client, username, "wrong").status_code,
        api_token(client, username, "wrong").status_code,
        log_in(client, username, "wrong").status_code,
    ]

    refused = [
        api_token(client, username, PASSWORD),
        log_in(client, username, PASSWORD),
        admin_log_in(client, username, PASSWORD),
    ]

    assert failures == [200, 401, 200, 401, 200]
    assert [response.status_code for response in refused] == [429, 429, 429]
    assert refused[0].json()["detail"].startswith("Too many failed login attempts")
    assert all(1 <= int(response["Retry-After"]) <= 60 for response in refused)


@pytest.mark.parametrize("spelling", ["{} ", " {}", "\t{}", "{}\n", "FULLWIDTH", "{upper}"])
def test_every_spelling_of_a_name_counts_against_its_one_allowance(client, username, spelling):
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in username)
    name = fullwidth if spelling == "FULLWIDTH" else spelling.format(username, upper=username.upper())
    for _ in range(5):
        log_in(client, name, "wrong")

    assert log_in(client, username, PASSWORD).status_code == 429
    assert log_in(client, name, PASSWORD).status_code == 429


def test_one_client_trying_one_password_on_many_accounts_is_refused_past_its_allowance(
    client, django_user_model, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 52 accounts: hash them fast
    allowance = int(client_allowance().split("/")[0])
    names = [f"spray-{uuid.uuid4().hex[:8]}" for _ in range(allowance + 2)]
    for name in names:
        django_user_model.objects.create_user(name, password=PASSWORD)

    answers = [log_in(client, name, "Winter2026!").status_code for name in names]

    assert answers == [200] * allowance + [429, 429]
    assert (
        Client(REMOTE_ADDR="2001:db8::1:1")
        .post(reverse("accounts:login"), {"username": names[-1], "password": PASSWORD})
        .status_code
        == 302
    )
