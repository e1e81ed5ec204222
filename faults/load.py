"""The clients: HTTP/1.1 written by hand over asyncio sockets, one connection per request
(as nginx forwards them), like ``bench/flash.py``'s load generator, but keeping each answer's
headers and the moment it came, so a fault's window can be told apart afterwards.

``Rush`` sends a list of requests, ``clients`` of them in flight at any moment, in a thread of
its own: the suite injects its fault meanwhile, once enough answers have come
(``wait_for``)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    bearer: str | None = None
    cookie: str | None = None
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    # What the request stands for (the worker's user id, a page's name): read by the checks.
    tag: Any = None

    @classmethod
    def post_json(cls, path: str, data: Any = None, **kwargs: Any) -> Request:
        return cls("POST", path, json.dumps(data or {}).encode(), **kwargs)

    @classmethod
    def post_form(cls, path: str, data: dict[str, str], **kwargs: Any) -> Request:
        body = urllib.parse.urlencode(data).encode()
        return cls("POST", path, body, content_type="application/x-www-form-urlencoded", **kwargs)

    def raw(self, port: int) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines.append("Connection: close")
        if self.bearer is not None:
            lines.append(f"Authorization: Bearer {self.bearer}")
        if self.cookie is not None:
            lines.append(f"Cookie: {self.cookie}")
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.method != "GET":
            lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Response:
    request: Request
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    headers: dict[str, str]  # names in lower case
    body: bytes
    started: float  # time.monotonic()
    ended: float
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies the answer set (``_parse`` keeps every Set-Cookie, one a line)."""
        found = {}
        for line in self.headers.get("set-cookie", "").split("\n"):
            name, _, value = line.partition(";")[0].partition("=")
            if name:
                found[name.strip()] = value.strip()
        return found

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")

    def text(self, limit: int = 300) -> str:
        return self.body[:limit].decode(errors="replace")

    def describe(self) -> str:
        what = f"{self.request.method} {self.request.path} -> {self.status or self.error}"
        return f"{what} {self.text(200)!r}"


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie" and name in headers:
            value = f"{headers[name]}\n{value}"
        headers[name] = value
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks, rest, complete = [], body, False
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                complete = True
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        if not complete:
            raise ValueError("the chunked answer was cut off")
        body = b"".join(chunks)
    elif len(body) < int(headers.get("content-length", len(body))):
        # Cut off mid-answer (the worker was killed while writing it): no answer at all, as
        # any HTTP client would report it.
        raise ValueError(f"{len(body)} of {headers['content-length']} bytes")
    return status, headers, body


async def _send(port: int, request: Request) -> Response:
    started = time.monotonic()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(request.raw(port))
                raw = await reader.read()  # to the end: the server closes
            finally:
                writer.close()
        status, headers, body = _parse(raw)
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        return Response(request, 0, {}, b"", started, time.monotonic(), error=type(exc).__name__)
    return Response(request, status, headers, body, started, time.monotonic())


def call(port: int, request: Request) -> Response:
    """One request, answered."""
    return asyncio.run(_send(port, request))


@dataclass
class Rush:
    """``requests`` sent by ``clients`` concurrent clients, each sending its next as soon as
    its last is answered; ``pages`` are fetched meanwhile by ``page_clients`` more, over and
    over until the requests are all answered (a clerk's browser during the rush)."""

    port: int
    requests: list[Request]
    clients: int
    pages: list[Request] = field(default_factory=list)
    page_clients: int = 4
    responses: list[Response] = field(default_factory=list)
    page_responses: list[Response] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    _thread: threading.Thread | None = None

    def start(self) -> Rush:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.started = time.monotonic()
        self._thread.start()
        return self

    async def _run(self) -> None:
        pending = iter(self.requests)
        finished = asyncio.Event()

        async def client() -> None:
            for request in pending:  # one event loop: the iterator needs no lock
                self.responses.append(await _send(self.port, request))

        async def browser(offset: int) -> None:
            i = offset
            while not finished.is_set() and self.pages:
                self.page_responses.append(await _send(self.port, self.pages[i % len(self.pages)]))
                i += 1
                await asyncio.sleep(0.05)

        browsers = [asyncio.create_task(browser(i)) for i in range(self.page_clients)]
        await asyncio.gather(*(client() for _ in range(self.clients)))
        finished.set()
        await asyncio.gather(*browsers)
        self.ended = time.monotonic()

    def answered(self) -> int:
        return len(self.responses)

    def wait_for(self, condition: Callable[[Rush], bool], timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self) or not self.running():
                return condition(self)
            time.sleep(0.01)
        return False

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float = 300) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)


def statuses(responses: list[Response]) -> Counter[int]:
    return Counter(r.status for r in responses)


def run(port: int, requests: list[Request], clients: int) -> list[Response]:
    """Send ``requests`` and wait for every answer."""
    rush = Rush(port, requests, clients).start()
    rush.join()
    return rush.responses
