"""Sending mails from a process of their own while the caller builds and renders the next ones.

A digest costs CPU to build, render and serialise, and its SMTP dialogue costs waiting: four
replies a message. Done one after the other, a batch takes the sum of both. With the sending in
a forked child process, it takes about the larger of the two. A thread would not do: it needs
the GIL at every reply, and a thread rendering beside it made each send slower than the render
it hid (measured: 2.3 ms a mail against 1.6 ms alone).

The parent serialises each mail (``wire.mail_bytes``) and writes it to a pipe; the child sends
what it reads, in order, over one SMTP connection kept across batches, through Django's SMTP
backend, and writes back each outcome. The child never touches the database. A batch whose
connection cannot be opened, or drops, has its remaining mails reported as not tried (the caller
retries them later); the next batch opens a new connection.

Only Django's SMTP backend is driven this way. Other backends (console, and locmem in tests,
whose outbox must stay in this process) and systems without ``fork`` send inline.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import pickle
import queue
import select
import signal
import smtplib
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from incidents.digests.wire import mail_bytes

logger = logging.getLogger(__name__)

# Pipes this large (Linux allows it unprivileged) hold ~25 digests: the child keeps sending
# while the parent pauses for a batch's queries.
PIPE_SIZE = 1 << 20
# Mails the child reads ahead of the one it sends (~0.2 s of sending): they cover the parent's
# pause between batches. Few enough that their outcomes, written meanwhile, fit in the outcome
# pipe even at its default size.
AHEAD = 128
# Frames on the pipes: a 4-byte length, then a pickle (between two processes of this program).
_LENGTH = struct.Struct("!I")


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: sent (``error`` is None), refused or failed (``tried``), or not
    tried because the connection was not there (``tried`` is False)."""

    key: int
    error: BaseException | None = None
    tried: bool = True


@dataclass(frozen=True)
class Mail:
    """A message with its envelope and its bytes, as Django's SMTP backend would send them."""

    sender: str
    recipients: list[str]
    data: bytes

    @classmethod
    def of(cls, message: EmailMessage) -> Mail:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        return cls(
            sender=sanitize_address(message.from_email, encoding),
            recipients=[sanitize_address(address, encoding) for address in message.recipients()],
            data=mail_bytes(message),
        )


class Courier:
    """Sends ``EmailMessage``s batch by batch; see the module's docstring.

    Use it as a context manager. Leaving it waits for the child to finish; on an exception the
    child sends nothing more after the mail in hand (ask ``outcomes`` first to learn what went).
    """

    def __init__(self) -> None:
        self._inline: Any = None  # the backend, when sending in this process
        self._done: dict[int, list[Outcome]] = {}  # inline outcomes, by batch
        self._keys: dict[int, list[int]] = {}  # what each batch was given, in order
        self._buffer = bytearray()  # outcome bytes read from the child, not parsed yet
        self._eof = False
        self._gone = False  # the child's input is closed: it died

    def __enter__(self) -> Courier:
        backend = get_connection(fail_silently=False)
        if not isinstance(backend, SMTPBackend) or not hasattr(os, "fork"):
            self._inline = backend
            return self
        # Shared with the child: a byte the parent sets to stop it.
        self._aborted = mmap.mmap(-1, 1)
        mails_read, self._mails = os.pipe()
        self._outcomes, outcomes_write = os.pipe()
        import fcntl  # POSIX, as fork is

        for descriptor in (self._mails, outcomes_write):
            with contextlib.suppress(AttributeError, OSError):  # Linux only; smaller is fine
                fcntl.fcntl(descriptor, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        # os.fork, not multiprocessing: a Celery pool process is daemonic, and multiprocessing
        # refuses children to those.
        self._pid = os.fork()
        if self._pid == 0:  # the child
            code = 1
            try:
                os.close(self._mails)  # else it would never see the end of its input
                os.close(self._outcomes)
                _child_main(mails_read, outcomes_write, self._aborted)
                code = 0
            finally:
                os._exit(code)  # no atexit, no Django teardown: the parent owns all that
        os.close(mails_read)
        os.close(outcomes_write)
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self._inline is not None:
            with contextlib.suppress(Exception):
                self._inline.close()
            return
        if error is not None:
            self.abort()
        with contextlib.suppress(OSError):
            os.close(self._mails)  # the end of the child's input: it stops once it has sent it
        deadline = time.monotonic() + float(settings.EMAIL_TIMEOUT or 60) * 4
        while os.waitpid(self._pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                break
            time.sleep(0.01)
        os.close(self._outcomes)
        self._aborted.close()

    def abort(self) -> None:
        """Send nothing more: the mail in hand is finished, the others come back not tried."""
        if self._inline is None:
            self._aborted[0] = 1

    def batch_open(self, batch: int) -> None:
        self._keys[batch] = []
        self._done[batch] = []

    def submit(self, batch: int, key: int, message: EmailMessage) -> None:
        """Serialise ``message`` and hand it over (``key`` names it in the outcomes)."""
        self._keys[batch].append(key)
        if self._inline is not None:
            self._done[batch].append(_send_inline(self._inline, key, message))
            return
        if self._gone:
            return  # reported as not tried by ``outcomes``
        mail = Mail.of(message)
        self._drain()  # the child must never wait on a full outcome pipe while this one writes
        self._send(("mail", batch, key, mail.sender, mail.recipients, mail.data))

    def batch_close(self, batch: int) -> None:
        """No more mails for ``batch``: its outcomes can be had once they are sent."""
        if self._inline is None and not self._gone:
            self._send(("end", batch))

    def _send(self, frame: tuple) -> None:
        try:
            _write(self._mails, frame)
        except BrokenPipeError:
            # The child died (killed, out of memory): what it did not report is retried later.
            logger.error("the digest courier is gone: the rest of the batch waits for a retry")
            self._gone = True

    def outcomes(self, batch: int) -> list[Outcome]:
        """The outcome of each mail of a closed ``batch``, in order; waits for the last one."""
        keys = self._keys.pop(batch)
        done = self._done.pop(batch)
        if self._inline is None:
            while (frame := self._frame()) is not None and frame[0] != "end":
                _, key, error, tried = frame
                done.append(Outcome(key, error, tried))
        reported = {outcome.key: outcome for outcome in done}
        # A child that died (it logs why) tried none of what it did not report.
        lost = RuntimeError("the digest courier stopped before this mail")
        return [reported.get(key, Outcome(key, lost, tried=False)) for key in keys]

    def _drain(self) -> None:
        while not self._eof and select.select([self._outcomes], [], [], 0)[0]:
            chunk = os.read(self._outcomes, 1 << 16)
            if not chunk:
                self._eof = True
            self._buffer += chunk

    def _frame(self) -> tuple | None:
        """The next frame from the child, waiting for it; None once the child has gone."""
        while True:
            if len(self._buffer) >= _LENGTH.size:
                (size,) = _LENGTH.unpack_from(self._buffer)
                if len(self._buffer) >= _LENGTH.size + size:
                    # The child's frames: pickles between two processes of this program.
                    frame = pickle.loads(self._buffer[_LENGTH.size : _LENGTH.size + size])  # noqa: S301
                    del self._buffer[: _LENGTH.size + size]
                    return frame
            if self._eof:
                return None
            chunk = os.read(self._outcomes, 1 << 16)
            if not chunk:
                self._eof = True
            self._buffer += chunk


def _write(descriptor: int, frame: tuple) -> None:
    data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read(stream) -> tuple | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    return pickle.loads(stream.read(size))  # noqa: S301  # the parent's frames


def _send_inline(backend, key: int, message: EmailMessage) -> Outcome:
    message.connection = backend
    try:
        backend.open()  # once: an open backend is kept open across mails
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(key, error)
    return Outcome(key)


def _slurp(stream) -> queue.Queue:
    """The frames of ``stream``, read ahead by a thread (``None`` at the end).

    The parent pauses between batches for its queries, longer than the pipe's worth of mails
    lasts; read ahead, the child has mails in hand through the pause. The reader holds the GIL
    only to copy a frame, so the sender's replies are barely delayed.
    """
    frames: queue.Queue = queue.Queue(maxsize=AHEAD)

    def read() -> None:
        try:
            while (frame := _read(stream)) is not None:
                frames.put(frame)
        finally:
            frames.put(None)

    threading.Thread(target=read, name="digest-courier-reader", daemon=True).start()
    return frames


def _child_main(mails: int, outcomes: int, aborted: mmap.mmap) -> None:
    """The courier: send each mail read from ``mails``, report on ``outcomes``."""
    # The worker's handlers (Celery's) are not the courier's: a signal ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    frames = _slurp(os.fdopen(mails, "rb", buffering=1 << 16))
    connection = None
    broken: dict[int, BaseException] = {}  # batches whose connection failed, and why

    def report(batch: int, key: int, error: BaseException | None, tried: bool = True) -> None:
        try:
            pickle.dumps(error)
        except Exception:  # noqa: BLE001  # one that does not travel is described instead
            error = RuntimeError(f"{type(error).__name__}: {error}")
        _write(outcomes, ("mail", key, error, tried))

    try:
        while (frame := frames.get()) is not None:
            if frame[0] == "end":
                _write(outcomes, frame)
                continue
            _, batch, key, sender, recipients, data = frame
            if aborted[0]:
                report(batch, key, RuntimeError("stopped before this mail"), tried=False)
                continue
            if batch in broken:
                report(batch, key, broken[batch], tried=False)
                continue
            if connection is None:
                try:
                    connection = get_connection(fail_silently=False)
                    connection.open()
                except (smtplib.SMTPException, OSError) as error:
                    # The server cannot be reached: the batch's other mails wait too.
                    connection = None
                    broken[batch] = error
                    report(batch, key, error, tried=False)
                    continue
            try:
                connection.connection.sendmail(sender, recipients, data)
            except (smtplib.SMTPException, OSError) as error:
                report(batch, key, error)
                if isinstance(error, smtplib.SMTPServerDisconnected | socket.timeout):
                    # The connection is gone: the rest of the batch waits for a retry.
                    broken[batch] = error
                    with contextlib.suppress(Exception):
                        connection.close()
                    connection = None
            else:
                report(batch, key, None)
    except BrokenPipeError:
        pass  # the parent is gone: nobody is left to tell
    except BaseException:
        logger.exception("the digest courier stopped")
        raise
    finally:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
