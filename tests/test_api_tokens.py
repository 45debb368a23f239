"""API tokens: the JSON API's bearer tokens, issued by one replica and presented to any."""

import pytest
import requests

from harness import ApiClient, Visitor


def api_user(topology) -> str:
    """A new account, signed up through the web pages."""
    return Visitor(topology.replica(0)).sign_up()


def test_when_a_token_is_issued_by_one_replica_then_the_other_accepts_it(topology):
    """You get an access token from replica A; replica B knows who you are from it."""
    username = api_user(topology)
    client = ApiClient(topology.replica(0)).log_in(username)

    response = client.at(topology.replica(1)).me()

    assert response.status_code == 200
    assert response.json()["username"] == username


def test_when_a_token_is_refreshed_on_the_other_replica_then_the_new_pair_works_everywhere(topology):
    """A refresh token from replica A is exchanged on replica B; the new access token works on both."""
    client = ApiClient(topology.replica(0)).log_in(api_user(topology))
    old_refresh = client.tokens["refresh"]

    response = client.at(topology.replica(1)).refresh(old_refresh)

    assert response.status_code == 200
    new = response.json()["access"]
    assert [client.at(topology.replica(i)).me(new).status_code for i in range(2)] == [200, 200]
    assert client.refresh(old_refresh).status_code == 401


def test_when_logged_out_on_one_replica_then_the_other_refuses_both_tokens(topology):
    """Logging out on replica A revokes your tokens on replica B too, at once."""
    client = ApiClient(topology.replica(0)).log_in(api_user(topology))
    on_b = client.at(topology.replica(1))
    assert on_b.me().status_code == 200

    assert client.logout().status_code in (200, 205)

    assert on_b.me().status_code == 401
    assert on_b.refresh().status_code == 401


def journey(topology, http) -> list[int]:
    """Obtain, read /api/me eight times, refresh, read twice more, log out, try both tokens again."""
    client = ApiClient(topology, http).log_in(api_user(topology))
    statuses = [client.me().status_code for _ in range(8)]
    statuses.append(client.refresh().status_code)
    statuses += [client.me().status_code for _ in range(2)]
    statuses.append(client.logout().status_code)
    statuses += [client.me().status_code, client.refresh().status_code]
    return statuses


EXPECTED_JOURNEY = [200] * 8 + [200] * 3 + [200] + [401, 401]


@pytest.mark.load_balanced
def test_an_api_client_without_cookies_keeps_working_through_the_load_balancer(topology):
    """A client that keeps no cookies (curl, a phone app) signs in, works, refreshes and logs out."""
    assert journey(topology, requests) == EXPECTED_JOURNEY


@pytest.mark.load_balanced
def test_an_api_client_that_keeps_cookies_keeps_working_through_the_load_balancer(topology):
    """The same journey from a client that keeps cookies, as a browser's fetch() does."""
    assert journey(topology, requests.Session()) == EXPECTED_JOURNEY
