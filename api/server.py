"""Serving over HTTP: uvicorn with httptools, plus what uvicorn lacks, header and body read
timeouts and a header size bound, and a listening socket bound before anything is
announced.

A client that sends its request line and headers slower than HEADER_TIMEOUT_S, or its body
slower than BODY_TIMEOUT_S (the "slow drip"), is answered 408 and disconnected. The
deadlines are timers of the connection, not of each request's task: one timer handle per
request instead of a timeout context around the application's reads.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import orjson
from starlette.types import ASGIApp
from uvicorn import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from config.settings import Settings

MAX_HEADER_BYTES = 16 * 1024


class HeadersTooLarge(Exception):
    pass


class CoalescingWriter:
    """A response's transport that sends its status line and headers together with the first
    bytes of its body: one write (one send to the socket) per response instead of two.

    uvicorn writes the head when the application starts the response and the body when it
    sends it, in the same turn of the event loop for every answer here; should a body take
    longer, the head goes out alone at the end of that turn.
    """

    __slots__ = ("_flush", "_head", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None
        self._flush: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head + data)
        elif data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 100 "):
            self._head = data
            if self._flush is None:
                self._flush = self._loop.call_soon(self._send_head)
        else:
            self._transport.write(data)

    def _send_head(self) -> None:
        self._flush = None
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self._send_head()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines for each request's headers and body and a
    size bound for its headers.

    Protocol-level refusals are coded GraphQL error bodies like every other refusal.
    """

    header_timeout_s: float = 5.0
    body_timeout_s: float = 10.0
    max_header_bytes: int = MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._headers_too_large = False

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_bytes = 0
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._headers_too_large = True
            raise HeadersTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        # The body's deadline, until the whole request is in (on_message_complete).
        self._header_timer = self.loop.call_later(self.body_timeout_s, self._body_timeout)
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.transport is self.transport:  # a new request's cycle
            self.cycle.transport = CoalescingWriter(self.transport, self.loop)  # type: ignore[assignment]

    def on_message_complete(self) -> None:
        self._disarm_header_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # The next request on this connection gets its own deadline.
            self._arm_header_timer()

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            message = f"The request headers did not arrive within {self.header_timeout_s:g} s."
            self._refuse(408, "HEADER_TIMEOUT", message)

    def _body_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing() and not self.cycle.response_started:
            # The application waits for the body; it reads a disconnect once this closes.
            message = f"The request body did not arrive within {self.body_timeout_s:g} s."
            self._refuse(408, "BODY_TIMEOUT", message)

    def send_400_response(self, msg: str) -> None:
        if self._headers_too_large:
            message = f"The request line and headers take more than {self.max_header_bytes} bytes."
            self._refuse(431, "HEADERS_TOO_LARGE", message)
        else:
            self._refuse(400, "BAD_REQUEST", "The request is not valid HTTP/1.1.")

    def _refuse(self, status: int, code: str, message: str) -> None:
        body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
        status_line = STATUS_LINE.get(status) or f"HTTP/1.1 {status} \r\n".encode()
        head = [status_line]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(
            b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body)
        )
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class with this configuration's header and body deadlines."""
    attributes = {
        "header_timeout_s": settings.header_timeout_s,
        "body_timeout_s": settings.body_timeout_s,
        "max_header_bytes": MAX_HEADER_BYTES,
    }
    return type("ConfiguredHttpToolsProtocol", (GuardedHttpToolsProtocol,), attributes)


def server_config(app: ASGIApp, settings: Settings, **options: Any) -> Config:
    """uvicorn's configuration for this service (tests pass loop/log options of their own)."""
    defaults: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": guarded_protocol(settings),
        "access_log": False,
        "server_header": False,  # no `server: uvicorn` on every answer
        "log_config": None,
        "log_level": settings.log_level,
        "timeout_keep_alive": 5,
    }
    return Config(app, **{**defaults, **options})


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket; OSError (e.g. the port is taken) before anything is served."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock
