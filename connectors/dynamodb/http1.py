"""A keep-alive HTTP/1.1 client for the DynamoDB JSON API's POSTs, on plain sockets (no Beam here).

Why not urllib3: per BatchWriteItem, urllib3 and http.client spend about 470 us of CPU (request
objects, header parsing through the email package, pool bookkeeping), a raw exchange about 100
us, and a write costs one request per 25 items: that difference is a fifth of a migration's
client CPU per item. The exchange here is what DynamoDB needs and no more: one POST with a
Content-Length body, an answer framed by Content-Length or chunked (or ended by a close), TLS
for https endpoints, connect and read timeouts.

Each connection serves one request at a time; `maxsize` connections at most, a caller waits for
a free one. A connection the server has closed while idle is noticed before reuse and replaced;
any error during an exchange closes that connection and is raised (the caller's retry policy
decides what happens next).
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from urllib.parse import urlsplit

MAX_HEADER_LINE = 65_536
MAX_HEADERS = 100
DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(url: str) -> str:
    """The Host header for `url` (the one SigV4 signs): lowercase, the port only when not the default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


class HttpError(OSError):
    """The exchange failed or the answer could not be read as HTTP/1.1."""


class Response:
    __slots__ = ("status", "headers", "data")

    def __init__(self, status: int, headers: dict[str, str], data: bytes):
        self.status = status
        self.headers = headers  # names lowercased
        self.data = data


class _Connection:
    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, connect_timeout: float, read_timeout: float):
        sock = socket.create_connection((host, port), timeout=connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)
            sock.settimeout(read_timeout)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.reader = sock.makefile("rb")

    def dropped(self) -> bool:
        """Whether the server closed (or wrote to) this idle connection: it cannot carry a request."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        try:
            if hasattr(select, "poll"):  # poll: any descriptor number (select stops at 1024)
                poller = select.poll()
                poller.register(self.sock, select.POLLIN)
                return bool(poller.poll(0))
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


class Http1Pool:
    """POSTs to one endpoint over at most `maxsize` keep-alive connections. Thread-safe."""

    def __init__(self, url: str, maxsize: int = 10, connect_timeout: float = 5, read_timeout: float = 30):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {url!r}")
        self._host = parts.hostname
        self._port = parts.port or DEFAULT_PORTS[parts.scheme]
        self._host_header = host_of(url)
        self._tls = ssl.create_default_context() if parts.scheme == "https" else None
        self._timeouts = (connect_timeout, read_timeout)
        self._idle: list[_Connection] = []
        self._slots = threading.BoundedSemaphore(maxsize)
        self._lock = threading.Lock()
        self._closed = False

    def post(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        """Send one POST; the answer, read whole. HttpError/OSError when the exchange fails."""
        self._slots.acquire()
        connection = None
        try:
            connection = self._take()
            head = [f"POST {path} HTTP/1.1\r\nHost: {self._host_header}\r\nAccept-Encoding: identity\r\n"
                    f"Content-Length: {len(body)}\r\n"]
            head.extend(f"{name}: {value}\r\n" for name, value in headers.items())
            head.append("\r\n")
            connection.sock.sendall("".join(head).encode("latin-1") + body)
            response, keep = _read_response(connection.reader)
            if keep:
                self._give_back(connection)
            else:
                connection.close()
            connection = None
            return response
        except (OSError, ValueError) as error:
            if connection is not None:
                connection.close()
            if isinstance(error, OSError):
                raise
            raise HttpError(str(error)) from None
        finally:
            self._slots.release()

    def _take(self) -> _Connection:
        while True:
            with self._lock:
                if self._closed:
                    raise HttpError("the connection pool is closed")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return _Connection(self._host, self._port, self._tls, *self._timeouts)
            if not connection.dropped():
                return connection
            connection.close()

    def _give_back(self, connection: _Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _line(reader) -> bytes:
    line = reader.readline(MAX_HEADER_LINE + 1)
    if not line:
        raise HttpError("the server closed the connection before answering")
    if len(line) > MAX_HEADER_LINE:
        raise HttpError("an answer line is too long")
    return line


def _read_exactly(reader, count: int) -> bytes:
    data = reader.read(count)
    if len(data) != count:
        raise HttpError(f"the answer ended after {len(data)} of {count} bytes")
    return data


def _read_response(reader) -> tuple[Response, bool]:
    """(the answer, whether the connection can carry another request)."""
    status_line = _line(reader)
    while True:
        version, _, rest = status_line.partition(b" ")
        if not version.startswith(b"HTTP/1."):
            raise HttpError(f"not an HTTP/1.x answer: {status_line[:80]!r}")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = _line(reader)
            if line in (b"\r\n", b"\n"):
                break
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise HttpError(f"a malformed answer header: {line[:80]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        else:
            raise HttpError("the answer has too many headers")
        if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            status_line = _line(reader)
            continue
        break
    keep = version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        data = _read_chunked(reader)
    elif "content-length" in headers:
        data = _read_exactly(reader, int(headers["content-length"]))
    elif status in (204, 304):
        data = b""
    else:  # framed by the server closing the connection
        data, keep = reader.read(), False
    return Response(status, headers, data), keep


def _read_chunked(reader) -> bytes:
    chunks = []
    while True:
        size = int(_line(reader).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while _line(reader) not in (b"\r\n", b"\n"):  # trailers
                pass
            return b"".join(chunks)
        chunks.append(_read_exactly(reader, size))
        if _line(reader) not in (b"\r\n", b"\n"):
            raise HttpError("a chunk does not end where its size says")
