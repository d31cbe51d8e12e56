"""Real local HTTP and HTTPS servers, and a stand-in resolver, for the fetcher's tests."""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import pytest
import trustme

from incidents.ingestion import fetch

Route = Callable[[BaseHTTPRequestHandler], None]


class FeedServer(ThreadingHTTPServer):
    """Serves the routes a test sets; counts connections and keeps each request's headers."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)
        self.tls = tls
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0
        self.errors: list[BaseException | None] = []
        self.sni: list[str | None] = []
        # Set at teardown: handlers that stall on purpose stop waiting.
        self.released = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def get_request(self):
        sock, client = super().get_request()
        if self.tls:
            # The handshake happens in the handler's thread, on its first read.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, client

    def process_request(self, request, client_address) -> None:
        self.connections += 1
        super().process_request(request, client_address)

    def handle_error(self, request, client_address) -> None:
        # A fetcher that hangs up or rejects the certificate is what some tests want.
        self.errors.append(sys.exc_info()[1])


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(self.path)
        if route is None:
            respond(self, 404, b"not found")
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def respond(
    handler: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """A complete response with a Content-Length."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def start_stream(
    handler: BaseHTTPRequestHandler, status: int = 200, headers: dict[str, str] | None = None
) -> None:
    """Headers for a body that ends when the connection closes (no Content-Length)."""
    handler.close_connection = True
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.flush()


@contextmanager
def serving(server: FeedServer) -> Iterator[FeedServer]:
    """Runs the server in a thread for the length of the with block."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.005})
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """An HTTP server on 127.0.0.1, on a port of its own."""
    with serving(FeedServer()) as server:
        yield server


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_path(tls_ca: trustme.CA) -> Iterator[str]:
    """A file holding the test CA's certificate, for fetch(ca_certs=...)."""
    with tls_ca.cert_pem.tempfile() as path:
        yield path


@pytest.fixture
def tls_server_for(tls_ca: trustme.CA) -> Iterator[Callable[[str], FeedServer]]:
    """Starts HTTPS servers on 127.0.0.1 with a certificate for the name given; records SNI."""
    with ExitStack() as servers:

        def start(name: str) -> FeedServer:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_ca.issue_cert(name).configure_cert(context)
            server = FeedServer(tls=context)
            context.sni_callback = lambda _sock, sni, _context: server.sni.append(sni)
            return servers.enter_context(serving(server))

        yield start


class FakeDNS:
    """Answers for the names a test sets, in order; counts every lookup. Unknown names fail."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: list[str] = []

    def set(self, name: str, *answers: list[str]) -> None:
        """Each lookup of the name takes the next answer; the last one repeats."""
        self.answers[name] = list(answers)

    def resolve(self, host: str, port: int) -> list:
        self.calls.append(host)
        answers = self.answers.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return [ip_address(address) for address in answer]


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Replaces the fetcher's resolver, the one thing these tests replace."""
    dns = FakeDNS()
    monkeypatch.setattr(fetch, "resolve", dns.resolve)
    return dns


@pytest.fixture
def allow_private(settings) -> None:
    """TRACKER_FETCH_ALLOW_PRIVATE on, to reach the local servers."""
    settings.TRACKER_FETCH_ALLOW_PRIVATE = True
