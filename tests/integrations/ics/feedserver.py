"""A real HTTP server on loopback (uvicorn in a thread) serving feeds and misbehaving on demand."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"


@dataclass
class Feed:
    """A feed served at a path: its body and the validators the server sends with it."""

    body: bytes
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Raw:
    """A reply sent verbatim at /raw/<name>: any status, header bytes (non-ASCII too) and a
    body given whole or as pieces made on demand (a 4 GiB gzip stream is never held at once)."""

    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes | Callable[[], Iterable[bytes]] = b""


@dataclass
class FeedApp:
    """ASGI app: /feeds/<name> serve `feeds`, /raw/<name> serve `raw`; other paths misbehave
    in documented ways."""

    feeds: dict[str, Feed] = field(default_factory=dict)
    raw: dict[str, Raw] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append((path, headers))
        if path.startswith("/feeds/"):
            await self._feed(path.removeprefix("/feeds/"), headers, send)
        elif path.startswith("/raw/"):
            await self._raw(path.removeprefix("/raw/"), receive, send)
        elif path.startswith("/redirect/"):
            hops = int(path.rsplit("/", 1)[1])
            target = "/feeds/plain" if hops == 0 else f"/redirect/{hops - 1}"
            await _reply(send, 302, b"", [("location", target)])
        elif path == "/to":
            query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&"))
            await _reply(send, 302, b"", [("location", query["url"])])
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            await _reply(send, code, b"nope", [("retry-after", "7")])
        elif path == "/big":
            await _reply(send, 200, b"x" * 2048, [])
        elif path == "/big-chunked":
            await _stream(receive, send, 200, [], [b"y" * 512] * 8, delay=0)
        elif path == "/trickle":
            await _stream(receive, send, 200, [], [b"BEGIN:VCALENDAR\r\n"] * 40, delay=0.1)
        elif path == "/host":
            await _reply(send, 200, headers.get("host", "").encode(), [])
        else:
            await _reply(send, 404, b"not found", [])

    async def _feed(self, name: str, headers: dict[str, str], send: Send) -> None:
        feed = self.feeds.get(name)
        if feed is None:
            await _reply(send, 404, b"no such feed", [])
            return
        extra: list[tuple[str, str]] = []
        if feed.etag:
            extra.append(("etag", feed.etag))
        if feed.last_modified:
            extra.append(("last-modified", feed.last_modified))
        fresh = (feed.etag is not None and headers.get("if-none-match") == feed.etag) or (
            feed.last_modified is not None
            and headers.get("if-modified-since") == feed.last_modified
        )
        if fresh:
            await _reply(send, 304, b"", extra)
        else:
            await _reply(send, 200, feed.body, [("content-type", "text/calendar"), *extra])

    async def _raw(self, name: str, receive: Receive, send: Send) -> None:
        reply = self.raw.get(name)
        if reply is None:
            await _reply(send, 404, b"no such reply", [])
        elif isinstance(reply.body, bytes):
            headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            await send({"type": "http.response.body", "body": reply.body})
        else:
            await _stream(receive, send, reply.status, reply.headers, reply.body(), delay=0)


async def _reply(send: Send, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers]
    if status != 304:
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _stream(
    receive: Receive,
    send: Send,
    status: int,
    headers: list[tuple[bytes, bytes]],
    chunks: Iterable[bytes],
    delay: float,
) -> None:
    gone = asyncio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.create_task(watch())
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for chunk in chunks:
            if gone.is_set():
                return  # the client gave up: stop trickling so the server can shut down
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            # Let the watcher see a disconnect even when the client reads as fast as we send.
            await asyncio.sleep(delay)
        await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()


@dataclass
class RunningServer:
    """A started server: its app and base URL."""

    app: FeedApp
    port: int
    scheme: str = "http"

    @property
    def base(self) -> str:
        """<scheme>://127.0.0.1:<port>"""
        return f"{self.scheme}://127.0.0.1:{self.port}"


def run_server(
    certfile: str | None = None, keyfile: str | None = None
) -> Generator[RunningServer, None, None]:
    """Start uvicorn on 127.0.0.1 (free port) in a thread; stop it when the generator closes."""
    app = FeedApp()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="error",
        ws="none",
        http="h11",
        loop="asyncio",
        access_log=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ics-feed-server", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test HTTP server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield RunningServer(app=app, port=port, scheme="https" if certfile else "http")
    finally:
        server.should_exit = True
        thread.join()
