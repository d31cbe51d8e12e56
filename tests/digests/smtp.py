"""A real SMTP server on a local port (aiosmtpd) whose answers a test scripts."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message

from aiosmtpd.controller import Controller


class Recorder:
    """Keeps each accepted message; answers from ``script`` first ("451 ...", "550 ...",
    "hang" to never answer, or "accept"), then accepts."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.accepted: list[Message] = []
        self.attempts = 0
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.script:
            answer = self.script.pop(0)
            if answer == "accept":
                self.accepted.append(email.message_from_bytes(envelope.content))
                return "250 OK"
            if answer == "hang":
                # Holds the reply until the test ends: the client's timeout must give up first.
                while not self.released.is_set():
                    await asyncio.sleep(0.05)
                return "421 Going away"
            return answer
        self.accepted.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    """An SMTP server on 127.0.0.1 for the duration; yields its recorder and port."""
    recorder = Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        recorder.released.set()
        controller.stop()
