"""The after/ shop's bucket: created if missing, private but for the product pictures (products/*),
which anyone may read, as anyone could when before/ served them from its own disk.

Run once before the replicas start: by compose's after-setup job, and by tests/topology.py for the
local topologies. It reads the variables the replicas read (AWS_S3_ENDPOINT_URL and the rest).
"""

import json
import os

import boto3
import botocore.exceptions


def public_pictures_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/products/*"],
            }
        ],
    }


def bucket_prepare(*, environment: dict[str, str]) -> None:
    bucket = environment["AWS_STORAGE_BUCKET_NAME"]
    client = boto3.client(
        "s3",
        endpoint_url=environment.get("AWS_S3_ENDPOINT_URL"),
        region_name=environment["AWS_S3_REGION_NAME"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        client.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError:
        client.create_bucket(Bucket=bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_pictures_policy(bucket)))


if __name__ == "__main__":
    bucket_prepare(environment=dict(os.environ))
    print(f"bucket {os.environ['AWS_STORAGE_BUCKET_NAME']}: ready, products/* public")
