"""The one way vcwatch reaches out over HTTP: a GET behind an SSRF guard, with hard limits.

News feeds and article pages are fetched here and nowhere else; feedparser and trafilatura only
ever parse bytes this module returned. Each hop (the first request and up to three redirects):

1. parses the URL: http or https, no credentials, a host that is a name or a canonical address;
2. resolves the name once and refuses it if ANY address is not global (see addresses.py);
3. connects to an address it checked, never to the name, so DNS rebinding cannot switch it; TLS
   still sends the name (SNI) and checks the certificate against it;
4. reads at most `max_bytes` after decompression, within the connect and read timeouts and a
   total deadline that a server trickling a byte at a time cannot stretch.

urllib3 connection pools read no proxy settings from the environment, so none is used.
"""

import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from ipaddress import ip_address
from types import MappingProxyType
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from urllib3 import BaseHTTPResponse, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.ssl_match_hostname import CertificateError

from incidents.ingestion.addresses import IPAddress, address_check, host_parse
from incidents.ingestion.connections import Watchdog, pool_for
from incidents.ingestion.decoding import BodyDecoder, DecodeError

USER_AGENT = "vcwatch/0.1 (+https://github.com/vcwatch/vcwatch; security incident tracker)"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Compressed incompressible data is a little longer than itself; past this slack the bytes as
# sent are refused too, or endless empty deflate blocks would run until the deadline.
RAW_SLACK = 64 * 1024
CHUNK_SIZE = 64 * 1024
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


@dataclass(frozen=True)
class Timeouts:
    """Seconds to connect, to wait for each read, and for the whole fetch with its redirects."""

    connect: float = 5.0
    read: float = 10.0
    total: float = 30.0


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class Fetched:
    """A response: the final URL after redirects, its body, and validators for the next GET."""

    url: str
    status: int
    body: bytes = field(repr=False)
    content_type: str  # media type in lower case, without parameters; "" when not sent
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    headers: Mapping[str, str] = field(repr=False)  # names in lower case


class FetchError(Exception):
    """The URL was not fetched; str() is one line that says why."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(" ".join(message.split()))
        self.url = url


class FetchRefused(FetchError):
    """The URL breaks the policy (scheme, credentials, address, redirects): never retry it."""


class FetchFailed(FetchError):
    """The network or the server failed; `transient` says whether a later retry may succeed."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        transient: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.transient = transient
        self.retry_after = retry_after
        self.status = status


class FetchTooLarge(FetchError):
    """The body passed the size limit, counted after decompression."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every A and AAAA address of the host, in the resolver's order of preference."""
    addresses: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def url_check(url: str) -> None:
    """Refuse (FetchRefused) a URL that fetching would refuse, resolving its host now; a host
    that does not resolve is a FetchFailed."""
    _addresses_check(_target_parse(url))


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = "*/*",
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: Timeouts = DEFAULT_TIMEOUTS,
    ca_certs: str | None = None,
) -> Fetched:
    """GET the URL under the SSRF guard and limits; a 304 comes back with not_modified=True.

    Raises FetchRefused, FetchFailed or FetchTooLarge, all FetchError.
    """
    deadline = _Deadline(timeout.total)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
        "Connection": "close",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    if any(_has_control_characters(value) for value in headers.values()):
        raise FetchRefused("refused: a request header contains control characters", url=url)
    for _ in range(MAX_REDIRECTS + 1):
        target = _target_parse(url)
        deadline.left(url)
        addresses = _addresses_check(target)
        outcome = _hop(
            target,
            addresses,
            {**headers, "Host": target.host_header},
            max_bytes=max_bytes,
            timeouts=timeout,
            deadline=deadline,
            ca_certs=ca_certs,
        )
        if isinstance(outcome, str):
            url = outcome
            continue
        if outcome.not_modified:
            # Servers need not repeat the validators on a 304; the caller keeps what it sent.
            outcome = replace(
                outcome,
                etag=outcome.etag or etag,
                last_modified=outcome.last_modified or last_modified,
            )
        return outcome
    raise FetchRefused(f"refused: more than {MAX_REDIRECTS} redirects, next to {url}", url=url)


# --- One hop: the URL, its addresses, the exchange ----------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII, lower case, an IPv6 address without brackets
    port: int
    path: str  # the request target: path and query
    literal: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _has_control_characters(text: str) -> bool:
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


def _target_parse(url: str) -> _Target:
    if _has_control_characters(url) or " " in url:
        raise FetchRefused("refused: the URL contains spaces or control characters", url=url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchRefused(f"refused: malformed URL ({error})", url=url) from None
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"refused: scheme {parts.scheme!r} is not http or https", url=url)
    if "@" in parts.netloc:
        raise FetchRefused("refused: the URL carries credentials", url=url)
    host = parts.hostname or ""
    if ":" not in host:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchRefused(f"refused: invalid host name {host!r}", url=url) from None
        if not _HOST_NAME.fullmatch(host) or len(host) > 254:
            raise FetchRefused(f"refused: invalid host name {host!r}", url=url)
    try:
        literal = host_parse(host)
    except ValueError as error:
        raise FetchRefused(f"refused: {error}", url=url) from None
    if port == 0:
        raise FetchRefused("refused: port 0", url=url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        path="".join(char if char.isascii() else quote(char) for char in path),
        literal=literal,
    )


def _addresses_check(target: _Target) -> list[IPAddress]:
    """The addresses to connect to, every one of them checked; refuses if any is not allowed."""
    if target.literal is not None:
        addresses = [target.literal]
    else:
        try:
            addresses = resolve(target.host, target.port)
        except OSError as error:
            unknown = isinstance(error, socket.gaierror) and error.errno == socket.EAI_NONAME
            raise FetchFailed(
                f"could not resolve {target.host}: {error.strerror or error}",
                url=target.url,
                transient=not unknown,
            ) from None
        if not addresses:
            raise FetchFailed(f"{target.host} has no address", url=target.url, transient=True)
    allow_private = settings.TRACKER_FETCH_ALLOW_PRIVATE
    for address in addresses:
        reason = address_check(address, allow_private=allow_private)
        if reason:
            named = "" if target.literal else f"{target.host}: "
            raise FetchRefused(f"refused: {named}{reason}", url=target.url)
    return addresses


def _hop(
    target: _Target,
    addresses: list[IPAddress],
    headers: dict[str, str],
    *,
    max_bytes: int,
    timeouts: Timeouts,
    deadline: "_Deadline",
    ca_certs: str | None,
) -> Fetched | str:
    """One request to the first checked address that answers: the result, or where it redirects."""
    failures: list[FetchError] = []
    for address in addresses:
        left = deadline.left(target.url)
        watchdog = Watchdog(deadline.at)
        pool = pool_for(
            target.scheme,
            target.host,
            target.port,
            address,
            watchdog=watchdog,
            ca_certs=ca_certs,
        )
        try:
            response = pool.urlopen(
                "GET",
                target.path,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                release_conn=False,
                timeout=Timeout(connect=min(timeouts.connect, left), read=min(timeouts.read, left)),
            )
            try:
                return _response_read(
                    target, response, max_bytes, timeouts.read, deadline, watchdog
                )
            finally:
                response.close()
        except (HTTPError, OSError) as error:
            # Timeouts are capped to the time left, so one that ends past the deadline is its.
            if watchdog.fired or deadline.expired():
                raise deadline.passed(target.url) from error
            failure = _failure(error, target, address, timeouts)
            if not isinstance(error, ConnectTimeoutError):
                raise failure from error
            # Nothing was sent: another address of the same host may answer.
            failures.append(failure)
        finally:
            pool.close()
            watchdog.stop()
    raise failures[-1]


def _failure(
    error: Exception, target: _Target, address: IPAddress, timeouts: Timeouts
) -> FetchError:
    where = str(address) if target.literal else f"{target.host} ({address})"
    cause = _innermost(error)
    detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    if isinstance(error, NewConnectionError):
        return FetchFailed(
            f"could not connect to {where}: {detail}", url=target.url, transient=True
        )
    if isinstance(error, ConnectTimeoutError):
        message = f"timed out: no connection to {where} within {timeouts.connect:g}s"
        return FetchFailed(message, url=target.url, transient=True)
    if isinstance(error, ReadTimeoutError | TimeoutError):
        # The TLS handshake waits under the connect timeout, the rest under the read timeout.
        return FetchFailed(f"timed out: {where} stopped answering", url=target.url, transient=True)
    if isinstance(error, SSLError):
        # A certificate that does not verify will not verify on retry either.
        checked = isinstance(cause, ssl.SSLCertVerificationError | CertificateError)
        return FetchFailed(
            f"TLS with {where} failed: {detail}", url=target.url, transient=not checked
        )
    return FetchFailed(f"connection to {where} broke: {detail}", url=target.url, transient=True)


def _innermost(error: BaseException) -> BaseException:
    while (inner := error.__cause__ or error.__context__) is not None:
        error = inner
    return error


def _response_read(
    target: _Target,
    response: BaseHTTPResponse,
    max_bytes: int,
    read_timeout: float,
    deadline: "_Deadline",
    watchdog: Watchdog,
) -> Fetched | str:
    status = response.status
    if status in REDIRECT_STATUSES:
        location = response.headers.get("Location", "").strip()
        if not location:
            message = f"HTTP {status} without a Location from {target.url}"
            raise FetchFailed(message, url=target.url, transient=False, status=status)
        return urljoin(target.url, location)
    if status != 304 and not 200 <= status < 300:
        raise _status_failure(target.url, response)
    body = b""
    if status != 304:
        body = _body_read(target.url, response, max_bytes, read_timeout, deadline, watchdog)
    content_type, _, parameters = response.headers.get("Content-Type", "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').strip().lower() or None
    return Fetched(
        url=target.url,
        status=status,
        body=body,
        content_type=content_type.strip().lower(),
        charset=charset,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        not_modified=status == 304,
        headers=MappingProxyType(
            {name.lower(): response.headers[name] for name in response.headers}
        ),
    )


def _status_failure(url: str, response: BaseHTTPResponse) -> FetchFailed:
    status = response.status
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "(unknown status)"
    retry_after = None
    if status in (429, 503):
        retry_after = retry_after_parse(response.headers.get("Retry-After"))
    return FetchFailed(
        f"HTTP {status} {phrase} from {url}",
        url=url,
        transient=status in (408, 429) or status >= 500,
        retry_after=retry_after,
        status=status,
    )


def retry_after_parse(value: str | None) -> float | None:
    """Seconds a Retry-After header asks to wait (delay or HTTP-date), None if absent or bad."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": a time in UTC, says RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --- The body: caps, decompression, the deadline between reads ----------------------------------


def _body_read(
    url: str,
    response: BaseHTTPResponse,
    max_bytes: int,
    read_timeout: float,
    deadline: "_Deadline",
    watchdog: Watchdog,
) -> bytes:
    try:
        decoder = BodyDecoder(response.headers.get("Content-Encoding", ""))
    except DecodeError as error:
        raise FetchFailed(str(error), url=url, transient=False) from None
    raw_limit = max_bytes if decoder.identity else max_bytes + RAW_SLACK
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > raw_limit:
        message = f"body of {declared} bytes (Content-Length) is over the limit of {raw_limit}"
        raise FetchTooLarge(message, url=url)
    body = bytearray()
    received = 0
    while chunk := _chunk_read(url, response, read_timeout, deadline, watchdog):
        try:
            body += decoder.decode(chunk, room=max_bytes - len(body))
        except DecodeError as error:
            raise FetchFailed(str(error), url=url, transient=error.transient) from None
        if len(body) > max_bytes:
            after = "" if decoder.identity else " after decompression"
            raise FetchTooLarge(f"body is over the limit of {max_bytes} bytes{after}", url=url)
        received += len(chunk)
        if received > raw_limit:
            raise FetchTooLarge(f"compressed body is over {raw_limit} bytes as sent", url=url)
    if watchdog.fired:  # the end of the body may be the watchdog's shutdown
        raise deadline.passed(url)
    try:
        decoder.finish()
    except DecodeError as error:
        raise FetchFailed(str(error), url=url, transient=error.transient) from None
    return bytes(body)


def _chunk_read(
    url: str,
    response: BaseHTTPResponse,
    read_timeout: float,
    deadline: "_Deadline",
    watchdog: Watchdog,
) -> bytes:
    # Each read waits at most for the time left: the deadline, not the server, ends a trickle.
    watchdog.read_timeout_set(min(read_timeout, deadline.left(url)))
    try:
        return response.read1(CHUNK_SIZE, decode_content=False)
    except ReadTimeoutError:
        if deadline.expired():
            raise deadline.passed(url) from None
        raise


# --- The deadline of a whole fetch ---------------------------------------------------------------


class _Deadline:
    """The instant the whole fetch, redirects included, must be done by."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self, url: str) -> float:
        """Seconds left; raises FetchFailed once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.passed(url)
        return left

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def passed(self, url: str) -> FetchFailed:
        message = f"timed out: the total deadline of {self.seconds:g}s passed"
        return FetchFailed(message, url=url, transient=True)
