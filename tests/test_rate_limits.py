"""Rate limits: at most five failed logins per username per minute, however many replicas there are."""

from __future__ import annotations

import time
import uuid
import zlib

from harness import Visitor


def username_with_time_to_spare(seconds: int = 20) -> str:
    """A new username whose one-minute counting window has at least `seconds` left.

    django-ratelimit counts in fixed windows, each key's edge shifted by crc32(key) % 60; six attempts
    that straddled an edge would start counting again from zero, and the test would fail by chance.
    """
    while True:
        username = f"user-{uuid.uuid4().hex[:10]}"
        if (zlib.crc32(username.encode()) % 60 - int(time.time()) % 60) % 60 >= seconds:
            return username


def new_user(topology) -> str:
    return Visitor(topology.url).sign_up(username_with_time_to_spare())


def test_when_failed_logins_are_spread_over_both_replicas_then_the_sixth_is_refused(topology):
    """Three wrong passwords on replica A and two on B use up the allowance: the sixth try is refused, even right."""
    username = new_user(topology)
    attacker = Visitor(topology.replica(0).url)

    failures = [attacker.at(topology.replica(i // 3)).log_in(username, "wrong").status_code for i in range(5)]
    sixth = attacker.at(topology.replica(1)).log_in(username)

    assert failures == [200] * 5
    assert sixth.status_code == 429


def test_when_logins_fail_through_the_load_balancer_then_the_sixth_is_refused(topology):
    """Five wrong passwords through the load balancer use up the allowance: the sixth try is refused, even right."""
    username = new_user(topology)
    attacker = Visitor(topology.url)

    failures = [attacker.log_in(username, "wrong").status_code for _ in range(5)]
    sixth = attacker.log_in(username)

    assert failures == [200] * 5
    assert sixth.status_code == 429


def test_when_a_login_is_refused_then_the_page_says_when_to_try_again(topology):
    """The refusal says, in its Retry-After header and on the page, how many seconds to wait."""
    username = new_user(topology)
    attacker = Visitor(topology.replica(0).url)
    for _ in range(5):
        attacker.log_in(username, "wrong")

    refused = attacker.log_in(username)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert f"Try again in {refused.headers['Retry-After']} second" in refused.text


def test_when_one_username_is_locked_out_then_other_usernames_can_still_log_in(topology):
    """Guessing at one account locks that account only: everyone else logs in as usual."""
    locked, other = new_user(topology), new_user(topology)
    attacker = Visitor(topology.replica(0).url)
    for _ in range(6):
        attacker.log_in(locked, "wrong")

    assert attacker.log_in(locked).status_code == 429
    assert Visitor(topology.replica(0).url).log_in(other).status_code == 302
