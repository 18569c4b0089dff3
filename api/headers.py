"""Raw ASGI header helpers shared by the middleware: read and extend headers without building
Starlette's Headers objects on every request."""

from __future__ import annotations

from starlette.types import Message, Send

RawHeaders = list[tuple[bytes, bytes]]


def with_vary(headers: RawHeaders, value: bytes) -> RawHeaders:
    """The answer's headers with `value` in one Vary header, as Starlette merges it; unchanged
    when Vary names it already."""
    varied = [v for name, v in headers if name.lower() == b"vary"]
    if not varied:
        return [*headers, (b"vary", value)]
    tokens = {token.strip().lower() for v in varied for token in v.split(b",")}
    if value.lower() in tokens:
        return headers
    kept = [(name, v) for name, v in headers if name.lower() != b"vary"]
    return [*kept, (b"vary", b", ".join([*varied, value]))]


def send_with_vary(send: Send, value: bytes) -> Send:
    """`send`, with `value` added to the Vary header of the answer's start message."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": with_vary(list(message.get("headers", [])), value)}
        await send(message)

    return sending


def send_with_headers(send: Send, extra: RawHeaders) -> Send:
    """`send`, with these headers added to the answer's start message."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending
