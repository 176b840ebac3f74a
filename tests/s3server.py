"""A real S3 API for the tests: moto's threaded server on 127.0.0.1, reached by plain boto3.

Each test gets its own bucket and a store URL in it; the server runs once per test session.
Skips (with the reason) only when the `s3` test dependencies (moto[server], boto3) are absent.
"""

from __future__ import annotations

import itertools
import os

import pytest

_buckets = itertools.count()
_server: dict = {}


def endpoint() -> str:
    """The moto server's URL (started on first use, stopped when the test session ends)."""
    if "url" not in _server:
        pytest.importorskip("boto3", reason="the s3 extra (boto3) is not installed")
        server_mod = pytest.importorskip("moto.server", reason="moto[server] (the dev extra) is not installed")
        server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        server.start()
        host, port = server.get_host_and_port()
        _server.update(server=server, url=f"http://{host}:{port}")
        import atexit

        atexit.register(server.stop)
    return _server["url"]


def aws_env(url: str) -> dict[str, str]:
    """What a process needs to reach the moto server with the ordinary AWS settings."""
    return {"AWS_ENDPOINT_URL_S3": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def new_bucket(url: str) -> str:
    import boto3

    name = f"chameleonapi-test-{os.getpid()}-{next(_buckets)}"
    boto3.client("s3", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=name)
    return name


def s3_client(url: str):
    import boto3

    return boto3.client("s3", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing",
                        region_name="us-east-1")


@pytest.fixture
def s3_store(tmp_path, monkeypatch):
    """`CHAMELEONAPI_STORE` set to a fresh bucket on the moto server; a fresh local cache."""
    url = endpoint()
    for name, value in aws_env(url).items():
        monkeypatch.setenv(name, value)
    bucket = new_bucket(url)
    store_url = f"s3://{bucket}/fleet"
    monkeypatch.setenv("CHAMELEONAPI_STORE", store_url)
    monkeypatch.setenv("CHAMELEONAPI_HOME", str(tmp_path / "home-a"))
    return store_url
