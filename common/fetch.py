"""GET a URL that someone else chose (feeds; article pages later): the one way Sift does it.

A URL from a reader or a feed is hostile until proven otherwise, so every fetch has

1. one total deadline: connect, TLS, headers and every read together. httpx's timeouts are
   per operation, so a server sending one byte every few seconds never trips them; the whole
   exchange runs under `asyncio.timeout` instead, which cancels whatever it is waiting on.
2. a size cap, counted while the body streams in (a gzip bomb stops at the cap too: httpx
   counts decoded bytes).
3. at most a few redirects, http(s) only, each one checked like the first URL.
4. optionally, no internal addresses: the name is resolved here and every address it has
   must be public before a connection is made, and the connection goes to the address that
   was checked (no second lookup an attacker's DNS could answer differently).
5. one error text for every address that gives no HTTP answer (refused, unreachable,
   filtered, not HTTP), so the text cannot be used to map which ports are open.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
from django.conf import settings

from common.errors import DomainError

MAX_REDIRECTS = 5


class FetchError(DomainError):
    """The URL gave no usable answer; the message is safe to show to whoever asked."""

    field = "url"


class InternalAddressRefused(httpx.TransportError):
    """Raised inside the connection: the name resolved to a loopback, private, link-local or
    otherwise non-public address."""


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    url: str
    body: bytes = field(repr=False)


# IPv6 ranges that carry or stand for an IPv4 address, or are deprecated local ones:
# `is_global` calls some of them public, yet a NAT64 gateway, a 6to4 relay or an old
# site-local route may lead into the local network. None is a feed's address.
_NOT_FEEDS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "64:ff9b::/96",  # NAT64 (well-known prefix)
        "64:ff9b:1::/48",  # NAT64 (local-use prefix)
        "2002::/16",  # 6to4
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "fec0::/10",  # site-local (deprecated)
    )
)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in net for net in _NOT_FEEDS):
            return False
    return ip.is_global and not ip.is_multicast


class _PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, after the address check of item 4."""

    def __init__(self, allowed: frozenset[str] = frozenset()) -> None:
        self._inner = httpcore.AnyIOBackend()
        # Hosts the operator named (FEED_INTERNAL_HOSTS), as `host` or `host:port`.
        self._allowed = allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        addresses = [str(info[4][0]) for info in infos]
        named = host.lower() in self._allowed or f"{host.lower()}:{port}" in self._allowed
        if not addresses or not (named or all(is_public_address(a) for a in addresses)):
            raise InternalAddressRefused(host)
        return await self._inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise InternalAddressRefused(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _transport(refuse_internal: bool) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport()
    if refuse_internal:
        # httpx 0.28 takes no network backend of its own; its pool (httpcore) does. Same
        # TLS defaults as the transport it replaces.
        allowed = frozenset(h.lower() for h in settings.FEED_INTERNAL_HOSTS)
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_PublicOnlyBackend(allowed)
        )
    return transport


async def _get(
    url: str, *, headers: dict[str, str], max_bytes: int, refuse_internal: bool
) -> Response:
    async with (
        httpx.AsyncClient(
            transport=_transport(refuse_internal),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers=headers,
            timeout=None,  # noqa: S113 - the deadline around this whole call bounds every operation
        ) as client,
        client.stream("GET", url) as response,
    ):
        chunks: list[bytes] = []
        size = 0
        if response.status_code < 300:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"The answer is larger than {max_bytes} bytes.")
                chunks.append(chunk)
        return Response(response.status_code, response.headers, str(response.url), b"".join(chunks))


def fetch(
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    refuse_internal: bool = False,
) -> Response:
    """GET `url` within `deadline` seconds in all. Any status is returned (the body only
    below 300); everything else raises FetchError with a text fit for the reader."""

    async def bounded() -> Response:
        async with asyncio.timeout(deadline):
            return await _get(
                url, headers=headers or {}, max_bytes=max_bytes, refuse_internal=refuse_internal
            )

    try:
        return asyncio.run(bounded())
    except TimeoutError as exc:
        raise FetchError(
            f"Timed out: no complete answer from {url} within {deadline:g} s."
        ) from exc
    except InternalAddressRefused as exc:
        raise FetchError(
            "Internal addresses (loopback, private, link-local) are not fetched on this server."
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError("Too many redirects.") from exc
    except httpx.UnsupportedProtocol as exc:
        raise FetchError("Only http:// and https:// URLs (and redirects) are followed.") from exc
    except (httpx.InvalidURL, UnicodeError) as exc:  # e.g. a redirect to http://[::1
        raise FetchError(f"Not a valid URL: {url[:200]} ({exc}).") from exc
    except (httpx.HTTPError, httpcore.ProtocolError, httpcore.NetworkError, OSError) as exc:
        raise FetchError(f"Could not fetch {url}: no HTTP answer.") from exc
