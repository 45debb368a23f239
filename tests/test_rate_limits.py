"""Rate limits: at most five failed logins per account and fifty per client a minute, on every door
that checks a password, however many replicas there are.

Each attacker here is a client of its own (a loopback address of its own), so one test's failures never
use up another's per-client allowance.
"""

from __future__ import annotations

import time
import uuid

import pytest

from harness import PASSWORD, ApiClient, Visitor, a_client_address, with_time_to_spare

CLIENT_ALLOWANCE = 50  # accounts.limits.client_allowance(), per minute, where LOGIN_ATTEMPTS_PER_CLIENT is unset
# nginx sheds a client's password attempts past 10 a second after a burst of 20 (limit_req in
# compose/nginx/default.conf.template): a sprayer that wants the shop's allowance to be what stops it
# keeps to that rate, after half the burst (the other half is room for the clock's jitter).
LOAD_BALANCER_RATE, LOAD_BALANCER_BURST = 10, 20


def username_with_time_to_spare() -> str:
    return with_time_to_spare(lambda: f"user-{uuid.uuid4().hex[:10]}")


def new_user(topology) -> str:
    return Visitor(topology.url).sign_up(username_with_time_to_spare())


def attacker_at(target) -> Visitor:
    return Visitor(target, client_address=a_client_address())


def test_when_failed_logins_are_spread_over_both_replicas_then_the_sixth_is_refused(topology):
    """Three wrong passwords on replica A and two on B use up the allowance: the sixth try is refused, even right."""
    username = new_user(topology)
    attacker = attacker_at(topology.replica(0))

    failures = [attacker.at(topology.replica(i // 3)).log_in(username, "wrong").status_code for i in range(5)]
    sixth = attacker.at(topology.replica(1)).log_in(username)

    assert failures == [200] * 5
    assert sixth.status_code == 429


@pytest.mark.load_balanced
def test_when_logins_fail_through_the_load_balancer_then_the_sixth_is_refused(topology):
    """Five wrong passwords through the load balancer use up the allowance: the sixth try is refused, even right."""
    username = new_user(topology)
    attacker = attacker_at(topology)

    failures = [attacker.log_in(username, "wrong").status_code for _ in range(5)]
    sixth = attacker.log_in(username)

    assert failures == [200] * 5
    assert sixth.status_code == 429


def test_when_a_login_is_refused_then_the_page_says_when_to_try_again(topology):
    """The refusal says, in its Retry-After header and on the page, how many seconds to wait."""
    username = new_user(topology)
    attacker = attacker_at(topology.replica(0))
    for _ in range(5):
        attacker.log_in(username, "wrong")

    refused = attacker.log_in(username)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert f"Try again in {refused.headers['Retry-After']} second" in refused.text


def test_when_one_username_is_locked_out_then_other_usernames_can_still_log_in(topology):
    """Guessing at one account locks that account only: everyone else logs in as usual."""
    locked, other = new_user(topology), new_user(topology)
    attacker = attacker_at(topology.replica(0))
    for _ in range(6):
        attacker.log_in(locked, "wrong")

    assert attacker.log_in(locked).status_code == 429
    assert Visitor(topology.replica(0).url).log_in(other).status_code == 302


def test_when_passwords_are_guessed_through_the_api_then_the_login_form_is_locked_too(topology):
    """Three wrong passwords on the API's token endpoint of replica A and two on the login form of B use
    up the one allowance: the right password is refused on both doors, on both replicas."""
    username = new_user(topology)
    attacker = attacker_at(topology.replica(0))
    api = ApiClient(topology.replica(0), attacker.http)

    failures = [api.obtain(username, "wrong").status_code for _ in range(3)]
    failures += [attacker.at(topology.replica(1)).log_in(username, "wrong").status_code for _ in range(2)]
    refused = [api.at(topology.replica(1)).obtain(username), attacker.log_in(username)]

    assert failures == [401] * 3 + [200] * 2
    assert [response.status_code for response in refused] == [429, 429]
    assert 1 <= int(refused[0].headers["Retry-After"]) <= 60


def test_when_a_name_is_spelled_otherwise_then_it_still_counts_against_the_same_allowance(topology):
    """Padding the name with spaces or a tab, changing its case or typing it in full-width letters is
    the same account to the login, and so to its limit: five such guesses lock the name itself."""
    username = new_user(topology)
    attacker = attacker_at(topology.replica(0))
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in username)

    failures = [
        attacker.log_in(spelling, "wrong").status_code
        for spelling in (f" {username}", f"{username} ", f"\t{username}", username.upper(), fullwidth)
    ]
    refused = [attacker.log_in(username), attacker.log_in(f"{username} "), attacker.log_in(fullwidth)]

    assert failures == [200] * 5
    assert [response.status_code for response in refused] == [429] * 3


@pytest.mark.local_only  # under compose every client reaches nginx from Docker's gateway: one address
def test_when_one_client_tries_one_password_on_many_accounts_then_it_is_refused_past_its_allowance(topology):
    """Password spraying: one client tries one common password on 52 accounts through the load
    balancer. Fifty attempts get an answer; the rest are refused, and another client logs in as usual."""
    names = [f"spray-{uuid.uuid4().hex[:8]}" for _ in range(CLIENT_ALLOWANCE + 2)]
    sprayer = Visitor(topology, client_address=with_time_to_spare(a_client_address, seconds=40))

    answers = []
    started = time.monotonic()
    for index, name in enumerate(names):
        # A pace, not a wait for anything to happen: the suite's replicas hash with MD5, far faster than that.
        due = started + (index - LOAD_BALANCER_BURST // 2) / LOAD_BALANCER_RATE
        time.sleep(max(0.0, due - time.monotonic()))
        sprayer.http.cookies.pop("shop_route", None)  # no sticky route: nginx spreads the attempts
        answers.append(sprayer.log_in(name, "Winter2026!").status_code)

    assert answers.count(429) == 2 and answers[:CLIENT_ALLOWANCE] == [200] * CLIENT_ALLOWANCE, answers
    assert Visitor(topology, client_address=a_client_address()).log_in(new_user(topology), PASSWORD).status_code == 302
