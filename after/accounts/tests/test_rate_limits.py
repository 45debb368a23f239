"""The login rate limit: five failed attempts per username per minute, then 429 until the minute is over."""

import time
import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def username(django_user_model):
    # Unique per test: in after/ the counters live in a Redis that outlives one test.
    name = f"ann-{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(name, password=PASSWORD)
    return name


@pytest.fixture
def clock(monkeypatch):
    """Time stands still unless a test moves it: the counters use fixed windows that slow tests could straddle."""
    clock = SimpleNamespace(now=time.time())
    monkeypatch.setattr(time, "time", lambda: clock.now)
    return clock


def log_in(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


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
