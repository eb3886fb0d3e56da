"""The transport's HTTP/1.1 client against a scripted server: framing, keep-alive, closes, timeouts.

(The whole write path runs over it against DynamoDB Local and through the fault proxy in the
integration tests; these are the answers DynamoDB Local does not give.)
"""

from __future__ import annotations

import socket
import threading

import pytest

from connectors.dynamodb.http1 import Http1Pool, HttpError


class ScriptedServer:
    """Accepts connections; for each request read, sends the next scripted answer. An answer of None
    closes the connection without answering; after an answer marked close, the connection is closed."""

    def __init__(self, answers: list):
        self._answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while self._answers:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn, conn.makefile("rb") as reader:  # the file first: it holds the socket open
                while self._answers:
                    request = self._read_request(reader)
                    if request is None:
                        break
                    self.requests.append(request)
                    answer = self._answers.pop(0)
                    if answer is None:
                        break
                    data, close = answer if isinstance(answer, tuple) else (answer, False)
                    conn.sendall(data)
                    if close:
                        break

    @staticmethod
    def _read_request(reader) -> bytes | None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                return None
            head += line
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        return head + reader.read(length)

    def close(self):
        self._listener.close()


def ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


@pytest.fixture
def server(request):
    made = []

    def make(answers):
        made.append(ScriptedServer(answers))
        return made[-1]
    yield make
    for s in made:
        s.close()


def test_keep_alive_carries_requests_on_one_connection(server):
    s = server([ok(b'{"a":1}'), ok(b'{"b":2}', "X-Amz-Crc32: 7\r\n")])
    pool = Http1Pool(s.url, maxsize=2)
    first = pool.post("/", {"X-Amz-Target": "T"}, b"{}")
    second = pool.post("/", {}, b'{"x":"\xc3\xa9"}')
    assert (first.status, first.data, second.data) == (200, b'{"a":1}', b'{"b":2}')
    assert second.headers["x-amz-crc32"] == "7"
    assert s.connections == 1
    assert s.requests[0].startswith(b"POST / HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nX-Amz-Target: T\r\n" in s.requests[0] and s.requests[1].endswith(b'{"x":"\xc3\xa9"}')
    pool.close()


def test_chunked_and_interim_answers(server):
    chunked = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\nTrailer: x\r\n\r\n")
    s = server([chunked, ok(b"{}")])
    pool = Http1Pool(s.url)
    answer = pool.post("/", {}, b"{}")
    assert (answer.status, answer.data) == (400, b'{"a":1}')
    assert pool.post("/", {}, b"{}").data == b"{}"  # the chunked answer left the connection usable
    assert s.connections == 1


def test_a_close_ends_the_connection_and_the_next_request_opens_one(server):
    closing = (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", True)
    until_close = (b"HTTP/1.0 200 OK\r\n\r\n{\"eof\":1}", True)
    s = server([closing, until_close, ok(b"{}")])
    pool = Http1Pool(s.url)
    assert pool.post("/", {}, b"{}").data == b"{}"
    assert pool.post("/", {}, b"{}").data == b'{"eof":1}'
    assert pool.post("/", {}, b"{}").data == b"{}"
    assert s.connections == 3


def test_an_idle_connection_the_server_closed_is_replaced_before_use(server):
    s = server([(ok(b"{}"), True), ok(b'{"again":1}')])  # the server closes after answering, silently
    pool = Http1Pool(s.url)
    assert pool.post("/", {}, b"{}").data == b"{}"
    # Poll: the close reaches this side when the server thread has closed its socket.
    for _ in range(1000):  # pacing: at most 1 s for the server's close to arrive
        if s.connections == 1 and pool._idle and pool._idle[0].dropped():
            break
        threading.Event().wait(0.001)
    assert pool.post("/", {}, b"{}").data == b'{"again":1}'
    assert s.connections == 2


@pytest.mark.parametrize("answer, message", [
    (None, "closed the connection before answering"),
    ((b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", True), "ended after 2 of 10 bytes"),
    ((b"SSH-2.0-OpenSSH\r\n", True), "not an HTTP/1.x answer"),
    ((b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", True), "malformed answer header"),
])
def test_a_broken_exchange_is_an_error_and_the_connection_is_not_reused(server, answer, message):
    s = server([answer, ok(b"{}")])
    pool = Http1Pool(s.url)
    with pytest.raises(HttpError, match=message):
        pool.post("/", {}, b"{}")
    assert pool.post("/", {}, b"{}").data == b"{}"
    assert s.connections == 2


def test_a_server_that_does_not_answer_times_out(server):
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (the backlog) but never answers
    pool = Http1Pool(f"http://127.0.0.1:{listener.getsockname()[1]}", read_timeout=0.2)
    with pytest.raises(TimeoutError):
        pool.post("/", {}, b"{}")
    listener.close()


def test_a_refused_connection_is_an_os_error():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(ConnectionRefusedError):
        Http1Pool(f"http://127.0.0.1:{port}").post("/", {}, b"{}")


def test_only_http_endpoints():
    with pytest.raises(ValueError, match="not an http"):
        Http1Pool("ftp://example.com")
