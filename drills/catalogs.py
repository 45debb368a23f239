"""Bad-input catalogs: each case is tried against after x2 and must be refused with a 4xx, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import math
import re
import time
import uuid
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions
import jwt
import requests
from PIL import Image, ImageCms
from websockets.exceptions import ConnectionClosed, InvalidStatus

from drills.report import Report, statuses
from harness import (
    PASSWORD,
    ApiClient,
    LiveSocket,
    Visitor,
    a_client_address,
    a_picture,
    picture_colour,
    wait_until,
    with_time_to_spare,
)

TIMEOUT = 15
# HS512 with the shared key is one of the forgeries; PyJWT's warning about its length is expected.
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hmac_signed(header: dict, claims: dict, key: str) -> str:
    """A JWT whose header says one algorithm while its signature is HMAC-SHA256 with the shared key."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def api_me(target, access: str) -> int:
    return ApiClient(target).me(access).status_code


def api_refresh(target, refresh: str) -> requests.Response:
    return ApiClient(target).refresh(refresh)


# -- tokens --------------------------------------------------------------------------------------


def tokens(topology, report: Report) -> None:
    a, b = topology.replica(0).url, topology.replica(1).url
    key = topology.environment()["JWT_SIGNING_KEY"]
    username = Visitor(a).sign_up()
    pair = ApiClient(a).log_in(username).tokens
    claims = jwt.decode(pair["access"], options={"verify_signature": False})
    header_b64, payload_b64, signature_b64 = pair["access"].split(".")

    def forged(**changes) -> str:
        return jwt.encode({**claims, "jti": uuid.uuid4().hex, **changes}, key, algorithm="HS256")

    def unsigned(alg: str) -> str:
        return f"{b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{payload_b64}."

    other = {**claims, "user_id": str(int(claims["user_id"]) + 1) if str(claims["user_id"]).isdigit() else "1"}
    now = int(time.time())
    other_payload = b64(json.dumps(other).encode())
    cases = {
        "tampered payload (another user_id, old signature)": f"{header_b64}.{other_payload}.{signature_b64}",
        "signature stripped": f"{header_b64}.{payload_b64}.",
        "signature truncated": f"{header_b64}.{payload_b64}.{signature_b64[:-6]}",
        "alg none": unsigned("none"),
        "alg None": unsigned("None"),
        "alg NONE": unsigned("NONE"),
        "alg nOnE": unsigned("nOnE"),
        "HS/RS confusion: RS256 header, HMAC signature": hmac_signed({"alg": "RS256", "typ": "JWT"}, claims, key),
        "HS512 with the right key (not the pinned HS256)": jwt.encode(claims, key, algorithm="HS512"),
        "signed with another key": jwt.encode(claims, "not-the-key-" * 4, algorithm="HS256"),
        "expired (forged with the real key)": forged(exp=now - 60, iat=now - 400),
        "nbf in the future": forged(nbf=now + 3600),
        "wrong audience": forged(aud="someone-else"),
        "no audience": {k: v for k, v in claims.items() if k != "aud"},
        "wrong issuer": forged(iss="evil"),
        "refresh token used as access": pair["refresh"],
    }
    row = report.row("tokens", "forged, tampered or misused access tokens on /api/me", hard=True)
    # The control: a token forged with the real key and untouched claims is accepted, so the forged
    # cases below are refused for the one claim they change.
    control = api_me(b, forged())
    row.count(control == 200, control)
    seen = []
    for name, token in cases.items():
        if isinstance(token, dict):
            token = jwt.encode({**token, "jti": uuid.uuid4().hex}, key, algorithm="HS256")
        for base in (a, b):
            status = api_me(base, token)
            seen.append(status)
            row.count(status == 401, status)
            if status != 401:
                row.note += f"{name}: {status}; "
    row.note = f"{len(cases)} kinds on both replicas: {statuses(seen)}; control {control}" + (
        f"; accepted: {row.note}" if row.note else ""
    )

    row = report.row("tokens", "access token presented as a refresh token", hard=True)
    status = api_refresh(b, pair["access"]).status_code
    row.count(status == 401, status)
    row.note = f"{status}"

    # Revoked: logout on A, both tokens on B.
    client = ApiClient(a).log_in(username)
    pair2 = client.tokens
    client.logout()
    row = report.row("tokens", "revoked at logout on A, presented on B", hard=True)
    got = [api_me(b, pair2["access"]), api_refresh(b, pair2["refresh"]).status_code]
    for status in got:
        row.count(status == 401, status)
    row.note = f"access, refresh: {statuses(got)}"

    row = report.row("tokens", "refresh token reused after rotation", hard=True)
    pair3 = ApiClient(a).log_in(username).tokens
    first = api_refresh(a, pair3["refresh"]).status_code
    again = api_refresh(b, pair3["refresh"]).status_code
    row.count(first == 200 and again == 401, again)
    row.note = f"first {first}, reuse {again}"

    row = report.row("tokens", "20 parallel refreshes of one token over both replicas", hard=True)
    pair4 = ApiClient(a).log_in(username).tokens
    with ThreadPoolExecutor(20) as pool:
        got = list(pool.map(lambda i: api_refresh((a, b)[i % 2], pair4["refresh"]).status_code, range(20)))
    winners = got.count(200)
    for status in got:
        row.count(status in (200, 401), status)
    row.failed = winners > 1
    row.note = f"{winners} succeeded (target: at most 1); {statuses(got)}"

    row = report.row("tokens", "garbage and oversized Authorization headers", hard=True)
    headers = {
        "Bearer": 401,
        "Bearer ": 401,
        "Bearer  x": 401,
        "Basic dXNlcjpwYXNz": 401,
        "Bearer a.b.c": 401,
        "Bearer ....": 401,
        f"Bearer {pair['access']} extra": 401,
        "Bearer " + "A" * 7000: 401,  # within nginx's header buffers: reaches the app
        "Bearer " + "A" * 20000: 400,  # past them: nginx answers 400 itself
    }
    seen = []
    for value, wanted in headers.items():
        status = requests.get(f"{topology.url}/api/me", headers={"Authorization": value}, timeout=TIMEOUT).status_code
        seen.append(status)
        row.count(status == wanted, status)
    # Non-ASCII bytes in the header, sent raw.
    status = requests.get(
        f"{topology.url}/api/me", headers={"Authorization": "Bearer ü€".encode()}, timeout=TIMEOUT
    ).status_code
    seen.append(status)
    row.count(status in (400, 401), status)
    row.note = statuses(seen)

    # Deactivated, then deleted: both through manage.py shell, as an operator would.
    victim = Visitor(a).sign_up()
    pair5 = ApiClient(a).log_in(victim).tokens
    row = report.row("tokens", "user deactivated, then deleted: access and refresh", hard=True)
    users = f"from django.contrib.auth.models import User; users = User.objects.filter(username='{victim}')"
    topology.manage("shell", "-c", f"{users}; users.update(is_active=False)")
    got = [api_me(b, pair5["access"]), api_refresh(b, pair5["refresh"]).status_code]
    pair6 = None
    topology.manage("shell", "-c", f"{users}; users.update(is_active=True)")
    pair6 = ApiClient(a).log_in(victim).tokens
    topology.manage("shell", "-c", f"{users}; users.delete()")
    got += [api_me(b, pair6["access"]), api_refresh(b, pair6["refresh"]).status_code]
    for status in got:
        row.count(status == 401, status)
    row.note = f"deactivated access, refresh; deleted access, refresh: {got}"


# -- uploads -------------------------------------------------------------------------------------


def uploads(topology, report: Report) -> None:
    staff = Visitor(topology.url)
    staff.log_in_as_staff()
    product_id, slug = staff.create_product(stock=5)
    png = a_picture("red")

    row = report.row("uploads", "over the size limit: 7 MB at nginx, 5.5 MB at the app", hard=True)
    at_nginx = staff.upload_picture(product_id, b"\0" * (7 * 1024 * 1024)).status_code
    at_app = staff.at(topology.replica(0)).upload_picture(product_id, png + b"\0" * (5_500_000)).status_code
    row.count(at_nginx == 413, at_nginx)
    row.count(at_app == 413, at_app)
    row.note = f"nginx {at_nginx}, app {at_app}"

    row = report.row("uploads", "not an image: text, SVG with script, zero bytes, truncated PNG", hard=True)
    bad = {
        "notes.png": b"just some text, not a picture",
        "logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "logo.png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "empty.png": b"",
        "half.png": png[: len(png) // 2],
    }
    seen = []
    for name, data in bad.items():
        status = staff.upload_picture(product_id, data, filename=name).status_code
        seen.append(status)
        row.count(status == 400, status)
    row.note = statuses(seen)

    row = report.row("uploads", "polyglot: a PNG with HTML and a zip appended", hard=True)
    payload = b"<script>alert('polyglot')</script>PK\x03\x04polyglot-zip"
    status = staff.upload_picture(product_id, png + payload, filename="poly.png").status_code
    url = staff.picture_url(slug)
    stored = staff.fetch(url).content if url else b""
    row.count(status == 302 and url is not None and b"polyglot" not in stored, status)
    kept = "kept!" if b"polyglot" in stored else "gone"
    row.note = f"{status}; the stored copy is re-encoded ({len(stored)} bytes, payload {kept})"

    row = report.row("uploads", "metadata: a JPEG and a GIF comment carrying <script>, a PNG ICC profile", hard=True)
    kept = []
    for fmt, extra in pictures_with_metadata().items():
        status = staff.upload_picture(product_id, extra, filename=f"meta.{fmt.lower()}").status_code
        url = staff.picture_url(slug)
        stored = Image.open(io.BytesIO(staff.fetch(url).content)) if status == 302 and url else None
        left = sorted({"comment", "icc_profile", "exif"} & set(stored.info)) if stored else ["not stored"]
        row.count(status == 302 and not left, status)
        kept.append(f"{fmt} {status}, metadata kept: {', '.join(left) or 'none'}")
    row.note = "; ".join(kept)

    row = report.row("uploads", "hostile filenames: traversal, 300 characters, Unicode, NUL", hard=True)
    names = ["../../../etc/passwd.png", "x" * 300 + ".png", "фото 写真 📷.png", "..\\..\\boot.ini.png", "a\0b.png"]
    notes = []
    for name in names:
        status = staff.upload_picture(product_id, a_picture("blue"), filename=name).status_code
        url = staff.picture_url(slug) or ""
        key = re.search(r"/(products/[^?]+)", url)
        safe = status == 302 and bool(key) and re.fullmatch(r"products/[A-Za-z0-9_-]+\.\w+", key.group(1))
        row.count(bool(safe) or status == 400, status)
        notes.append(str(status))
    row.note = f"{', '.join(notes)}; every stored key is products/<random>.<format>"

    row = report.row("uploads", "same filename by two staff sessions at once, through A and B", hard=True)
    other = Visitor(topology.replica(1).url)
    other.log_in_as_staff()
    second_id, second_slug = other.create_product(stock=5)
    jobs = [(staff.at(topology.replica(0)), product_id, "green"), (other, second_id, "yellow")]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda j: j[0].upload_picture(j[1], a_picture(j[2]), "same.png").status_code, jobs))
    urls = [staff.picture_url(slug), staff.picture_url(second_slug)]
    keys = {re.search(r"/(products/[^?]+)", u or "").group(1) for u in urls if u}
    colours = [picture_colour(staff.fetch(u).content) if u else None for u in urls]
    for status in got:
        row.count(status == 302, status)
    row.failed = len(keys) != 2 or colours != [(0, 128, 0), (255, 255, 0)]
    row.note = f"{statuses(got)}; {len(keys)} distinct objects, each with its own picture: {not row.failed}"

    row = report.row("uploads", "an invoice read straight from the bucket, without credentials", hard=True)
    owner = Visitor(topology.url)
    owner.sign_up()
    owner.generate_invoice(owner.place_order(product_id))
    env = topology.environment()
    bucket = env["AWS_STORAGE_BUCKET_NAME"]
    # No Prefix: moto's signature check gets a "/" in a query value wrong (SignatureDoesNotMatch).
    listed = topology.s3_client().list_objects_v2(Bucket=bucket)["Contents"]
    invoices = [item for item in listed if item["Key"].startswith("invoices/")]
    newest = max(invoices, key=lambda item: item["LastModified"])["Key"]
    url = f"{env['AWS_S3_PUBLIC_ENDPOINT_URL']}/{bucket}/{newest}"
    got = requests.get(url, timeout=TIMEOUT).status_code
    row.count(got == 403, got)
    row.note = f"{got}; the bucket policy makes products/* public, nothing else"

    row = report.row("uploads", "the bucket, as an attacker: writes, made-up keys, presigned URLs", hard=True)
    attempts = bucket_attempts(topology, bucket, newest)
    for status in attempts.values():
        row.count(status == 403, status)
    row.note = ", ".join(f"{name} {status}" for name, status in attempts.items())

    row = report.row("uploads", "another customer's invoice (GET and POST)", hard=True)
    owner, stranger = Visitor(topology.url), Visitor(topology.url)
    owner.sign_up()
    stranger.sign_up()
    order_id = owner.place_order(product_id)
    owner.generate_invoice(order_id)
    got = [
        stranger.get(f"/orders/{order_id}/invoice/").status_code,
        stranger.post(f"/orders/{order_id}/invoice/").status_code,
        stranger.get(f"/orders/{order_id}/").status_code,
    ]
    for status in got:
        row.count(status == 404, status)
    row.note = f"{got} (owner gets {owner.get(f'/orders/{order_id}/invoice/').status_code})"


def bucket_attempts(topology, bucket: str, invoice: str) -> dict[str, int]:
    """What S3 refuses (403) and moto alone would allow: the local S3 server enforces it (harness/s3.py)."""
    import boto3
    from botocore.config import Config

    env = topology.environment()
    base, config = env["AWS_S3_ENDPOINT_URL"], Config(signature_version="s3v4", s3={"addressing_style": "path"})

    def as_whom(key: str, secret: str):
        return boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret, config=config)  # fmt: skip

    def status_of(call) -> int:
        try:
            return call()["ResponseMetadata"]["HTTPStatusCode"]
        except botocore.exceptions.ClientError as exc:
            return exc.response["ResponseMetadata"]["HTTPStatusCode"]

    shop = topology.s3_client()
    signed = shop.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": invoice}, ExpiresIn=60)
    brief = shop.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": invoice}, ExpiresIn=1)
    attempts = {
        "anonymous PUT under products/": requests.put(f"{base}/{bucket}/products/x.png", data=b"x", timeout=TIMEOUT),
        "anonymous DELETE of a picture": requests.delete(f"{base}/{bucket}/products/x.png", timeout=TIMEOUT),
        "anonymous list": requests.get(f"{base}/{bucket}", timeout=TIMEOUT),
        "presigned URL, signature altered": requests.get(signed[:-4] + "0000", timeout=TIMEOUT),
        "presigned URL, another key": requests.get(signed.replace(invoice, "invoices/other.pdf"), timeout=TIMEOUT),
        "presigned URL, DELETE": requests.delete(signed, timeout=TIMEOUT),
    }
    statuses_by_case = {name: response.status_code for name, response in attempts.items()}
    statuses_by_case["presigned URL, expired"] = wait_until(
        lambda: (code := requests.get(brief, timeout=TIMEOUT).status_code) == 403 and code,
        what="a presigned URL to expire",
        deadline=10,
    )
    statuses_by_case["made-up access key"] = status_of(
        lambda: as_whom("made-up", "x" * 40).list_objects_v2(Bucket=bucket)
    )
    statuses_by_case["the shop's key, wrong secret"] = status_of(
        lambda: as_whom(env["AWS_ACCESS_KEY_ID"], "wrong-secret").get_object(Bucket=bucket, Key=invoice)
    )
    return statuses_by_case


def pictures_with_metadata() -> dict[str, bytes]:
    script = b"<script>alert('metadata')</script>"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pictures = {}
    for fmt, extra in {
        "JPEG": {"comment": script},
        "GIF": {"comment": script},
        "PNG": {"icc_profile": profile},
    }.items():
        out = io.BytesIO()
        Image.new("RGB", (16, 16), "purple").save(out, format=fmt, **extra)
        pictures[fmt] = out.getvalue()
    return pictures


# -- rate limits ---------------------------------------------------------------------------------

LOGIN_LIMIT = 5  # accounts.limits.ACCOUNT_ALLOWANCE: failed password attempts per account per minute
CLIENT_LIMIT = 50  # accounts.limits.client_allowance(): per client address per minute, over every account


def an_attacker_address() -> str:
    """A client address of the drill's own whose one-minute window will not end during a burst."""
    return with_time_to_spare(a_client_address, seconds=40)


def rate_limit_counters(topology) -> dict[bytes, int]:
    """Every django-ratelimit counter in Redis (after/) with its count."""
    client = topology.redis_client()
    try:
        return {key: int(client.get(key) or 0) for key in client.scan_iter(match="*ratelimit*", count=1000)}
    finally:
        client.close()


def judge_burst(row, *, past: int, tried: int, took: float, before: dict, after: dict) -> str:
    """Fail `row` if more attempts got past than the limit in each window the burst fell in; the figures.

    django-ratelimit counts in fixed one-minute windows whose edges it offsets per username, so a burst
    across an edge rightly gets the limit once in each window. Predicting the edge would copy the library's
    arithmetic; counting is exact instead: each window the burst fell in is a counter it created in Redis,
    holding the attempts counted there (the count of successes stays at 0). Each attempt is also counted
    once on the client's allowance, in one window (an_attacker_address): that counter holds `tried` and is
    set aside. A burst of `took` seconds meets at most 2 + took // 60 windows of one username: more
    counters, and the attempts were not counted under the account (a key read from a spoofable header, say).
    """
    counts = sorted(count for key, count in after.items() if key not in before and count > 0)
    client_counted = tried in counts
    if client_counted:
        counts.remove(tried)
    windows, allowed, most = len(counts), LOGIN_LIMIT * len(counts), 2 + int(took // 60)
    row.failed = not counts or not client_counted or windows > most or sum(counts) != tried or past > allowed
    return (
        f"{past} got past in {windows} window(s) (target: at most {LOGIN_LIMIT} per window, {allowed}); "
        f"counted in Redis per account {sum(counts)} of {tried} {counts}, per client {tried if client_counted else 0}"
        + (f"; more counters than the {most} windows a {took:.1f}s burst can meet" if windows > most else "")
    )


def failed_logins_burst(topology, report: Report) -> None:
    """50 failed logins at once for one user. On after x2 they alternate between A and B directly; a sticky
    topology is attacked through nginx, as an attacker would: each attempt brings a route cookie of its own
    (or none), so the hash spreads them over the replicas anyway."""
    username = f"target-{uuid.uuid4().hex[:8]}"
    Visitor(topology.replica(0).url).sign_up(username)
    bases = [topology.url] if topology.sticky else [topology.replica(0).url, topology.replica(1).url]
    address = an_attacker_address()  # one client, so each attempt is also counted on one client allowance
    attackers = [Visitor(bases[i % len(bases)], client_address=address) for i in range(50)]
    for attacker in attackers:
        attacker.get("/accounts/login/")  # the CSRF cookie first, so the burst is only the logins
    form = {"username": username, "password": "wrong-password"}
    in_memory = topology.tree == "before"  # process memory: no counter to read
    counters = {} if in_memory else rate_limit_counters(topology)
    started = time.monotonic()
    with ThreadPoolExecutor(50) as pool:
        # Each password check costs a PBKDF2 hash: fifty at once on two cores take a while.
        got = list(pool.map(lambda v: v.post("/accounts/login/", form, timeout=90), attackers))
    took = time.monotonic() - started
    past = Counter(response.headers.get("X-Served-By") for response in got if response.status_code != 429)
    spread = Counter(response.headers.get("X-Served-By") for response in got)
    codes = [response.status_code for response in got]
    row = report.row("rate limits", f"50 concurrent failed logins over A and B, limit {LOGIN_LIMIT}", hard=True)
    for status in codes:
        row.count(status in (200, 429), status)
    if in_memory:
        # The break: each replica allows the limit in its own memory, so more than one limit gets past in all,
        # yet no replica more than the limit per window it met (at most 2 + took // 60: more would be no limit).
        most = LOGIN_LIMIT * (2 + int(took // 60))
        row.failed = past.total() > LOGIN_LIMIT and max(past.values(), default=0) <= most
        figures = f"{past.total()} got past (target: {LOGIN_LIMIT} per window; each replica at most {most})"
    else:
        after = rate_limit_counters(topology)
        figures = judge_burst(row, past=past.total(), tried=len(got), took=took, before=counters, after=after)
    row.note = (
        f"{figures}; past per replica {sorted(past.values())}; {statuses(codes)} in {took:.1f}s; "
        f"attempts per replica {sorted(spread.values())}"
    )


def rate_limits(topology, report: Report) -> None:
    failed_logins_burst(topology, report)

    username = f"target-{uuid.uuid4().hex[:8]}"
    spoofer = Visitor(topology.url, client_address=an_attacker_address())
    spoofer.get("/accounts/login/")
    counters = rate_limit_counters(topology)
    started = time.monotonic()
    got = []
    for i in range(10):
        headers = {"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"198.51.100.{i}"}
        response = spoofer.post("/accounts/login/", {"username": username, "password": "x"}, headers=headers)
        got.append(response.status_code)
    took = time.monotonic() - started
    past = sum(status != 429 for status in got)
    row = report.row("rate limits", "10 failed logins, X-Forwarded-For spoofed on each", hard=True)
    for status in got:
        row.count(status in (200, 429), status)
    after = rate_limit_counters(topology)
    figures = judge_burst(row, past=past, tried=len(got), took=took, before=counters, after=after)
    row.note = f"{figures}; {statuses(got)}"

    every_door(topology, report)
    spellings(topology, report)
    spraying(topology, report)

    client = topology.redis_client()
    keys = [k for k in client.scan_iter(match="*ratelimit*", count=1000)]
    without = [k for k in keys if client.ttl(k) < 0]
    row = report.row("rate limits", "every rate-limit counter in Redis has a TTL", hard=True)
    row.tried, row.as_expected = len(keys), len(keys) - len(without)
    row.failed = not keys
    row.note = f"{len(keys)} counters, {len(without)} without TTL"
    client.close()


def every_door(topology, report: Report) -> None:
    """Wrong passwords on the API's token endpoint, the admin's login and the login form, over A and B:
    one allowance, so the right password is then refused on every door."""
    username = Visitor(topology.replica(0)).sign_up(with_time_to_spare(lambda: f"door-{uuid.uuid4().hex[:8]}"))
    attacker = Visitor(topology.replica(0), client_address=an_attacker_address())
    api = ApiClient(topology.replica(0), attacker.http)
    on_b = attacker.at(topology.replica(1))
    wrong = [
        api.obtain(username, "wrong").status_code,
        on_b.post("/admin/login/", {"username": username, "password": "wrong"}).status_code,
        api.at(topology.replica(1)).obtain(username, "wrong").status_code,
        attacker.log_in(username, "wrong").status_code,
        on_b.post("/admin/login/", {"username": username, "password": "wrong"}).status_code,
    ]
    right = [
        api.at(topology.replica(1)).obtain(username).status_code,
        attacker.log_in(username).status_code,
        on_b.post("/admin/login/", {"username": username, "password": PASSWORD}).status_code,
    ]
    row = report.row(
        "rate limits", "5 wrong passwords over the API, the admin and the form; then the right one", hard=True
    )
    for status, wanted in zip(wrong + right, [401, 200, 401, 200, 200, 429, 429, 429], strict=True):
        row.count(status == wanted, status)
    row.note = f"wrong (API A, admin B, API B, form A, admin B): {wrong}; right (API B, form A, admin B): {right}"


def spellings(topology, report: Report) -> None:
    """A name locked by five wrong passwords stays locked in every spelling authentication treats as it."""
    username = Visitor(topology.replica(0)).sign_up(with_time_to_spare(lambda: f"name-{uuid.uuid4().hex[:8]}"))
    attacker = Visitor(topology, client_address=an_attacker_address())
    for _ in range(LOGIN_LIMIT):
        attacker.log_in(username, "wrong")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in username)
    spellings = {"as is": username, "padded": f" {username} ", "tab": f"\t{username}", "newline": f"{username}\n"}
    spellings |= {"upper case": username.upper(), "full-width": fullwidth}
    got = {name: attacker.log_in(spelling).status_code for name, spelling in spellings.items()}
    row = report.row(
        "rate limits", "a locked name, right password, in 6 spellings (padded, tab, case, full-width)", hard=True
    )
    for status in got.values():
        row.count(status == 429, status)
    row.note = ", ".join(f"{name} {status}" for name, status in got.items())


def spraying(topology, report: Report, accounts: int = CLIENT_LIMIT + 10) -> None:
    """One client, one common password, many accounts, through nginx without a route cookie."""
    names = [f"spray-{uuid.uuid4().hex[:8]}" for _ in range(accounts)]
    for name in names[:3]:
        Visitor(topology.replica(0)).sign_up(name)
    sprayer = Visitor(topology, client_address=an_attacker_address())
    got = []
    for name in names:
        sprayer.http.cookies.pop("shop_route", None)
        got.append(sprayer.log_in(name, "Winter2026!").status_code)
    answered = sum(status != 429 for status in got)
    other = Visitor(topology, client_address=an_attacker_address()).log_in(names[0]).status_code
    row = report.row("rate limits", f"password spraying: 1 client, 1 password, {accounts} accounts", hard=True)
    for status in got:
        row.count(status in (200, 429), status)
    row.count(other == 302, other)
    row.failed = answered != CLIENT_LIMIT
    row.note = (
        f"{answered} checked (target: {CLIENT_LIMIT}), then {statuses(got[answered:])}; another client logs in: {other}"
    )


# -- web -----------------------------------------------------------------------------------------


def web(topology, report: Report) -> None:
    base = topology.url
    product_id = next(iter(Visitor(base).products().values()))

    row = report.row("web", "form POST without CSRF token, with a foreign Origin", hard=True)
    fresh = requests.Session()
    got = [fresh.post(f"{base}/cart/add/{product_id}/", data={"quantity": "1"}, timeout=TIMEOUT).status_code]
    visitor = Visitor(base)
    visitor.get("/accounts/login/")
    got.append(visitor.add_to_cart(product_id, 1).status_code)  # control: with token and no Origin
    for origin in ("http://evil.example", "null", base.replace("127.0.0.1", "localhost")):
        got.append(visitor.post(f"/cart/add/{product_id}/", {"quantity": "1"}, headers={"Origin": origin}).status_code)
    expected = [403, 302, 403, 403, 403]
    for status, wanted in zip(got, expected, strict=True):
        row.count(status == wanted, status)
    row.note = f"missing, control, evil, null, other host: {got}"

    row = report.row("web", "WebSocket from a foreign Origin; order socket without login", hard=True)
    refused = []
    try:
        with LiveSocket(base, f"/ws/products/{product_id}/", origin="http://evil.example") as s:
            s.next(timeout=5)
            refused.append("accepted!")
    except InvalidStatus as exc:
        refused.append(exc.response.status_code)
    order_owner = Visitor(base)
    order_owner.sign_up()
    order_id = order_owner.place_order(product_id)
    try:
        with LiveSocket(base, f"/ws/orders/{order_id}/") as s:
            s.next(timeout=5)
            refused.append("data sent!")
    except ConnectionClosed as exc:
        refused.append(exc.rcvd.code if exc.rcvd else "closed")
    except InvalidStatus as exc:
        refused.append(exc.response.status_code)
    row.count(refused[0] == 403)
    row.count(refused[1] in (4403, 403))
    row.note = f"foreign origin: {refused[0]}, no login: {refused[1]}"

    row = report.row("web", "WebSocket: another port or scheme of this host, a frame sent, a page path", hard=True)
    scheme, _, rest = base.partition("://")
    origins = {"another port": f"{scheme}://{rest.rsplit(':', 1)[0]}:1", "https": base.replace("http://", "https://")}
    got = {}
    for name, origin in origins.items():
        try:
            LiveSocket(base, f"/ws/products/{product_id}/", origin=origin).open().close()
            got[name] = "accepted!"
        except InvalidStatus as exc:
            got[name] = exc.response.status_code
    with LiveSocket(base, f"/ws/products/{product_id}/") as socket:
        socket.next()
        socket.connection.send("{not json")
        got["frame sent"] = socket.close_code(deadline=5)
    try:
        LiveSocket(base, "/products/").open().close()
        got["page path"] = "accepted!"
    except InvalidStatus as exc:
        got["page path"] = exc.response.status_code
    wanted = {"another port": 403, "https": 403, "frame sent": 4400, "page path": 403}
    for name, code in got.items():
        row.count(code == wanted[name])
    row.note = ", ".join(f"{name}: {code}" for name, code in got.items())

    row = report.row("web", "order socket on B while its owner logs out on A", hard=True)
    watcher = Visitor(topology.replica(0))
    watcher.sign_up()
    watched = watcher.place_order(product_id)
    with LiveSocket(topology.replica(1), f"/ws/orders/{watched}/", visitor=watcher) as socket:
        socket.next()
        logout = watcher.post("/accounts/logout/").status_code
        code = socket.close_code(deadline=5)
    row.count(logout == 302 and code == 4401, logout)
    row.note = f"logout {logout}; the socket on B closed with {code} (target 4401)"

    row = report.row("web", "session fixation: a planted session cookie, then login", hard=True)
    attacker = Visitor(base)
    attacker.add_to_cart(product_id, 1)
    planted = attacker.http.cookies.get("sessionid")
    victim = Visitor(base)
    victim.http.cookies.set("sessionid", planted, domain="127.0.0.1", path="/")
    victim.sign_up()
    rotated = victim.http.cookies.get("sessionid") != planted
    attacker_in = attacker.signed_in_as()
    row.count(bool(planted) and rotated and attacker_in is None)
    row.note = f"session key rotated at login: {rotated}; attacker's cookie logged in: {attacker_in is not None}"

    row = report.row("web", "malformed JSON and form fields", hard=True)
    seen, unexpected = [], []

    def record(name, status, ok):
        seen.append(status)
        row.count(ok, status)
        if not ok:
            unexpected.append(f"{name}: {status}")

    nested = "[" * 100_000 + "]" * 100_000  # deeper than Python's recursion limit
    bodies = ["{bad", "[1, 2]", '{"username": {"$ne": 1}, "password": []}', "null", '"x"', "\xff\xfe"]
    bodies += ["{}" * 10000, nested]
    for body in bodies:
        status = requests.post(
            f"{base}/api/auth/token",
            data=body.encode("utf-8", "surrogateescape"),
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        ).status_code
        record(f"token {body[:12]!r}", status, 400 <= status < 500)
    for body in ['{"refresh": 123}', '{"refresh": ["a"]}', '{"refresh": null}', "{bad"]:
        status = requests.post(
            f"{base}/api/auth/token/refresh", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
        ).status_code
        record(f"refresh {body!r}", status, 400 <= status < 500)
    shopper = Visitor(base)
    api = ApiClient(base).log_in(shopper.sign_up())
    numbers = ['{"product": 1e400}', '{"product": -1e400}', '{"product": 99999999999999999999}', '{"product": -1}']
    others = ['{"product": "x"}', '{"product": [1]}', '{"product": null}']
    others.append(f'{{"product": {product_id}, "quantity": 1e400}}')
    for body in numbers + others:
        status = api.send("/api/cart", body).status_code
        record(f"API cart {body}", status, status == 400)
    for quantity in ["abc", "-1", "0", "", "1e9", "99999999999999999999999", "1.5", "\x00", "<script>"]:
        status = shopper.add_to_cart(product_id, quantity).status_code
        record(f"quantity {quantity!r}", status, status == 400)
    # Unicode decimal digits are the number the user typed, to Python's int() as to Django's IntegerField.
    for digit in ("\u0661", "\uff11"):  # Arabic-Indic one, full-width one
        buyer = Visitor(base)  # a fresh, empty cart
        status = buyer.add_to_cart(product_id, digit).status_code
        held = buyer.cart().get(product_id) if status == 302 else None
        record(f"quantity {digit!r} (held {held})", status, status == 302 and held == 1)
    for path in (f"/cart/add/{product_id}/", f"/cart/update/{product_id}/"):
        status = shopper.post(path, {"quantity": ["1", "2"]}).status_code  # the field twice
        record(f"{path} quantity twice", status, status in (302, 400))
    staff = Visitor(base).log_in_as_staff()
    stocked_id, stocked_slug = staff.create_product(stock=7)
    for stock in (2**63, 2**31, "1e400", "-0x1"):
        status = staff.set_stock(stocked_id, stock).status_code
        record(f"staff stock {stock}", status, status == 400 and staff.stock_of(stocked_slug) == 7)
    empty = Visitor(base)
    empty.sign_up()
    status = empty.check_out().status_code
    record("checkout with an empty cart", status, status == 400)
    form = {"username": "x" * 500, "password1": "a", "password2": "b"}
    status = Visitor(base).post("/accounts/signup/", form).status_code
    record("signup with a 500-character name", status, status == 400)
    row.note = statuses(seen) + (f"; unexpected: {'; '.join(unexpected)}" if unexpected else "")


# -- doors ---------------------------------------------------------------------------------------

SOCKETS_PER_CLIENT = 50  # compose/nginx/default.conf.template: limit_conn websockets_per_client
PASSWORD_BURST, PASSWORD_RATE = 20, 10  # limit_req zone=passwords_per_client burst=20, rate=10r/s


def doors(topology, report: Report) -> None:
    """One greedy client at nginx: it is refused past its share, and another client keeps working."""
    product_id = next(iter(Visitor(topology).products().values()))
    greedy, other = an_attacker_address(), an_attacker_address()
    held, refused = [], []
    try:
        for _ in range(SOCKETS_PER_CLIENT + 10):
            try:
                held.append(LiveSocket(topology, f"/ws/products/{product_id}/", client_address=greedy).open())
            except InvalidStatus as exc:
                refused.append(exc.response.status_code)
        with LiveSocket(topology, f"/ws/products/{product_id}/", client_address=other) as socket:
            others_page = socket.next()["type"]
    finally:
        for socket in held:
            socket.close()
    row = report.row("doors", f"1 client opens {SOCKETS_PER_CLIENT + 10} WebSockets through nginx", hard=True)
    row.count(len(held) == SOCKETS_PER_CLIENT)
    row.count(refused == [429] * 10)
    row.count(others_page == "stock")
    row.note = (
        f"held {len(held)} (target {SOCKETS_PER_CLIENT}), refused {statuses(refused)}; another client: {others_page}"
    )

    username = Visitor(topology.replica(0)).sign_up()
    attackers = [Visitor(topology, client_address=greedy) for _ in range(40)]
    for attacker in attackers:
        attacker.get("/accounts/login/")
    form = {"username": "x", "password": "y"}
    sent: list[float] = []

    def attempt(visitor):
        sent.append(time.monotonic())
        return visitor.post("/accounts/login/", form, timeout=90)

    with ThreadPoolExecutor(40) as pool:
        got = list(pool.map(attempt, attackers))
    took = max(sent) - min(sent)
    # nginx's own 429 names no replica. It lets the burst through, then 10 a second while the attempts arrive.
    passed = sum("X-Served-By" in r.headers for r in got)
    # Sent is not arrived: two more for the connections still on their way when the last was sent.
    allowed = PASSWORD_BURST + 1 + math.ceil(PASSWORD_RATE * took) + 2
    other_login = Visitor(topology, client_address=other).log_in(username).status_code
    row = report.row("doors", "1 client sends 40 logins at once through nginx", hard=True)
    row.count(passed <= allowed)
    row.count(other_login == 302, other_login)
    for response in got:
        row.count(response.status_code in (200, 429), response.status_code)
    row.note = (
        f"reached a replica {passed} (target at most {allowed}: a burst of {PASSWORD_BURST}, then "
        f"{PASSWORD_RATE} a second over the {took:.2f}s they took to send), "
        f"answers {statuses([r.status_code for r in got])}; another client logs in: {other_login}"
    )


CATALOGS = [tokens, uploads, rate_limits, web, doors]
