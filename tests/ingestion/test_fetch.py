"""The fetcher against real local servers: SSRF refusals, redirects, limits, errors, TLS.

Only the resolver is replaced (fake_dns); every request goes over a real socket to a server the
test started on the loopback interface.
"""

import gzip
import re
import socket
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from incidents.ingestion.fetch import (
    USER_AGENT,
    FetchFailed,
    FetchRefused,
    FetchTooLarge,
    Timeouts,
    fetch,
    resolve,
    retry_after_parse,
)
from tests.ingestion.conftest import FeedServer, respond, serving, start_stream

FEED = b"<?xml version='1.0'?><rss><channel><title>Zoom advisories</title></channel></rss>"
FAST = Timeouts(connect=1, read=1, total=3)
MiB = 1024 * 1024


@pytest.fixture
def deny_private(settings) -> None:
    settings.TRACKER_FETCH_ALLOW_PRIVATE = False


def _serve(server: FeedServer, path: str, status: int = 200, body: bytes = FEED, **headers: str):
    server.routes[path] = lambda handler: respond(handler, status, body, headers)


def _redirect(server: FeedServer, path: str, location: str, status: int = 302) -> None:
    _serve(server, path, status, b"", Location=location)


# --- SSRF: refused before anything connects -----------------------------------------------------

REFUSED = [
    ("http://127.0.0.1:{port}/", "127.0.0.1 is loopback"),
    ("http://127.1:{port}/", "127.1 is a non-canonical spelling of 127.0.0.1, loopback"),
    ("http://localhost:{port}/", "localhost: 127.0.0.1 is loopback"),
    ("http://[::1]:{port}/", "::1 is loopback"),
    ("http://0.0.0.0:{port}/", "0.0.0.0 is this-network"),
    ("http://0:{port}/", "spelling of 0.0.0.0, this-network"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local (cloud metadata)"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is unique local (AWS metadata)"),
    ("http://100.100.100.200/latest/meta-data/", "CGNAT (Alibaba Cloud metadata)"),
    (
        "http://metadata.google.internal/computeMetadata/v1/",
        "metadata.google.internal: 169.254.169.254 is link-local (cloud metadata)",
    ),
    ("http://168.63.129.16/machine", "Azure platform endpoint"),
    ("http://10.0.0.1/", "10.0.0.1 is private (RFC 1918)"),
    ("http://172.16.0.1/", "172.16.0.1 is private (RFC 1918)"),
    ("http://192.168.1.1/", "192.168.1.1 is private (RFC 1918)"),
    ("http://100.64.0.1/", "100.64.0.1 is shared address space (CGNAT)"),
    ("http://2130706433:{port}/", "spelling of 127.0.0.1, loopback"),
    ("http://0x7f000001:{port}/", "spelling of 127.0.0.1, loopback"),
    ("http://0x7f.1:{port}/", "spelling of 127.0.0.1, loopback"),
    ("http://0177.0.0.1:{port}/", "spelling of 127.0.0.1, loopback"),
    ("http://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped address for 127.0.0.1, loopback"),
    ("http://[::ffff:7f00:1]:{port}/", "IPv4-mapped address for 127.0.0.1, loopback"),
    ("http://[::127.0.0.1]:{port}/", "IPv4-compatible (deprecated)"),
    ("http://[64:ff9b::7f00:1]/", "NAT64 address for 127.0.0.1, loopback"),
    ("http://[64:ff9b::a9fe:a9fe]/", "NAT64 address for 169.254.169.254, link-local (cloud"),
    ("http://[2002:7f00:1::]/", "6to4 address for 127.0.0.1, loopback"),
    ("http://224.0.0.1/", "224.0.0.1 is multicast"),
    ("http://[ff02::1]/", "ff02::1 is multicast"),
    ("http://255.255.255.255/", "255.255.255.255 is limited broadcast"),
    ("http://240.0.0.1/", "240.0.0.1 is reserved"),
    ("http://198.18.0.1/", "198.18.0.1 is benchmarking"),
    ("http://[fe80::1]/", "fe80::1 is link-local"),
    ("http://[fec0::1]/", "site-local (deprecated)"),
    ("http://[::]:{port}/", ":: is unspecified"),
    ("file:///etc/passwd", "scheme 'file' is not http or https"),
    ("gopher://127.0.0.1:{port}/_GET%20/", "scheme 'gopher' is not http or https"),
    ("ftp://example.com/feed.xml", "scheme 'ftp' is not http or https"),
    ("http://user:pass@example.com/", "the URL carries credentials"),
    ("https://token@example.com/", "the URL carries credentials"),
    ("http://loopback.test:{port}/", "loopback.test: 127.0.0.1 is loopback"),
    ("http://mixed.test:{port}/", "mixed.test: 127.0.0.1 is loopback"),
    ("http://1.2.3.09/", "1.2.3.09 is a malformed numeric host"),
    ("http://%31%32%37.0.0.1:{port}/", "invalid host name"),
    ("http://127.0.0.1:{port}/a b", "spaces or control characters"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED, ids=[url for url, _ in REFUSED])
@pytest.mark.usefixtures("deny_private")
def test_ssrf_vectors_are_refused_naming_the_reason_and_nothing_connects(
    url, reason, feed_server, fake_dns
):
    fake_dns.set("localhost", ["127.0.0.1", "::1"])
    fake_dns.set("loopback.test", ["127.0.0.1"])
    fake_dns.set("metadata.google.internal", ["169.254.169.254"])
    # The public record comes first: the guard must check every record, not the first.
    fake_dns.set("mixed.test", ["93.184.216.34", "127.0.0.1"])
    _serve(feed_server, "/")

    with pytest.raises(FetchRefused) as refused:
        fetch(url.format(port=feed_server.port), timeout=FAST)

    message = str(refused.value)
    assert message.startswith("refused: ")
    assert reason in message
    assert "\n" not in message
    assert feed_server.connections == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata)"),
        ("http://[fd00:ec2::254]/", "unique local (AWS metadata)"),
        ("http://100.100.100.200/", "Alibaba Cloud metadata"),
        ("http://metadata.google.internal/", "169.254.169.254 is link-local (cloud metadata)"),
        ("http://0.0.0.0:{port}/", "this-network"),
        ("http://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped address for 127.0.0.1"),
        ("http://127.1:{port}/", "non-canonical spelling of 127.0.0.1"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        # One record allowed, one not: refused, and the allowed one is not tried either.
        ("http://half.test:{port}/", "half.test: 169.254.169.254 is link-local (cloud metadata)"),
    ],
)
@pytest.mark.usefixtures("allow_private")
def test_metadata_link_local_and_this_network_stay_refused_when_private_is_allowed(
    url, reason, feed_server, fake_dns
):
    fake_dns.set("metadata.google.internal", ["169.254.169.254"])
    fake_dns.set("half.test", ["127.0.0.1", "169.254.169.254"])
    _serve(feed_server, "/")

    with pytest.raises(FetchRefused, match=re.escape(reason)):
        fetch(url.format(port=feed_server.port), timeout=FAST)
    assert feed_server.connections == 0


def test_loopback_is_reachable_only_while_the_setting_is_on(settings, feed_server):
    _serve(feed_server, "/feed.xml")
    settings.TRACKER_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(FetchRefused, match=re.escape("127.0.0.1 is loopback")):
        fetch(feed_server.url("/feed.xml"), timeout=FAST)

    settings.TRACKER_FETCH_ALLOW_PRIVATE = True
    assert fetch(feed_server.url("/feed.xml"), timeout=FAST).body == FEED


@pytest.mark.usefixtures("deny_private")
def test_header_values_with_line_breaks_are_refused_before_connecting(feed_server):
    with pytest.raises(FetchRefused, match="control characters"):
        fetch(feed_server.url(), etag='"v1"\r\nX-Injected: 1', timeout=FAST)
    assert feed_server.connections == 0


# --- A fetch: checked address, Host and SNI by name, the response ------------------------------


@pytest.mark.usefixtures("allow_private")
def test_a_name_is_resolved_once_and_the_checked_address_is_asked_with_the_names_host(
    feed_server, fake_dns
):
    fake_dns.set("feeds.test", ["127.0.0.1"])
    _serve(feed_server, "/rss?lang=en", **{"Content-Type": 'application/rss+xml; charset="UTF-8"'})

    fetched = fetch(f"http://feeds.test:{feed_server.port}/rss?lang=en#top", timeout=FAST)

    assert fetched.url == f"http://feeds.test:{feed_server.port}/rss?lang=en#top"
    assert (fetched.status, fetched.body, fetched.not_modified) == (200, FEED, False)
    assert (fetched.content_type, fetched.charset) == ("application/rss+xml", "utf-8")
    assert fetched.headers["content-length"] == str(len(FEED))
    assert fake_dns.calls == ["feeds.test"]
    ((path, headers),) = feed_server.requests
    assert path == "/rss?lang=en"
    assert headers["host"] == f"feeds.test:{feed_server.port}"
    assert headers["user-agent"] == USER_AGENT
    assert headers["user-agent"].startswith("vcwatch/")
    assert headers["accept-encoding"] == "gzip, deflate"
    assert headers["accept"] == "*/*"


@pytest.mark.usefixtures("allow_private")
def test_conditional_get_sends_the_validators_and_a_304_comes_back_not_modified(feed_server):
    modified = "Tue, 04 Nov 2025 10:00:00 GMT"

    def conditional(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            respond(handler, 304, headers={"ETag": '"v1"'})
        else:
            respond(handler, 200, FEED, {"ETag": '"v1"', "Last-Modified": modified})

    feed_server.routes["/feed"] = conditional
    first = fetch(feed_server.url("/feed"), timeout=FAST)
    again = fetch(
        feed_server.url("/feed"),
        etag=first.etag,
        last_modified=first.last_modified,
        accept="application/rss+xml, application/atom+xml",
        timeout=FAST,
    )

    assert (first.etag, first.last_modified, first.body) == ('"v1"', modified, FEED)
    assert again.not_modified
    assert (again.status, again.body) == (304, b"")
    # The server did not repeat Last-Modified: the caller's stays.
    assert (again.etag, again.last_modified) == ('"v1"', modified)
    sent = feed_server.requests[1][1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == modified
    assert sent["accept"] == "application/rss+xml, application/atom+xml"
    assert "if-none-match" not in feed_server.requests[0][1]


@pytest.mark.usefixtures("allow_private")
def test_a_non_ascii_path_is_sent_percent_encoded(feed_server):
    _serve(feed_server, "/caf%C3%A9?q=%C3%A9t%C3%A9")
    assert fetch(feed_server.url("/café?q=été"), timeout=FAST).body == FEED


@pytest.mark.usefixtures("allow_private")
def test_proxies_from_the_environment_are_not_used(feed_server, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    _serve(feed_server, "/feed")
    assert fetch(feed_server.url("/feed"), timeout=FAST).body == FEED
    assert feed_server.requests[0][0] == "/feed"


@pytest.mark.usefixtures("allow_private")
def test_an_ipv6_literal_is_asked_with_a_bracketed_host():
    with serving(FeedServer("::1")) as server:
        _serve(server, "/feed")
        assert fetch(server.url("/feed", host="[::1]"), timeout=FAST).body == FEED
        assert server.requests[0][1]["host"] == f"[::1]:{server.port}"


@pytest.mark.usefixtures("allow_private")
def test_the_next_checked_address_is_tried_when_one_refuses_the_connection(feed_server, fake_dns):
    # Nothing listens on [::1] at the server's port: that connection is refused.
    fake_dns.set("dual.test", ["::1", "127.0.0.1"])
    _serve(feed_server, "/feed")
    assert fetch(f"http://dual.test:{feed_server.port}/feed", timeout=FAST).body == FEED
    assert feed_server.connections == 1


def test_the_real_resolver_returns_every_address_once():
    addresses = resolve("localhost", 80)
    assert addresses
    assert len(addresses) == len(set(addresses))
    assert all(address.is_loopback for address in addresses)


# --- Redirects: at most three, each hop checked again -------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.usefixtures("allow_private")
def test_a_relative_redirect_is_followed_against_the_current_url(status, feed_server):
    _redirect(feed_server, "/feeds/old", "new?page=1", status)
    _serve(feed_server, "/feeds/new?page=1")
    fetched = fetch(feed_server.url("/feeds/old"), timeout=FAST)
    assert fetched.url == feed_server.url("/feeds/new?page=1")
    assert fetched.body == FEED


@pytest.mark.usefixtures("allow_private")
def test_three_redirects_are_followed_and_a_fourth_is_refused(feed_server):
    for hop in range(4):
        _redirect(feed_server, f"/r{hop}", f"/r{hop + 1}")
    _serve(feed_server, "/r4")
    _redirect(feed_server, "/three", "/r2")

    assert fetch(feed_server.url("/three"), timeout=FAST).url == feed_server.url("/r4")
    feed_server.requests.clear()
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        fetch(feed_server.url("/r0"), timeout=FAST)
    assert [path for path, _ in feed_server.requests] == ["/r0", "/r1", "/r2", "/r3"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local (cloud"),
        ("//169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local (cloud"),
        ("http://metadata.google.internal/", "169.254.169.254 is link-local (cloud"),
        ("http://[fd00:ec2::254]/", "AWS metadata"),
        ("http://0x7f.1:{port}/feed", "non-canonical spelling of 127.0.0.1"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("http://user:pass@feeds.test:{port}/feed", "credentials"),
    ],
)
@pytest.mark.usefixtures("allow_private")
def test_a_redirect_target_is_checked_like_the_first_url(location, reason, feed_server, fake_dns):
    fake_dns.set("feeds.test", ["127.0.0.1"])
    fake_dns.set("metadata.google.internal", ["169.254.169.254"])
    _redirect(feed_server, "/moved", location.format(port=feed_server.port))
    _serve(feed_server, "/feed")
    with pytest.raises(FetchRefused, match=re.escape(reason)):
        fetch(f"http://feeds.test:{feed_server.port}/moved", timeout=FAST)
    assert [path for path, _ in feed_server.requests] == ["/moved"]


@pytest.mark.usefixtures("allow_private")
def test_dns_rebinding_after_the_check_does_not_move_the_connection(feed_server, fake_dns):
    fake_dns.set("rebind.test", ["127.0.0.1"], ["169.254.169.254"])
    _serve(feed_server, "/feed")

    # One lookup, checked, then used: the server answered although the name would now rebind.
    assert fetch(f"http://rebind.test:{feed_server.port}/feed", timeout=FAST).body == FEED
    assert fake_dns.calls == ["rebind.test"]
    assert feed_server.requests[0][1]["host"] == f"rebind.test:{feed_server.port}"


@pytest.mark.usefixtures("allow_private")
def test_a_redirect_to_the_same_host_resolves_again_and_a_rebound_address_is_refused(
    feed_server, fake_dns
):
    fake_dns.set("rebind.test", ["127.0.0.1"], ["169.254.169.254"])
    _redirect(feed_server, "/feed", "/feed2")
    _serve(feed_server, "/feed2")

    with pytest.raises(FetchRefused, match=re.escape("rebind.test: 169.254.169.254 is link-local")):
        fetch(f"http://rebind.test:{feed_server.port}/feed", timeout=FAST)
    assert fake_dns.calls == ["rebind.test", "rebind.test"]
    assert [path for path, _ in feed_server.requests] == ["/feed"]


# --- Size limits: after decompression, and as sent ---------------------------------------------

ZEROS = bytes(MiB)


def _gzip_bomb(handler) -> None:
    """1 GiB of zeros as gzip, compressed only as fast as the client reads it."""
    start_stream(handler, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    for _ in range(1024):
        handler.wfile.write(compressor.compress(ZEROS))
    handler.wfile.write(compressor.flush())


@pytest.mark.usefixtures("allow_private")
def test_a_gzip_bomb_is_too_large_without_being_inflated_in_memory(feed_server):
    feed_server.routes["/bomb"] = _gzip_bomb
    tracemalloc.start()
    started = time.monotonic()
    try:
        too_large = f"over the limit of {MiB} bytes after decompression"
        with pytest.raises(FetchTooLarge, match=too_large):
            fetch(feed_server.url("/bomb"), max_bytes=MiB, timeout=FAST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB
    assert time.monotonic() - started < 2


@pytest.mark.usefixtures("allow_private")
def test_an_oversized_plain_body_is_too_large(feed_server):
    def endless(handler):
        start_stream(handler, headers={"Content-Type": "text/html"})
        for _ in range(64):
            handler.wfile.write(bytes(64 * 1024))

    feed_server.routes["/big"] = endless
    with pytest.raises(FetchTooLarge, match=r"body is over the limit of 100000 bytes$"):
        fetch(feed_server.url("/big"), max_bytes=100_000, timeout=FAST)


@pytest.mark.usefixtures("allow_private")
def test_a_declared_oversized_body_is_refused_before_it_is_read(feed_server):
    def declared(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(10 * MiB))
        handler.end_headers()
        handler.server.released.wait(5)

    feed_server.routes["/big"] = declared
    started = time.monotonic()
    with pytest.raises(FetchTooLarge, match=f"body of {10 * MiB} bytes"):
        fetch(feed_server.url("/big"), max_bytes=MiB, timeout=FAST)
    assert time.monotonic() - started < 0.5


@pytest.mark.usefixtures("allow_private")
def test_compressed_bytes_that_inflate_to_nothing_are_capped_as_sent(feed_server):
    empty_member = gzip.compress(b"")

    def empty_members(handler):
        start_stream(handler, headers={"Content-Encoding": "gzip"})
        for _ in range(1000):
            handler.wfile.write(empty_member * 100)

    feed_server.routes["/empty"] = empty_members
    with pytest.raises(FetchTooLarge, match="bytes as sent"):
        fetch(feed_server.url("/empty"), max_bytes=1024, timeout=FAST)


# --- Timeouts and the total deadline ------------------------------------------------------------


@pytest.mark.usefixtures("allow_private")
def test_a_server_that_stalls_after_its_headers_hits_the_read_timeout(feed_server):
    def stall(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        handler.server.released.wait(5)

    feed_server.routes["/stall"] = stall
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=re.escape("127.0.0.1 stopped answering")) as failed:
        fetch(feed_server.url("/stall"), timeout=Timeouts(connect=1, read=0.3, total=3))
    assert failed.value.transient
    assert 0.3 <= time.monotonic() - started < 1


@pytest.mark.usefixtures("allow_private")
def test_a_body_trickled_a_byte_at_a_time_hits_the_total_deadline(feed_server):
    def trickle(handler):
        start_stream(handler, headers={"Content-Type": "text/plain"})
        # Bounded, so that a fetcher without a deadline fails this test instead of hanging it.
        for _ in range(50):
            if handler.server.released.wait(0.1):
                return
            handler.wfile.write(b"x")

    feed_server.routes["/trickle"] = trickle
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="total deadline of 1s passed") as failed:
        fetch(feed_server.url("/trickle"), timeout=Timeouts(connect=1, read=0.5, total=1))
    assert failed.value.transient
    assert 1 <= time.monotonic() - started < 1.5


@pytest.mark.usefixtures("allow_private")
def test_headers_trickled_a_byte_at_a_time_hit_the_total_deadline(feed_server):
    def trickle(handler):
        handler.close_connection = True
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        # Bounded, so that a fetcher without a deadline fails this test instead of hanging it.
        for _ in range(50):
            if handler.server.released.wait(0.1):
                return
            handler.wfile.write(b"x")

    feed_server.routes["/trickle"] = trickle
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="total deadline of 1s passed"):
        fetch(feed_server.url("/trickle"), timeout=Timeouts(connect=1, read=0.5, total=1))
    assert 1 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("timeouts", "message"),
    [
        (Timeouts(connect=0.3, read=5, total=3), "127.0.0.1 stopped answering"),
        (Timeouts(connect=5, read=5, total=0.3), "total deadline of 0.3s passed"),
    ],
)
@pytest.mark.usefixtures("allow_private")
def test_a_tls_handshake_that_never_answers_is_bounded(timeouts, message):
    # The kernel completes the TCP handshake into the backlog; nothing ever speaks TLS.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        started = time.monotonic()
        with pytest.raises(FetchFailed, match=re.escape(message)) as failed:
            fetch(f"https://127.0.0.1:{silent.getsockname()[1]}/", timeout=timeouts)
    assert failed.value.transient
    assert 0.3 <= time.monotonic() - started < 1


@pytest.mark.usefixtures("allow_private")
def test_a_refused_connection_is_a_transient_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchFailed, match=re.escape("could not connect to 127.0.0.1")) as failed:
        fetch(f"http://127.0.0.1:{port}/", timeout=FAST)
    assert failed.value.transient


# --- Status codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "transient"),
    [(400, False), (403, False), (404, False), (410, False), (408, True), (500, True), (502, True)],
)
@pytest.mark.usefixtures("allow_private")
def test_client_errors_are_permanent_and_server_errors_transient(status, transient, feed_server):
    _serve(feed_server, "/feed", status, b"error page")
    with pytest.raises(FetchFailed, match=f"HTTP {status} ") as failed:
        fetch(feed_server.url("/feed"), timeout=FAST)
    assert (failed.value.status, failed.value.transient) == (status, transient)
    assert failed.value.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.usefixtures("allow_private")
def test_retry_after_in_seconds_or_as_a_date_is_parsed(status, feed_server):
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    _serve(feed_server, "/seconds", status, **{"Retry-After": "120"})
    _serve(feed_server, "/date", status, **{"Retry-After": later})

    with pytest.raises(FetchFailed) as in_seconds:
        fetch(feed_server.url("/seconds"), timeout=FAST)
    with pytest.raises(FetchFailed) as as_date:
        fetch(feed_server.url("/date"), timeout=FAST)

    assert in_seconds.value.transient
    assert in_seconds.value.retry_after == 120.0
    assert 85 <= as_date.value.retry_after <= 90


def test_retry_after_that_is_absent_malformed_or_past_is_none_or_zero():
    assert retry_after_parse(None) is None
    assert retry_after_parse("soon") is None
    assert retry_after_parse("-5") is None
    assert retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT") == 0.0


# --- Content-Encoding ---------------------------------------------------------------------------


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(FEED)),
        ("x-gzip", gzip.compress(FEED)),
        ("deflate", zlib.compress(FEED)),
        ("deflate", _raw_deflate(FEED)),
        ("gzip", gzip.compress(FEED[:20]) + gzip.compress(FEED[20:])),
        ("identity", FEED),
    ],
    ids=["gzip", "x-gzip", "zlib-deflate", "raw-deflate", "gzip-members", "identity"],
)
@pytest.mark.usefixtures("allow_private")
def test_gzip_and_deflate_bodies_are_decoded(encoding, body, feed_server):
    _serve(feed_server, "/feed", body=body, **{"Content-Encoding": encoding})
    assert fetch(feed_server.url("/feed"), timeout=FAST).body == FEED


@pytest.mark.parametrize(
    ("encoding", "body", "message", "transient"),
    [
        ("br", b"\x0b\x02\x80", "unsupported Content-Encoding 'br'", False),
        ("gzip, br", b"", "unsupported Content-Encoding 'gzip, br'", False),
        ("gzip", b"\x1f\x8b" + bytes(30), "corrupt gzip body", False),
        ("gzip", gzip.compress(FEED)[:-12], "the gzip body ends early", True),
    ],
)
@pytest.mark.usefixtures("allow_private")
def test_unknown_corrupt_or_truncated_encodings_fail_clearly(
    encoding, body, message, transient, feed_server
):
    _serve(feed_server, "/feed", body=body, **{"Content-Encoding": encoding})
    with pytest.raises(FetchFailed, match=message) as failed:
        fetch(feed_server.url("/feed"), timeout=FAST)
    assert failed.value.transient is transient


# --- HTTPS to the checked address, SNI and certificate by name ----------------------------------


@pytest.mark.usefixtures("allow_private")
def test_https_goes_to_the_checked_address_with_sni_and_certificate_for_the_name(
    tls_server_for, ca_path, fake_dns
):
    server = tls_server_for("feeds.test")
    fake_dns.set("feeds.test", ["127.0.0.1"])
    _serve(server, "/feed")

    fetched = fetch(f"https://feeds.test:{server.port}/feed", ca_certs=ca_path, timeout=FAST)

    assert fetched.body == FEED
    assert server.sni == ["feeds.test"]
    assert server.requests[0][1]["host"] == f"feeds.test:{server.port}"


@pytest.mark.usefixtures("allow_private")
def test_https_with_a_certificate_for_another_name_fails_naming_the_host(
    tls_server_for, ca_path, fake_dns
):
    server = tls_server_for("other.test")
    fake_dns.set("feeds.test", ["127.0.0.1"])
    _serve(server, "/feed")

    with pytest.raises(FetchFailed, match=re.escape("feeds.test")) as failed:
        fetch(f"https://feeds.test:{server.port}/feed", ca_certs=ca_path, timeout=FAST)
    assert "other.test" in str(failed.value)
    assert not failed.value.transient
    assert server.requests == []


@pytest.mark.usefixtures("allow_private")
def test_https_signed_by_an_unknown_authority_fails(tls_server_for, fake_dns):
    server = tls_server_for("feeds.test")
    fake_dns.set("feeds.test", ["127.0.0.1"])
    with pytest.raises(FetchFailed, match="certificate verify failed") as failed:
        fetch(f"https://feeds.test:{server.port}/feed", timeout=FAST)
    assert not failed.value.transient
    assert server.requests == []
