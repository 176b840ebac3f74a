"""Bytes named by an image URI: local files only when the user allows them, http(s) only when
the network is allowed, each bounded in size (and downloads in time).

Downloads never reach private, loopback or link-local addresses (127.0.0.1, 10.0.0.0/8,
169.254.169.254, ...) unless `CHAMELEONAPI_ALLOW_PRIVATE_NETWORK=1`: an application that
forwards its users' URLs must not be turned into a way into its own network. The host is
resolved once, every address checked, and the connection made to the address checked
(a second lookup could answer differently); each redirect is checked again.

The cloud services read no local files, so by default neither does the local service: every
local path or file:// URI gets one and the same answer, whether the file exists, is
forbidden, is a FIFO or is /etc/passwd, so a caller forwarding user URLs learns nothing.
With `CHAMELEONAPI_ALLOW_LOCAL_FILES=1` regular files are read (optionally only under
`CHAMELEONAPI_LOCAL_ROOT`); FIFOs, devices and directories still get that same answer,
without blocking: the file is opened with O_NONBLOCK and checked with fstat before reading.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import time
from urllib.parse import unquote, urljoin, urlparse

from chameleonapi import config
from chameleonapi.imaging.errors import ImageInputError

__all__ = ["UNREADABLE_MESSAGE", "fetch", "read_local", "read_uri"]

UNREADABLE_MESSAGE = (
    "We can not access the URL currently. Please download the content and pass it in. "
    "(chameleonapi reads local image files only with CHAMELEONAPI_ALLOW_LOCAL_FILES=1, and then "
    "only regular files, under CHAMELEONAPI_LOCAL_ROOT when it is set.)"
)
MAX_REDIRECTS = 3
_CHUNK = 1 << 16


def _unreadable() -> ImageInputError:
    return ImageInputError(ImageInputError.UNREADABLE_URI, UNREADABLE_MESSAGE)


def _too_big(size: int, limit: int) -> ImageInputError:
    return ImageInputError(
        ImageInputError.TOO_MANY_BYTES, f"Image file is too large: {size:,} bytes or more (the limit is {limit:,})."
    )


def _is_local(uri: str, scheme: str) -> bool:
    return scheme in ("", "file") or (len(scheme) == 1 and uri[1:3] in (":\\", ":/"))


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def read_local(path_text: str, max_bytes: int) -> bytes:
    """A regular file's bytes, if local files are allowed and it lies under the root."""
    if not config.allow_local_files() or not path_text or "\x00" in path_text:
        raise _unreadable()
    try:
        path = os.path.realpath(path_text)
        root = config.local_files_root()
        if root is not None and not _inside(path, os.path.realpath(root)):
            raise _unreadable()
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except (OSError, ValueError):
        raise _unreadable() from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _unreadable()
        if info.st_size > max_bytes:
            raise _too_big(info.st_size, max_bytes)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError:
        raise _unreadable() from None
    finally:
        os.close(fd)
    if total > max_bytes:  # the file grew while being read
        raise _too_big(total, max_bytes)
    return b"".join(chunks)


def read_uri(uri: str, max_bytes: int) -> bytes:
    """Bytes of an image named by URI: a local path, file://, or http(s):// when allowed."""
    if not isinstance(uri, str) or not uri:
        raise _unreadable()
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if _is_local(uri, scheme):
        if scheme == "file" and parsed.netloc not in ("", "localhost"):
            raise _unreadable()
        return read_local(unquote(parsed.path) if scheme == "file" else uri, max_bytes)
    if scheme in ("http", "https"):
        if not config.allow_network():
            raise ImageInputError(
                ImageInputError.NETWORK_DISABLED,
                f"Fetching {uri} is disabled: chameleonapi serves images offline. "
                "Set CHAMELEONAPI_ALLOW_NETWORK=1 to let it download image URLs.",
            )
        return fetch(uri, min(max_bytes, config.fetch_max_bytes()), config.fetch_timeout())
    if scheme == "gs":
        raise ImageInputError(
            ImageInputError.UNSUPPORTED_URI,
            f"Cloud Storage URIs ({uri}) cannot be read by the local service; pass the image "
            "bytes as content instead.",
        )
    raise ImageInputError(ImageInputError.UNSUPPORTED_URI, f"Unsupported image URI scheme {scheme!r}: {uri}")


def fetch(url: str, max_bytes: int, deadline_s: float) -> bytes:
    """Download `url` within `deadline_s` seconds overall (connect, headers and body together).

    A watchdog shuts the socket down when the deadline passes, so a server that drips one
    byte at a time is cut off instead of resetting a per-read timeout forever.
    """
    deadline = time.monotonic() + deadline_s
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _fetch_once(url, max_bytes, deadline)
        if location is None:
            if status != 200:
                raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: HTTP {status}.")
            return body
        url = urljoin(url, location)
    raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: too many redirects.")


def _blocked(address: str) -> bool:
    """Is `address` one a download must not reach (not a public unicast address)?"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return not ip.is_global or ip.is_multicast


def _address_for(url: str, host: str, port: int) -> str:
    """The checked address to connect to (private ones refused unless allowed)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: {exc}.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: no address.")
    if not config.allow_private_network() and any(_blocked(a) for a in addresses):
        raise ImageInputError(
            ImageInputError.FETCH_FAILED,
            f"Could not fetch {url}: {host} is a private, loopback or link-local address "
            "(CHAMELEONAPI_ALLOW_PRIVATE_NETWORK=1 allows it).",
        )
    return addresses[0]


def _fetch_once(url: str, max_bytes: int, deadline: float) -> tuple[int, str | None, bytes]:
    import http.client
    import socket
    import threading

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: not an http(s) URL.")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: deadline exceeded.")
    cls = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
    try:
        port = parsed.port or cls.default_port
    except ValueError:
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: bad port.") from None
    address = _address_for(url, parsed.hostname, port)
    conn = cls(parsed.hostname, port, timeout=remaining)
    # connect to the address checked above (TLS still verifies the host name)
    conn._create_connection = lambda where, *args, **kwargs: socket.create_connection(  # type: ignore[attr-defined]
        (address, where[1]), *args, **kwargs)
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(remaining, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        target = parsed.path or "/"
        if parsed.query:
            target += "?" + parsed.query
        conn.request("GET", target, headers={"User-Agent": "chameleonapi", "Accept": "image/*"})
        response = conn.getresponse()
        if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
            return response.status, response.getheader("Location"), b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise _too_big(int(length), max_bytes)
        chunks, total = [], 0
        while True:
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise _too_big(total, max_bytes)
            if time.monotonic() > deadline:
                raise OSError("deadline exceeded")
        if expired.is_set():
            raise OSError("deadline exceeded")
        return response.status, None, b"".join(chunks)
    except ImageInputError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = "deadline exceeded" if expired.is_set() else str(exc) or type(exc).__name__
        raise ImageInputError(ImageInputError.FETCH_FAILED, f"Could not fetch {url}: {reason}.") from None
    finally:
        watchdog.cancel()
        conn.close()
