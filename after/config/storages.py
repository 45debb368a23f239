"""django-storages' S3 backend, with product pictures at plain public URLs.

before/ served product pictures to anyone, from /media/products/; in the bucket they stay public:
the bucket policy lets anyone read products/* (compose/bucket.py, run by compose and the local
topologies) and their URLs carry no signature. A plain URL is the same on every page, so browsers
and CDNs cache it, and it costs the replica no signing. Everything else (invoices) stays private,
streamed by the replica after its permission check. Public URLs name the endpoint browsers reach,
which under compose is not the one the replicas use (http://minio:9000).
"""

from functools import cached_property

from django.utils.encoding import filepath_to_uri
from storages.backends import s3
from storages.utils import clean_name, setting


class S3Storage(s3.S3Storage):
    def __init__(self, **settings):
        super().__init__(**settings)
        self.connection  # noqa: B018 - made with the storage, at start (config/asgi.py), not by a request

    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "public_endpoint_url": setting("AWS_S3_PUBLIC_ENDPOINT_URL"),
            "public_prefixes": (),
        }

    @cached_property
    def connection(self):
        # django-storages keeps a boto3 resource per thread, and Django's ASGI handler runs each request
        # in a thread of its own: a new client, ~100 ms, for every page with a picture
        # (jschneier/django-storages#1472). One per process, as config/caches.py keeps one Redis client.
        return super().connection

    def url(self, name, parameters=None, expire=None, http_method=None):
        key = self._normalize_name(clean_name(name))
        if key.startswith(tuple(self.public_prefixes)) and not parameters and http_method in (None, "GET"):
            endpoint = self.public_endpoint_url or self.connection.meta.client.meta.endpoint_url
            return f"{endpoint.rstrip('/')}/{self.bucket_name}/{filepath_to_uri(key)}"
        return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
