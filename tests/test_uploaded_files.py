"""Uploaded files: the pictures staff upload for products, shown to every visitor."""

import time

from harness import Visitor, a_picture, picture_colour, picture_in, wait_until


def colour_of(response) -> tuple[int, int, int]:
    return picture_colour(response.content)


def staff_on(replica) -> Visitor:
    return Visitor(replica).log_in_as_staff()


def test_when_a_picture_is_uploaded_on_one_replica_then_the_other_serves_it(topology):
    """Staff upload a product picture on replica A; the product page on replica B shows it, and it loads."""
    staff = staff_on(topology.replica(0))
    product_id, slug = staff.create_product(stock=1)

    assert staff.upload_picture(product_id, a_picture("#ff0000")).status_code == 302

    reader = Visitor(topology.replica(1).url)
    url = reader.picture_url(slug)
    assert url, "replica B's product page shows no picture"
    picture = reader.fetch(url)
    assert picture.status_code == 200
    assert colour_of(picture) == (255, 0, 0)


def test_when_a_picture_is_uploaded_then_every_visitor_through_the_load_balancer_sees_it(topology):
    """After staff upload a picture, new visitors through the load balancer see it, whichever replica serves them."""
    staff = staff_on(topology.replica(0))
    product_id, slug = staff.create_product(stock=1)
    assert staff.upload_picture(product_id, a_picture("#00ff00")).status_code == 302

    served_by, loaded = set(), []
    for _ in range(40):
        visitor = Visitor(topology.url)
        page = visitor.get(f"/products/{slug}/")
        served_by.add(page.headers["X-Served-By"])
        url = picture_in(page.text)
        # Twice, as a reload does: through the load balancer the two loads may land on different replicas.
        loaded.append(url is not None and [visitor.fetch(url).status_code for _ in range(2)] == [200, 200])
        if served_by == {r.name for r in topology.replicas}:
            break

    assert all(loaded), f"{loaded.count(False)} of {len(loaded)} visitors got no picture"
    assert served_by == {r.name for r in topology.replicas}


def test_a_picture_keeps_one_address_for_every_visitor_and_every_visit(topology):
    """A product picture has one address, whoever looks and whenever, so browsers and CDNs can cache it.
    The second look comes a clock second later, on the other replica: a presigned URL would differ."""
    staff = staff_on(topology.replica(0))
    product_id, slug = staff.create_product(stock=1)
    assert staff.upload_picture(product_id, a_picture("#ff00ff")).status_code == 302

    first_second = int(time.time())
    first = staff.picture_url(slug)
    wait_until(lambda: int(time.time()) > first_second, what="the next second", deadline=2)
    second = Visitor(topology.replica(1).url).picture_url(slug)

    assert first and first == second


def test_a_file_that_is_not_an_image_is_refused_with_a_reason(topology):
    """A file named photo.png that is not a picture gets 400 with a reason, and the product keeps no picture."""
    staff = staff_on(topology.replica(0))
    product_id, slug = staff.create_product(stock=1)

    response = staff.upload_picture(product_id, b"GIF89a/*\x00\x00*/=alert(document.domain);//")

    assert response.status_code == 400
    assert "not an image" in response.text
    assert staff.picture_url(slug) is None


def test_a_picture_over_5_mb_is_refused_as_too_large(topology):
    """A picture over 5 MB gets 413 with a reason from the shop, not a crash, and nothing is saved."""
    staff = staff_on(topology.replica(0))
    product_id, slug = staff.create_product(stock=1)

    response = staff.upload_picture(product_id, a_picture("#0000ff") + b"\0" * (5 * 1024 * 1024 + 512 * 1024))

    assert response.status_code == 413
    assert "larger than 5 MB" in response.text
    assert staff.picture_url(slug) is None


def test_the_same_filename_uploaded_twice_is_stored_as_two_pictures(topology):
    """Two uploads both called photo.png stay two pictures: the second does not overwrite the first."""
    staff = staff_on(topology.replica(0))
    red_id, red_slug = staff.create_product(stock=1)
    blue_id, blue_slug = staff.create_product(stock=1)

    staff.upload_picture(red_id, a_picture("#ff0000"), filename="photo.png")
    staff.upload_picture(blue_id, a_picture("#0000ff"), filename="photo.png")

    red_url, blue_url = staff.picture_url(red_slug), staff.picture_url(blue_slug)
    assert red_url and blue_url and red_url != blue_url
    assert "photo" not in red_url
    assert colour_of(staff.fetch(red_url)) == (255, 0, 0)
    assert colour_of(staff.fetch(blue_url)) == (0, 0, 255)
