"""A shared model store at a URL (`CHAMELEONAPI_STORE`): objects, put whole or not at all.

Object stores cannot rename, so nothing here relies on it: every object is written in one
request, and the few that must not be overwritten (a model's manifest, a lease generation)
are created with a conditional write (S3 `If-None-Match: *`; `mode="xb"` for fsspec
backends), so of two writers exactly one succeeds. `s3://` goes through boto3 (the client
the Rekognition provider already uses: conditional writes, no second AWS stack pinned to
another botocore); `file://`, `gs://`, `az://` and any other fsspec protocol through fsspec
and its backend (`gcsfs`, `adlfs`). Content is checked by its sha256 on every download
(`get_verified`), so a damaged object is refused, never served.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Protocol
from urllib.parse import urlparse

from chameleonapi import config
from chameleonapi.errors import Error

__all__ = ["CorruptObject", "ObjectStore", "configured", "open_store", "sha256_bytes"]

_lock = threading.Lock()
_stores: dict[str, ObjectStore] = {}


class CorruptObject(Error):
    """An object in the shared store does not match the checksum it was published with."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ObjectStore(Protocol):
    """The operations the shared store needs; keys are `/`-separated, relative to the URL."""

    url: str

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none."""

    def put(self, key: str, data: bytes) -> None:
        """Write (or overwrite) the object in one request."""

    def create(self, key: str, data: bytes) -> bool:
        """Write the object only if it does not exist; False when another writer was first."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Keys under `prefix` (relative to the store, not the prefix)."""

    def delete(self, key: str) -> None: ...


def get_verified(store: ObjectStore, key: str, sha256: str) -> bytes | None:
    """The object at `key` if it matches `sha256`; None if absent; `CorruptObject` if not."""
    data = store.get(key)
    if data is None:
        return None
    if sha256_bytes(data) != sha256:
        raise CorruptObject(f"{store.url}/{key} does not match its checksum")
    return data


class S3Store:
    """`s3://bucket/prefix` through boto3 (endpoint and credentials from the usual AWS settings)."""

    def __init__(self, url: str) -> None:
        import boto3
        from botocore.config import Config

        parsed = urlparse(url)
        self.url = url.rstrip("/")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        # endpoint, region and credentials: boto3's own settings (AWS_ENDPOINT_URL_S3, profiles, roles)
        self.client = boto3.client("s3", config=Config(retries={"max_attempts": 3, "mode": "standard"}))

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def create(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*")
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412):
                return False
            raise
        return True

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return False
            raise
        return True

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        strip = len(self._key(""))
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return keys

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


class FsspecStore:
    """Any fsspec URL (`file://`, `gs://`, `az://`, `memory://`): its backend does the I/O."""

    def __init__(self, url: str) -> None:
        import fsspec

        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(self.url)
        self.root = root.rstrip("/")
        self.local = "file" in (self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,))

    def _path(self, key: str) -> str:
        return f"{self.root}/{key}"

    def get(self, key: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._path(key))
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if self.local:  # a local folder: a temporary sibling renamed in place, never half a file
            from pathlib import Path

            from chameleonapi.atomic import atomic_write_bytes

            atomic_write_bytes(Path(path), data)
            return
        self.fs.pipe_file(path, data)

    def create(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        if self.local:  # link(2) of a whole temporary file: fails if the name exists
            import tempfile
            from pathlib import Path

            parent = Path(path).parent
            parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".create.", suffix=".tmp", dir=parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    return False
                return True
            finally:
                os.unlink(tmp)
        try:
            with self.fs.open(path, "xb") as fh:
                fh.write(data)
        except FileExistsError:
            return False
        except (ValueError, NotImplementedError):  # a backend without exclusive create
            if self.fs.exists(path):
                return False
            self.fs.pipe_file(path, data)
        return True

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        folder = base if base.endswith("/") else base.rsplit("/", 1)[0]
        try:
            found = self.fs.find(folder)
        except FileNotFoundError:
            return []
        strip = len(self.root) + 1
        return [p[strip:] for p in found if p.startswith(base) and "/.create." not in p]

    def delete(self, key: str) -> None:
        try:
            self.fs.rm_file(self._path(key))
        except FileNotFoundError:
            pass


def open_store(url: str) -> ObjectStore:
    """The store at `url` (one client per URL per process)."""
    with _lock:
        store = _stores.get(url)
        if store is None:
            scheme = urlparse(url).scheme
            if scheme == "s3":
                from chameleonapi.errors import require

                require("boto3")
                store = S3Store(url)
            else:
                from chameleonapi.errors import require

                require("fsspec")
                store = FsspecStore(url)
            _stores[url] = store
        return store


def configured() -> ObjectStore | None:
    """The shared store named by `CHAMELEONAPI_STORE`, or None (the local cache only)."""
    url = config.store_url()
    return open_store(url) if url else None
