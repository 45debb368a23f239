"""django-storages' S3 backend, with presigned URLs signed for the host browsers reach.

A presigned URL is signed for its host, so rewriting the host of one signed for the replicas'
endpoint (http://minio:9000 in compose) breaks the signature. django-storages' custom_domain
gives unsigned URLs unless CloudFront signs them, so a second client, pointed at the public
endpoint, signs them instead; it only computes signatures and never opens a connection.
"""

from functools import cached_property

from storages.backends import s3
from storages.utils import setting


class S3Storage(s3.S3Storage):
    def __init__(self, **settings):
        super().__init__(**settings)
        self.connection  # noqa: B018 - made with the storage, at start (config/asgi.py), not by a request

    def get_default_settings(self):
        return {**super().get_default_settings(), "public_endpoint_url": setting("AWS_S3_PUBLIC_ENDPOINT_URL")}

    @cached_property
    def connection(self):
        # django-storages keeps a boto3 resource per thread, and Django's ASGI handler runs each request
        # in a thread of its own: a new client, ~100 ms, for every page with a picture
        # (jschneier/django-storages#1472). One per process, as the shared `bucket` already is.
        return super().connection

    @cached_property
    def _public_signer(self) -> "S3Storage | None":
        if not self.public_endpoint_url or self.public_endpoint_url == self.endpoint_url:
            return None
        return S3Storage(
            public_endpoint_url=self.public_endpoint_url,
            bucket_name=self.bucket_name,
            region_name=self.region_name,
            endpoint_url=self.public_endpoint_url,
            client_config=self.client_config,
            querystring_auth=self.querystring_auth,
            querystring_expire=self.querystring_expire,
            access_key=self.access_key,
            secret_key=self.secret_key,
            security_token=self.security_token,
        )

    def url(self, name, parameters=None, expire=None, http_method=None):
        signer = self._public_signer or super()
        return signer.url(name, parameters=parameters, expire=expire, http_method=http_method)
