"""A small HTTP proxy between a DynamoDB client and DynamoDB Local that injects faults.

At configured rates, for the operations it is told to disturb (BatchWriteItem by default):
- `unprocessed`: forward only part of a batch and answer the rest as UnprocessedItems;
- `throttle`: answer 400 ProvisionedThroughputExceededException without forwarding;
- `error_500`: answer 500 InternalServerError without forwarding;
- `reset`: reset the connection, before forwarding or after (the write happened, the answer is lost);
- `latency`: wait before forwarding (`latency_seconds`; `latency_rate` 1.0 delays every call);
- `refuse`: answer every disturbed call 400 with this error code (UnrecognizedClientException:
  refused credentials; ResourceNotFoundException: a missing table), as DynamoDB would;
- `capacity`: behave as a provisioned table of that many write units per second (one second of
  burst): a BatchWriteItem takes the items the tokens left cover, in order, and answers the rest
  as UnprocessedItems; with no token left it answers 400 ProvisionedThroughputExceededException.
`outage(seconds)` closes the listening socket (connections are refused) and resets open ones.
`counts.actions` collects the IAM actions the calls it saw need (the least-privilege tests).

Used by the fault tests and by the benchmark's latency runs; never by the product.
"""

from __future__ import annotations

import http.client
import json
import random
import select
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlparse


@dataclass
class FaultPlan:
    unprocessed: float = 0.0
    throttle: float = 0.0
    error_500: float = 0.0
    reset: float = 0.0
    latency_rate: float = 0.0
    latency_seconds: float = 0.0
    refuse: str | None = None
    capacity: float | None = None
    operations: tuple[str, ...] = ("BatchWriteItem",)


_TRANSACTION_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                        "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


@dataclass
class FaultCounts:
    requests: int = 0
    forwarded: int = 0
    injected: dict = field(default_factory=dict)
    # The IAM actions the calls need: each operation, and for a transaction each of its parts.
    actions: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] = self.injected.get(kind, 0) + 1

    def saw(self, operation: str, body: bytes) -> None:
        # IAM has no action for a transaction: each of its parts needs its own.
        needed = {f"dynamodb:{operation}"} if not operation.startswith("Transact") else \
            {f"dynamodb:{_TRANSACTION_ACTIONS[kind]}" for part in json.loads(body).get("TransactItems", [])
             for kind in part}
        with self._lock:
            self.actions |= needed


class FaultProxy:
    def __init__(self, upstream_url: str, plan: FaultPlan | None = None, seed: int = 7):
        upstream = urlparse(upstream_url)
        self.upstream = (upstream.hostname, upstream.port or 80)
        self.plan = plan or FaultPlan()
        self.counts = FaultCounts()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._port = 0
        self._running = threading.Event()
        self._outage_until = 0.0
        self._connections: set[socket.socket] = set()
        self._tokens = self.plan.capacity or 0.0
        self._tokens_at = time.monotonic()
        self._tokens_lock = threading.Lock()
        self._connections_lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> "FaultProxy":
        self._open_listener()
        self._running.set()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        self._thread.join(timeout=5)
        self._close_listener()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def outage(self, seconds: float) -> None:
        """Refuse every connection for `seconds` and cut the open ones."""
        self._outage_until = time.monotonic() + seconds
        with self._connections_lock:
            for conn in list(self._connections):
                _reset(conn)

    def in_outage(self) -> bool:
        return time.monotonic() < self._outage_until

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._rng_lock:
            return self._rng.random() < rate

    def take_capacity(self, units: list[int]) -> int:
        """How many of these items' write units the table's capacity covers now (and spend them)."""
        capacity = self.plan.capacity
        with self._tokens_lock:
            now = time.monotonic()
            self._tokens = min(capacity, self._tokens + (now - self._tokens_at) * capacity)
            self._tokens_at = now
            taken = 0
            for need in units:
                if need > self._tokens:
                    break
                self._tokens -= need
                taken += 1
            return taken

    def choose(self, items: list) -> tuple[list, list]:
        """Split a batch: (forward, hold back), holding back at least one item."""
        with self._rng_lock:
            held = self._rng.randint(1, len(items))
            order = list(range(len(items)))
            self._rng.shuffle(order)
        back = set(order[:held])
        return [x for i, x in enumerate(items) if i not in back], [x for i, x in enumerate(items) if i in back]

    def _open_listener(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen(128)
        self._port = listener.getsockname()[1]
        self._listener = listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _accept_loop(self) -> None:
        while self._running.is_set():
            if self.in_outage():
                self._close_listener()
                time.sleep(0.05)  # pacing: during an outage, looks 20 times a second whether it is over
                continue
            if self._listener is None:
                self._open_listener()
            ready, _, _ = select.select([self._listener], [], [], 0.1)
            if not ready:
                continue
            try:
                conn, address = self._listener.accept()
            except OSError:
                continue
            with self._connections_lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn, address), daemon=True).start()

    def _serve(self, conn: socket.socket, address) -> None:
        try:
            _Handler(conn, address, self)
        except OSError:
            pass
        finally:
            with self._connections_lock:
                self._connections.discard(conn)
            try:
                conn.close()
            except OSError:
                pass


def _reset(conn: socket.socket) -> None:
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    except OSError:
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FaultProxy

    def __init__(self, conn, address, proxy: FaultProxy):
        self.proxy = proxy
        self.upstream_connection = None
        super().__init__(conn, address, None)

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        proxy = self.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        proxy.counts.requests += 1
        if proxy.in_outage():
            return self._cut("outage")
        operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        proxy.counts.saw(operation, body)
        plan = proxy.plan
        disturbed = operation in plan.operations
        if disturbed and plan.refuse:
            proxy.counts.count("refuse")
            return self._answer(400, {"__type": f"com.amazonaws.dynamodb.v20120810#{plan.refuse}",
                                      "message": f"{plan.refuse} (injected)"})
        if disturbed and operation == "BatchWriteItem" and plan.capacity:
            return self._within_capacity(body)
        if disturbed and proxy.roll(plan.reset):
            if proxy.roll(0.5):
                self._forward(body)  # the write happens; its answer is lost
            return self._cut("reset")
        if disturbed and proxy.roll(plan.throttle):
            proxy.counts.count("throttle")
            return self._answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#"
                                                 "ProvisionedThroughputExceededException",
                                      "message": "The level of configured provisioned throughput for the table "
                                                 "was exceeded (injected)"})
        if disturbed and proxy.roll(plan.error_500):
            proxy.counts.count("error_500")
            return self._answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                      "message": "injected"})
        if disturbed and proxy.roll(plan.latency_rate):
            proxy.counts.count("latency")
            time.sleep(plan.latency_seconds)  # pacing: the injected latency itself
        if disturbed and operation == "BatchWriteItem" and proxy.roll(plan.unprocessed):
            proxy.counts.count("unprocessed")
            return self._partial_batch(body)
        status, headers, data = self._forward(body)
        self._reply(status, headers.get("Content-Type", "application/x-amz-json-1.0"), data)

    def _within_capacity(self, body: bytes):
        request = json.loads(body)
        (table, requests), = request["RequestItems"].items()
        units = [max(1, -(-len(json.dumps(r)) // 1024)) for r in requests]
        taken = self.proxy.take_capacity(units)
        if taken == 0:
            self.proxy.counts.count("throttle")
            return self._answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#"
                                                 "ProvisionedThroughputExceededException",
                                      "message": "The level of configured provisioned throughput for the table "
                                                 "was exceeded (capacity mode)"})
        if taken < len(requests):
            self.proxy.counts.count("unprocessed")
        request["RequestItems"] = {table: requests[:taken]}
        status, headers, data = self._forward(json.dumps(request).encode("utf-8"))
        if status != 200 or taken == len(requests):
            return self._reply(status, headers.get("Content-Type", "application/x-amz-json-1.0"), data)
        answer = json.loads(data)
        unprocessed = answer.setdefault("UnprocessedItems", {})
        unprocessed[table] = unprocessed.get(table, []) + requests[taken:]
        self._answer(200, answer)

    def _partial_batch(self, body: bytes):
        request = json.loads(body)
        (table, requests), = request["RequestItems"].items()
        forward, held = self.proxy.choose(requests)
        answer = {"UnprocessedItems": {}}
        if forward:
            request["RequestItems"] = {table: forward}
            status, _, data = self._forward(json.dumps(request).encode("utf-8"))
            if status != 200:
                return self._reply(status, "application/x-amz-json-1.0", data)
            answer = json.loads(data)
        unprocessed = answer.setdefault("UnprocessedItems", {})
        unprocessed[table] = unprocessed.get(table, []) + held
        self._answer(200, answer)

    def _forward(self, body: bytes):
        if self.upstream_connection is None:
            self.upstream_connection = http.client.HTTPConnection(*self.proxy.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        self.upstream_connection.request("POST", "/", body=body, headers=headers)
        response = self.upstream_connection.getresponse()
        data = response.read()
        self.proxy.counts.forwarded += 1
        return response.status, dict(response.getheaders()), data

    def _answer(self, status: int, payload: dict):
        self._reply(status, "application/x-amz-json-1.0", json.dumps(payload).encode("utf-8"))

    def _reply(self, status: int, content_type: str, data: bytes):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amz-crc32", str(zlib.crc32(data)))
        self.end_headers()
        self.wfile.write(data)

    def _cut(self, kind: str):
        self.proxy.counts.count(kind)
        self.close_connection = True
        _reset(self.connection)
