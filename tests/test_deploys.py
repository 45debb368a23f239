"""Deploys: replacing and adding replicas while people are using the shop."""

from tests.client import Visitor


def test_when_every_replica_is_replaced_then_users_stay_logged_in(topology):
    """After a redeploy replaces every replica (and its disk), you are still logged in."""
    visitor = Visitor(topology.url)
    username = visitor.sign_up()

    topology.redeploy()

    assert [visitor.at(r).signed_in_as() for r in topology.replicas] == [username] * len(topology.replicas)


def test_when_a_replica_is_added_then_it_serves_existing_users_at_once(topology):
    """A replica added to absorb load knows the users who logged in before it started."""
    visitor = Visitor(topology.url)
    username = visitor.sign_up()
    count = len(topology.replicas)

    topology.scale_to(count + 1)
    try:
        assert visitor.at(topology.replicas[-1]).signed_in_as() == username
    finally:
        topology.scale_to(count)
