"""Sessions: who you are, remembered between requests."""

import pytest
import requests

from harness import Visitor


def test_when_logged_in_on_one_replica_then_the_other_knows_who_you_are(topology):
    """You log in on replica A; replica B still knows who you are."""
    visitor = Visitor(topology.replica(0).url)
    username = visitor.sign_up()

    assert visitor.at(topology.replica(1)).signed_in_as() == username


@pytest.mark.load_balanced
def test_when_logged_in_through_the_load_balancer_then_every_page_knows_you(visitor):
    """Logged in through the load balancer, you stay logged in on every page you open."""
    username = visitor.sign_up()

    seen = [visitor.signed_in_as() for _ in range(6)]

    assert seen == [username] * 6


def test_when_logging_in_then_the_session_cookie_changes(visitor):
    """Logging in gives you a new session cookie, so a cookie planted before login is worth nothing."""
    username = visitor.sign_up()
    visitor.post("/accounts/logout/")
    visitor.get("/accounts/login/")
    visitor.http.cookies.set("sessionid", "planted-by-an-attacker", domain="127.0.0.1", path="/")

    response = visitor.log_in(username)

    assert response.status_code == 302
    assert visitor.http.cookies.get("sessionid") not in (None, "planted-by-an-attacker")


def test_when_logged_out_then_no_replica_knows_you(topology):
    """After you log out, no replica treats you as logged in."""
    visitor = Visitor(topology.url)
    visitor.sign_up()

    visitor.post("/accounts/logout/")

    assert [visitor.at(topology.replica(i)).signed_in_as() for i in range(2)] == [None, None]


def test_every_response_names_the_replica_that_served_it(topology):
    """Every response says which replica served it, and new visitors are spread over all replicas."""
    served_by = {requests.get(f"{topology.url}/healthz", timeout=5).headers["X-Served-By"] for _ in range(20)}

    assert served_by == {r.name for r in topology.replicas}
