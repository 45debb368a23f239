"""API tokens: the JSON API's bearer tokens, issued by one replica and presented to any."""

import requests

from tests.client import PASSWORD, Visitor


def api_user(topology) -> str:
    """A new account, signed up through the web pages."""
    return Visitor(topology.replica(0).url).sign_up()


def obtain(base_url: str, username: str, http=requests) -> dict:
    response = http.post(f"{base_url}/api/auth/token", json={"username": username, "password": PASSWORD}, timeout=10)
    assert response.status_code == 200, f"{response.status_code} {response.text[:200]}"
    return response.json()


def me(base_url: str, access: str, http=requests) -> requests.Response:
    return http.get(f"{base_url}/api/me", headers={"Authorization": f"Bearer {access}"}, timeout=10)


def refresh(base_url: str, token: str, http=requests) -> requests.Response:
    return http.post(f"{base_url}/api/auth/token/refresh", json={"refresh": token}, timeout=10)


def logout(base_url: str, tokens: dict, http=requests) -> requests.Response:
    return http.post(
        f"{base_url}/api/auth/logout",
        json={"refresh": tokens["refresh"]},
        headers={"Authorization": f"Bearer {tokens['access']}"},
        timeout=10,
    )


def test_when_a_token_is_issued_by_one_replica_then_the_other_accepts_it(topology):
    """You get an access token from replica A; replica B knows who you are from it."""
    username = api_user(topology)
    tokens = obtain(topology.replica(0).url, username)

    response = me(topology.replica(1).url, tokens["access"])

    assert response.status_code == 200
    assert response.json()["username"] == username


def test_when_a_token_is_refreshed_on_the_other_replica_then_the_new_pair_works_everywhere(topology):
    """A refresh token from replica A is exchanged on replica B; the new access token works on both."""
    username = api_user(topology)
    tokens = obtain(topology.replica(0).url, username)

    response = refresh(topology.replica(1).url, tokens["refresh"])

    assert response.status_code == 200
    new = response.json()
    assert [me(topology.replica(i).url, new["access"]).status_code for i in range(2)] == [200, 200]
    assert refresh(topology.replica(0).url, tokens["refresh"]).status_code == 401


def test_when_logged_out_on_one_replica_then_the_other_refuses_both_tokens(topology):
    """Logging out on replica A revokes your tokens on replica B too, at once."""
    username = api_user(topology)
    tokens = obtain(topology.replica(0).url, username)
    assert me(topology.replica(1).url, tokens["access"]).status_code == 200

    assert logout(topology.replica(0).url, tokens).status_code in (200, 205)

    assert me(topology.replica(1).url, tokens["access"]).status_code == 401
    assert refresh(topology.replica(1).url, tokens["refresh"]).status_code == 401


def journey(topology, http) -> list[int]:
    """Obtain, read /api/me eight times, refresh, read twice more, log out, try both tokens again."""
    username = api_user(topology)
    tokens = obtain(topology.url, username, http)
    statuses = [me(topology.url, tokens["access"], http).status_code for _ in range(8)]
    response = refresh(topology.url, tokens["refresh"], http)
    statuses.append(response.status_code)
    if response.status_code == 200:
        tokens = response.json()
    statuses += [me(topology.url, tokens["access"], http).status_code for _ in range(2)]
    statuses.append(logout(topology.url, tokens, http).status_code)
    statuses += [
        me(topology.url, tokens["access"], http).status_code,
        refresh(topology.url, tokens["refresh"], http).status_code,
    ]
    return statuses


EXPECTED_JOURNEY = [200] * 8 + [200] * 3 + [200] + [401, 401]


def test_an_api_client_without_cookies_keeps_working_through_the_load_balancer(topology):
    """A client that keeps no cookies (curl, a phone app) signs in, works, refreshes and logs out."""
    assert journey(topology, requests) == EXPECTED_JOURNEY


def test_an_api_client_that_keeps_cookies_keeps_working_through_the_load_balancer(topology):
    """The same journey from a client that keeps cookies, as a browser's fetch() does."""
    assert journey(topology, requests.Session()) == EXPECTED_JOURNEY
