"""The local topologies' S3 server: moto's S3 with S3's access rules, as MinIO and AWS enforce them.

    python -m harness.s3 --port PORT --access-key KEY --secret-key SECRET

moto alone accepts anonymous writes and any made-up access key, so a bucket policy would never be
tested. Here:
- a request signed in its Authorization header goes to moto's own IAM check (moto verifies the
  signature against the one user this server has: the shop's key, allowed everything);
- a presigned URL (SigV4 in the query) is checked for key, signature, method and expiry with botocore's
  own canonicalisation, then served;
- an anonymous request gets what the bucket policy grants anyone (`s3:GetObject` on its resources);
- anything else is a 403, as S3 answers it.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import hmac
import json
import os
import threading
from urllib.parse import parse_qsl, urlencode

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # before moto reads its settings

from botocore.auth import S3SigV4QueryAuth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.core.responses import ActionAuthenticatorMixin  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.moto_server.werkzeug_app import create_backend_app  # noqa: E402
from moto.s3.models import s3_backends  # noqa: E402
from werkzeug.serving import run_simple  # noqa: E402

ALLOW_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ANYONE = ("*", {"AWS": "*"}, {"AWS": ["*"]})
decided = threading.local()  # set for a request this gate has already allowed (anonymous or presigned)
moto_check = ActionAuthenticatorMixin._authenticate_and_authorize_action


def checked_by_moto_unless_decided(self, *args, **kwargs):
    if not getattr(decided, "allowed", False):
        moto_check(self, *args, **kwargs)


def shop_user(access_key: str, secret_key: str) -> None:
    """The one identity this server knows, as the root user is MinIO's."""
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    iam.create_user(region_name="us-east-1", user_name="shop", path="/", tags=[])
    key = iam.create_access_key(user_name="shop")
    key.access_key_id, key.secret_access_key = access_key, secret_key
    iam.put_user_policy("shop", "everything", json.dumps(ALLOW_EVERYTHING))


def granted_to_anyone(method: str, path: str) -> bool:
    """Whether the bucket's policy lets anyone GET (or HEAD) this object."""
    bucket_name, _, key = path.lstrip("/").partition("/")
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(bucket_name)
    if method not in ("GET", "HEAD") or not key or bucket is None or not bucket.policy:
        return False
    policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
    for statement in json.loads(policy).get("Statement", []):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions, resources = ([a] if isinstance(a, str) else a for a in (actions, resources))
        if (
            statement.get("Effect") == "Allow"
            and statement.get("Principal") in ANYONE
            and set(actions) & {"s3:GetObject", "s3:*", "*"}
            and any(fnmatch.fnmatchcase(f"arn:aws:s3:::{bucket_name}/{key}", r) for r in resources)
        ):
            return True
    return False


def presigned_valid(environ, access_key: str, secret_key: str) -> bool:
    """A SigV4 presigned URL signed with the shop's key, for this method, path and host, and not expired."""
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    fields = dict(query)
    try:
        key, day, region, service, _ = fields["X-Amz-Credential"].split("/")
        signed_at = datetime.datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        expires = int(fields["X-Amz-Expires"])
    except (KeyError, ValueError):
        return False
    if key != access_key or datetime.datetime.now(datetime.UTC) > signed_at + datetime.timedelta(seconds=expires):
        return False
    unsigned = urlencode([(name, value) for name, value in query if name != "X-Amz-Signature"])
    host = environ.get("HTTP_HOST", "")
    request = AWSRequest(environ["REQUEST_METHOD"], f"http://{host}{environ.get('PATH_INFO', '/')}?{unsigned}")
    request.headers["host"] = host
    request.context["timestamp"] = fields["X-Amz-Date"]
    signer = S3SigV4QueryAuth(Credentials(access_key, secret_key), service, region, expires)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return hmac.compare_digest(expected, fields.get("X-Amz-Signature", ""))


def denied(start_response, code: str = "AccessDenied", message: str = "Access Denied"):
    start_response("403 Forbidden", [("Content-Type", "application/xml")])
    return [
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode()
    ]


def gate(s3, access_key: str, secret_key: str):
    def app(environ, start_response):
        decided.allowed = False
        query = environ.get("QUERY_STRING", "")
        if "HTTP_AUTHORIZATION" in environ:
            return s3(environ, start_response)
        if "X-Amz-Signature=" in query or "Signature=" in query:
            if not presigned_valid(environ, access_key, secret_key):  # SigV2 among them: S3 regions take v4
                return denied(start_response, "SignatureDoesNotMatch", "The request signature does not match.")
        elif not granted_to_anyone(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")):
            return denied(start_response)
        decided.allowed = True
        return s3(environ, start_response)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    args = parser.parse_args()
    ActionAuthenticatorMixin._authenticate_and_authorize_action = checked_by_moto_unless_decided
    shop_user(args.access_key, args.secret_key)
    run_simple(args.host, args.port, gate(create_backend_app("s3"), args.access_key, args.secret_key), threaded=True)


if __name__ == "__main__":
    main()
