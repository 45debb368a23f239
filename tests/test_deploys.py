"""Deploys: replacing and adding replicas while people are using the shop."""

import pytest

from harness import Visitor, a_picture


def test_when_every_replica_is_replaced_then_users_stay_logged_in(topology):
    """After a redeploy replaces every replica (and its disk), you are still logged in, and uploaded
    pictures and generated invoices are still there."""
    visitor = Visitor(topology.url)
    username = visitor.sign_up()
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, slug = staff.create_product(stock=5)
    assert staff.upload_picture(product_id, a_picture("#ff8800")).status_code == 302
    buyer = Visitor(topology.replica(0).url)
    buyer.sign_up()
    order_id = buyer.place_order(product_id)
    buyer.generate_invoice(order_id)

    topology.redeploy()

    assert [visitor.at(r).signed_in_as() for r in topology.replicas] == [username] * len(topology.replicas)
    for replica in topology.replicas:
        reader = Visitor(replica.url)
        url = reader.picture_url(slug)
        assert url and reader.fetch(url).status_code == 200, f"no picture on {replica.name}"
        assert buyer.at(replica).get(f"/orders/{order_id}/invoice/").status_code == 200, f"no invoice on {replica.name}"


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


@pytest.mark.local_only  # a container's disk is not the suite's to read
def test_a_replica_keeps_nothing_on_its_own_disk(topology):
    """After signing up, filling a cart, uploading a picture and generating an invoice, no replica has
    written a single file to its own disk, so losing that disk loses nothing."""
    visitor = Visitor(topology.replica(0).url)
    visitor.sign_up()
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    assert staff.upload_picture(product_id, a_picture("#00aa55")).status_code == 302
    visitor.generate_invoice(visitor.place_order(product_id))

    # Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE spill to the system temp dir, and Django deletes them after the request.
    written = [str(path) for r in topology.replicas for path in r.instance_dir.rglob("*") if path.is_file()]

    assert written == []
