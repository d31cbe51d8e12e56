"""Connections to an address already checked, held to a deadline whatever the server does."""

import contextlib
import socket
import threading
import time
from typing import Any

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

from incidents.ingestion.addresses import IPAddress


class Watchdog:
    """Holds a connection's socket to the deadline: shortens each body read's timeout to the
    time left, and shuts the socket down when it passes, whatever is blocked reading it.

    Read timeouts bound each read, not a TLS handshake or headers sent a byte at a time; the
    shutdown covers those.
    """

    def __init__(self, at: float) -> None:
        self.at = at
        self.fired = False
        # The socket reads go through (TLS-wrapped for https). The connection itself lets go
        # of it as soon as the response says Connection: close.
        self.stream: socket.socket | None = None
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer: threading.Timer | None = None

    def read_timeout_set(self, seconds: float) -> None:
        if self.stream is not None:
            # Closed once the body is read to its end: then there is no read left to bound.
            with contextlib.suppress(OSError):
                self.stream.settimeout(seconds)

    def watch(self, sock: socket.socket) -> None:
        # A duplicate of the descriptor: TLS takes over the original and the connection may
        # close it, but a shutdown through this one still ends every read of the connection.
        with self._lock:
            self._socket = sock.dup()
            self._timer = threading.Timer(max(0.0, self.at - time.monotonic()), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._socket is not None:
                self.fired = True
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if self._socket is not None:
                self._socket.close()
                self._socket = None


# `_new_conn` is urllib3's step between the TCP connect and the TLS handshake: the one place to
# hand the socket to the watchdog before anything can stall. urllib3 is pinned, and the trickle
# tests hang past their deadline if the hook moves.
class _Watched:
    """Hands the socket to the watchdog as soon as it is connected, before TLS or a request."""

    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        self.watchdog.watch(sock)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.watchdog.stream = self.sock  # type: ignore[attr-defined]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class HTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


def pool_for(
    scheme: str,
    host: str,
    port: int,
    address: IPAddress,
    *,
    watchdog: Watchdog,
    ca_certs: str | None,
) -> HTTPConnectionPool:
    """A pool of one connection to the checked address; for TLS, SNI and the certificate check
    still use the URL's host name."""
    if scheme == "http":
        return HTTPPool(str(address), port, maxsize=1, retries=False, watchdog=watchdog)
    name = host.rstrip(".")
    return HTTPSPool(
        str(address),
        port,
        maxsize=1,
        retries=False,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_certs,
        server_hostname=name,
        assert_hostname=name,
        watchdog=watchdog,
    )
