"""Content-Encoding undone under a size cap: a gzip bomb never inflates past the room left."""

import zlib

GZIP_WBITS = zlib.MAX_WBITS | 16


class DecodeError(Exception):
    """The body cannot be decoded; ``transient`` when a retry may get a whole one."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class BodyDecoder:
    """Undoes a gzip or deflate Content-Encoding without ever yielding more than the room left."""

    def __init__(self, encoding: str) -> None:
        self.name = encoding.strip().lower()
        if self.name not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise DecodeError(
                f"unsupported Content-Encoding {encoding.strip()!r} (asked for gzip, deflate)"
            )
        self.identity = self.name in ("", "identity")
        self.gzip = self.name in ("gzip", "x-gzip")
        # Deflate is zlib-wrapped or, from some servers, raw: its first two bytes tell which.
        self.inflater = zlib.decompressobj(GZIP_WBITS) if self.gzip else None
        self.head = b""
        self.started = False
        self.ended = False

    def decode(self, data: bytes, *, room: int) -> bytes:
        if self.identity:
            return data
        self.started = True
        if self.inflater is None:
            data, self.head = self.head + data, b""
            if len(data) < 2:
                self.head = data
                return b""
            zlib_wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self.inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        out = bytearray()
        try:
            while data and not self.ended:
                if self.inflater.eof:
                    # gzip allows members one after another; anything else after the end is
                    # ignored, as browsers do.
                    if not (self.gzip and data.startswith(b"\x1f\x8b")):
                        self.ended = True
                        break
                    self.inflater = zlib.decompressobj(GZIP_WBITS)
                # max_length bounds the output: one byte past the room proves the body too large.
                out += self.inflater.decompress(data, room - len(out) + 1)
                if len(out) > room:
                    break
                data = self.inflater.unused_data
        except zlib.error as error:
            raise DecodeError(f"corrupt {self.name} body: {error}") from None
        return bytes(out)

    def finish(self) -> None:
        if self.started and (self.inflater is None or not self.inflater.eof):
            raise DecodeError(f"the {self.name} body ends early", transient=True)
