"""API tokens: the JSON API's bearer tokens, issued by one replica and presented to any."""

import pytest
import requests

from harness import PASSWORD, ApiClient, Visitor


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


def test_when_logged_out_then_access_tokens_from_before_the_last_refresh_are_refused_too(topology):
    """An access token you had before refreshing (a copy in another tab) dies at logout with the rest
    of that login, at once, not five minutes later when it would have expired."""
    client = ApiClient(topology.replica(0)).log_in(api_user(topology))
    earlier = client.access
    assert client.refresh().status_code == 200

    assert client.logout().status_code in (200, 205)

    assert [client.at(topology.replica(i)).me(earlier).status_code for i in range(2)] == [401, 401]


def test_when_logged_out_everywhere_on_one_replica_then_every_login_is_refused_on_the_other(topology):
    """Your phone logged in on replica B; from your laptop on replica A you log out everywhere: the
    phone's tokens are refused on B at once, and the laptop's too."""
    username = api_user(topology)
    phone = ApiClient(topology.replica(1)).log_in(username)
    laptop = ApiClient(topology.replica(0)).log_in(username)
    assert phone.me().status_code == 200

    assert laptop.logout_everywhere().status_code == 200

    assert [phone.me().status_code, phone.refresh().status_code] == [401, 401]
    assert [laptop.me().status_code, laptop.refresh().status_code] == [401, 401]


def test_when_a_refresh_token_is_used_again_on_the_other_replica_then_its_whole_login_is_refused(topology):
    """A stolen copy of a refresh token you have already rotated is presented on replica B: it is
    refused, and so is every token of that login on replica A, the new pair you got from it too."""
    client = ApiClient(topology.replica(0)).log_in(api_user(topology))
    stolen = client.tokens["refresh"]
    assert client.refresh().status_code == 200

    assert client.at(topology.replica(1)).refresh(stolen).status_code == 401

    assert [client.me().status_code, client.refresh().status_code] == [401, 401]


def operator(topology, username: str, change: str) -> None:
    """`manage.py shell` with the replicas' settings, changing the account through the model as the admin does."""
    user = f"from django.contrib.auth.models import User; user = User.objects.get(username='{username}')"
    topology.manage("shell", "-c", f"{user}; {change}; user.save()")


@pytest.mark.local_only  # the operator's shell
def test_when_the_password_is_changed_then_every_token_of_the_account_is_refused(topology):
    """Tokens from logins on both replicas stop working when the password changes (here by an
    operator); the new password gets a pair that works."""
    username = api_user(topology)
    clients = [ApiClient(topology.replica(i)).log_in(username) for i in range(2)]

    operator(topology, username, "user.set_password('a-new-password-for-the-api')")

    assert [client.me().status_code for client in clients] == [401, 401]
    assert [client.refresh().status_code for client in clients] == [401, 401]
    assert ApiClient(topology.replica(1)).obtain(username, PASSWORD).status_code == 401
    assert ApiClient(topology.replica(1)).log_in(username, "a-new-password-for-the-api").me().status_code == 200


@pytest.mark.local_only  # the operator's shell
def test_when_an_account_is_deactivated_then_its_tokens_stay_refused_after_it_is_reactivated(topology):
    """An operator deactivates an account: its tokens are refused, and activating it again does not
    bring them back; logging in again does."""
    username = api_user(topology)
    client = ApiClient(topology.replica(0)).log_in(username)

    operator(topology, username, "user.is_active = False")
    refused_while_inactive = client.me().status_code
    operator(topology, username, "user.is_active = True")

    assert [refused_while_inactive, client.me().status_code, client.refresh().status_code] == [401, 401, 401]
    assert ApiClient(topology.replica(1)).log_in(username).me().status_code == 200


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
