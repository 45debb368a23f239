"""Outages: when Redis or S3 stops answering, the shop says so at once, then recovers on its own.

Only after/ depends on Redis and S3, so the outage tests run on after-* only (before/ would pass
them without being tested), and only on the local topologies, whose services the suite can stop.
Every replica's /readyz is checked everywhere. The tests talk to replica A
directly: nginx counts a 503 as a failed replica (proxy_next_upstream http_503), and what is measured
here is the replica's answer.
"""

import time

import pytest
import requests

from harness import ApiClient, LiveSocket, Visitor, a_picture, wait_until

# Redis is asked with 1 s socket timeouts. S3 gets up to three attempts, with at most 1 + 2 s of backoff.
REDIS_ANSWERS_WITHIN = 3.0
S3_ANSWERS_WITHIN = 5.0
RECOVERS_WITHIN = 5.0


class Outage:
    """Stops a shared service of the topology and starts it again on the same port."""

    def __init__(self, topology):
        self.topology = topology
        self.down: set[str] = set()

    def begin(self, service: str) -> None:
        self.topology.stop_service(service)
        self.down.add(service)

    def end(self, service: str) -> None:
        self.down.discard(service)
        self.topology.start_service(service)


def stops_shared_services(test):
    """after/ alone depends on Redis and S3; the local topologies alone let the suite stop them."""
    return pytest.mark.trees("after")(pytest.mark.local_only(test))


@pytest.fixture
def outage(topology):
    outage = Outage(topology)
    yield outage
    for service in list(outage.down):
        outage.end(service)


def timed(request):
    """The response of a request, and the seconds it took."""
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def readiness(replica) -> tuple[int, dict]:
    response = requests.get(f"{replica.url}/readyz", timeout=20)
    return response.status_code, response.json()


def test_when_everything_is_up_then_every_replica_is_ready(topology):
    """Each replica's /readyz answers 200 and lists every service it depends on as ok."""
    for replica in topology.replicas:
        status, report = readiness(replica)

        assert status == 200, f"{replica.name}: {report}"
        assert "database" in report and set(report.values()) == {"ok"}, f"{replica.name}: {report}"


@stops_shared_services
def test_when_redis_is_down_then_your_pages_answer_503_at_once_and_come_back_when_it_does(topology, outage):
    """With Redis stopped, your cart page is a quick 503 with Retry-After naming Redis, and /readyz says
    redis is down; once Redis is back, the same page works again, still logged in, within seconds."""
    visitor = Visitor(topology.replica(0).url)
    username = visitor.sign_up()

    outage.begin("redis")
    page, seconds = timed(lambda: visitor.get("/cart/"))

    assert page.status_code == 503, f"{page.status_code} {page.text[:200]}"
    assert seconds < REDIS_ANSWERS_WITHIN, f"the 503 took {seconds:.1f}s"
    assert page.headers.get("Retry-After", "").isdigit()
    assert "Redis" in page.text
    for replica in topology.replicas:
        assert readiness(replica) == (503, {"database": "ok", "redis": "down", "s3": "ok"})

    outage.end("redis")

    wait_until(lambda: visitor.signed_in_as() == username, what="the cart page after Redis", deadline=RECOVERS_WITHIN)
    assert [readiness(replica)[0] for replica in topology.replicas] == [200] * len(topology.replicas)


@stops_shared_services
def test_when_redis_comes_back_then_an_open_page_shows_the_stock_changed_meanwhile(topology, outage):
    """You keep a product page open on replica A through a Redis outage. As soon as the shop answers
    again, staff change the stock on replica B, maybe before replica A has subscribed to Redis again
    (pub/sub keeps nothing for a subscriber that is away): your page still ends on the new figure."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)

    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        first = socket.next()
        outage.begin("redis")
        wait_until(lambda: readiness(topology.replica(0))[1].get("redis") == "down", what="replica A without Redis")
        outage.end("redis")
        change = f"/staff/products/{product_id}/stock/"
        wait_until(lambda: staff.post(change, {"stock": "42"}).status_code == 302, what="a stock change after Redis")
        seen = socket.until(lambda message: message["stock"] == 42, deadline=RECOVERS_WITHIN)

    assert first["stock"] == 5
    assert seen and seen[-1]["stock"] == 42, f"the page saw {seen}"


@stops_shared_services
def test_when_redis_restarted_while_no_page_was_open_then_the_next_page_still_follows_the_stock(topology, outage):
    """A product page was open on replica A and closed. Redis restarts while no page is open there.
    The next page you open on A gets the stock, and then the change staff make on replica B."""
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    product_id, _ = staff.create_product(stock=5)
    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        socket.next()

    outage.begin("redis")
    outage.end("redis")
    wait_until(lambda: staff.get("/cart/").status_code == 200, what="the shop after Redis", deadline=RECOVERS_WITHIN)

    with LiveSocket(topology.replica(0), f"/ws/products/{product_id}/") as socket:
        first = socket.next()
        changed = staff.post(f"/staff/products/{product_id}/stock/", {"stock": "42"})
        seen = socket.until(lambda message: message["stock"] == 42, deadline=RECOVERS_WITHIN)

    assert first["stock"] == 5
    assert changed.status_code == 302
    assert seen and seen[-1]["stock"] == 42, f"the page saw {seen}"


@stops_shared_services
def test_when_redis_is_down_then_no_one_logs_in_unlimited(topology, outage):
    """With Redis stopped, the failed-login counter cannot be read, so even the right password gets a
    quick 503 instead of a login the rate limit never saw."""
    username = Visitor(topology.replica(0).url).sign_up()
    visitor = Visitor(topology.replica(0).url)
    visitor.get("/accounts/login/")

    outage.begin("redis")
    response, seconds = timed(lambda: visitor.log_in(username))

    assert response.status_code == 503, f"{response.status_code} {response.text[:200]}"
    assert seconds < REDIS_ANSWERS_WITHIN, f"the 503 took {seconds:.1f}s"

    outage.end("redis")

    wait_until(lambda: visitor.log_in(username).status_code == 302, what="login after Redis", deadline=RECOVERS_WITHIN)


@stops_shared_services
def test_when_redis_is_down_then_api_tokens_keep_working_because_revocations_live_in_the_database(topology, outage):
    """With Redis stopped, a valid access token still reads /api/me, refreshes and logs out, and the
    logged-out token is refused: revocations are in the database the request reads anyway."""
    client = ApiClient(topology.replica(0)).log_in(Visitor(topology.replica(0)).sign_up())

    outage.begin("redis")
    before_logout = [client.me().status_code, client.refresh().status_code, client.me().status_code]
    access = client.access
    logged_out = client.logout().status_code

    assert before_logout == [200, 200, 200]
    assert logged_out == 200
    assert client.me(access).status_code == 401


@stops_shared_services
def test_when_s3_is_down_then_uploading_a_picture_answers_503_at_once_and_works_again_when_it_is_back(topology, outage):
    """With S3 stopped, a staff upload is a quick 503 naming S3 and /readyz says s3 is down, while the
    product page still opens; once S3 is back, the same upload succeeds and the picture is served."""
    staff = Visitor(topology.replica(0).url)
    staff.log_in_as_staff()
    product_id, slug = staff.create_product(stock=3)

    outage.begin("s3")
    response, seconds = timed(lambda: staff.upload_picture(product_id, a_picture("#3366ff")))

    assert response.status_code == 503, f"{response.status_code} {response.text[:200]}"
    assert seconds < S3_ANSWERS_WITHIN, f"the 503 took {seconds:.1f}s"
    assert response.headers.get("Retry-After", "").isdigit()
    assert "S3" in response.text
    assert staff.get(f"/products/{slug}/").status_code == 200
    for replica in topology.replicas:
        assert readiness(replica) == (503, {"database": "ok", "redis": "ok", "s3": "down"})

    outage.end("s3")

    wait_until(
        lambda: staff.upload_picture(product_id, a_picture("#3366ff")).status_code == 302,
        what="an upload after S3",
        deadline=RECOVERS_WITHIN,
    )
    url = staff.picture_url(slug)
    assert url and staff.fetch(url).status_code == 200
    assert [readiness(replica)[0] for replica in topology.replicas] == [200] * len(topology.replicas)
