"""BatchSender/BatchWriter rules, with a scripted transport passed to the constructor.

(Writes against DynamoDB Local, with faults injected by a real proxy, are in
tests/integration/test_write_faults.py; this layer pins down exact sequences.)
"""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.dynamodb.batch_writer import BatchSender, BatchWriter, WriteAborted, WriteStats
from connectors.dynamodb.write_rate import AdaptiveWriteRate, WriteRateLimiter
from connectors.retry import RetryPolicy
from connectors.dynamodb.transport import DynamoDBError
from connectors.dynamodb.wire import MAX_REQUEST_BYTES, EncodedItem, attribute_value, encode_item, item_json


def enc(pk, sk="META", size=1, text=""):
    return EncodedItem(pk, sk, "x", item_json({"PK": pk, "SK": sk, "tp": "x", "v": text}), size)


class Script:
    """Answers each call from a list of behaviours; records what was sent."""

    def __init__(self, *behaviours):
        self.behaviours = list(behaviours)
        self.calls = []
        self.lock = threading.Lock()

    def call(self, operation, body):
        request = json.loads(body)
        (table, puts), = request["RequestItems"].items()
        keys = [(p["PutRequest"]["Item"]["PK"]["S"], p["PutRequest"]["Item"]["SK"]["S"]) for p in puts]
        assert len(keys) == len(set(keys)), "a repeated key reached DynamoDB"
        assert len(puts) <= 25 and len(body) <= MAX_REQUEST_BYTES
        assert request["ReturnConsumedCapacity"] == "TOTAL"
        with self.lock:
            self.calls.append([k[0] for k in keys])
            behaviour = self.behaviours.pop(0) if self.behaviours else "ok"
        if isinstance(behaviour, DynamoDBError):
            raise behaviour
        if callable(behaviour):
            return behaviour(keys, puts)
        left = behaviour if isinstance(behaviour, int) else 0
        return {"UnprocessedItems": {table: puts[:left]} if left else {},
                "ConsumedCapacity": [{"TableName": table, "CapacityUnits": float(len(puts) - left)}]}


def sender(script, **kw):
    sleeps = []
    return BatchSender(script, "t", sleep=sleeps.append, rng=random.Random(1), **kw), sleeps


def throttled():
    return DynamoDBError("ProvisionedThroughputExceededException", "slow down", 400, throttle=True)


def test_unprocessed_items_are_resent_with_growing_jittered_backoff():
    script = Script(3, 1)
    s, sleeps = sender(script)
    assert s.send([enc(f"P{i}") for i in range(10)]) == []
    assert [len(c) for c in script.calls] == [10, 3, 1]
    assert len(sleeps) == 2 and all(0 <= x <= 5 for x in sleeps)
    snapshot = s.stats.snapshot()
    assert snapshot["items"] == 10 and snapshot["unprocessed_resent"] == 4 and snapshot["retries"] == 2
    assert snapshot["consumed_write_units"] == 10.0


@pytest.mark.parametrize("error", [
    throttled(),
    DynamoDBError("ThrottlingException", "x", 400, throttle=True),
    DynamoDBError("RequestLimitExceeded", "x", 400, throttle=True),
    DynamoDBError("InternalServerError", "x", 500),
    DynamoDBError("HTTP503", "x", 503),
    DynamoDBError("ProtocolError", "Connection reset by peer"),  # no status: the exchange failed
    DynamoDBError("ReadTimeoutError", "read timed out"),
])
def test_retryable_errors_are_retried_and_nothing_is_lost(error):
    script = Script(error, error, "ok")
    s, sleeps = sender(script)
    assert s.send([enc("A"), enc("B")]) == []
    assert len(script.calls) == 3 and len(sleeps) == 2 and s.stats.snapshot()["items"] == 2
    assert s.stats.snapshot()["throttles"] == (2 if error.throttle else 0)


def test_retries_are_bounded_and_what_is_left_is_returned_with_the_reason():
    script = Script(*[throttled()] * 50)
    s, _ = sender(script, policy=RetryPolicy(max_attempts=4))
    failures = s.send([enc("A"), enc("B")])
    assert [(f.item.pk, f.code) for f in failures] == [("A", "write_retries_exhausted"), ("B", "write_retries_exhausted")]
    assert "after 4 attempts" in failures[0].reason and "ProvisionedThroughputExceeded" in failures[0].reason
    assert len(script.calls) == 4 and s.stats.snapshot()["dead_letters"] == 2


def test_an_invalid_item_is_isolated_and_its_batch_mates_are_written():
    def refuse_poison(keys, puts):
        if any(pk == "POISON" for pk, _ in keys):
            raise DynamoDBError("ValidationException", "Item size has exceeded the maximum allowed size", 400)
        return {"UnprocessedItems": {}}

    script = Script(*[refuse_poison] * 50)
    s, _ = sender(script)
    batch = [enc(f"P{i}") for i in range(12)] + [enc("POISON")] + [enc(f"Q{i}") for i in range(12)]
    failures = s.send(batch)
    assert [(f.item.pk, f.code) for f in failures] == [("POISON", "write_refused")]
    assert "maximum allowed size" in failures[0].reason
    written = {pk for call in script.calls for pk in call if pk != "POISON"} - {"POISON"}
    assert s.stats.snapshot()["items"] == 24 and len(written) == 24


def test_request_level_errors_stop_the_run_instead_of_dead_lettering_everything():
    script = Script(DynamoDBError("ResourceNotFoundException", "Requested resource not found", 400))
    s, _ = sender(script)
    with pytest.raises(WriteAborted, match="ResourceNotFoundException"):
        s.send([enc("A")])


def test_batches_hold_at_most_batch_size_items_and_never_a_repeated_key():
    script = Script()
    w = BatchWriter(sender(script)[0], batch_size=10)
    for pk in [f"P{i}" for i in range(15)] + ["P14", "Z"]:
        w.put(enc(pk))
    w.flush()
    assert [len(c) for c in script.calls] == [10, 5, 2]
    assert script.calls[2] == ["P14", "Z"]


def test_batches_stay_under_16_mb_whatever_the_items_json_costs():
    script = Script()
    w = BatchWriter(sender(script)[0])
    nul_heavy = "\x00" * 150_000  # 150 KB of text, 900 KB of JSON (\u0000 each): 18 fit in 16 MB
    for i in range(60):
        w.put(enc(f"P{i}", text=nul_heavy))
    w.flush()
    assert sum(len(c) for c in script.calls) == 60
    assert max(len(c) for c in script.calls) == 18  # the byte limit, not the count, closed the batches


def test_concurrent_writer_sends_everything_and_returns_failures():
    script = Script(*([throttled()] * 5))
    with ThreadPoolExecutor(4) as pool:
        w = BatchWriter(sender(script)[0], concurrency=4, executor=pool)
        for i in range(500):
            w.put(enc(f"P{i}"))
        w.flush()
    assert sorted({pk for call in script.calls for pk in call}) == sorted(f"P{i}" for i in range(500))
    assert w.stats.snapshot()["items"] == 500 and w.take_failures() == []


def test_rate_limiter_paces_write_units():
    clock = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    limiter = WriteRateLimiter(100, clock=lambda: clock[0], sleep=sleep)
    for _ in range(30):
        limiter.acquire(25)  # 750 units at 100/s: about 6.5 s after the first second's burst
    assert 6.0 <= clock[0] <= 7.0
    WriteRateLimiter(None).acquire(10**9)  # unlimited never waits


def test_wire_values_are_dynamodb_json():
    assert attribute_value({"n": 1, "d": __import__("decimal").Decimal("1.5"), "b": b"\x00", "s": {"a"},
                            "l": [None, True]}) == {"M": {
        "n": {"N": "1"}, "d": {"N": "1.5"}, "b": {"B": "AA=="}, "s": {"SS": ["a"]},
        "l": {"L": [{"NULL": True}, {"BOOL": True}]}}}
    with pytest.raises(TypeError):
        attribute_value(1.5)  # floats never reach DynamoDB
    with pytest.raises(ValueError):
        attribute_value(set())
    encoded = encode_item({"PK": "A", "SK": "B", "tp": "x", "dat": {"id": 1, "nm": "é😀"}})
    assert (encoded.pk, encoded.sk, encoded.write_units) == ("A", "B", 1)
    assert encoded.request_bytes == len(b'{"PutRequest":{"Item":' + encoded.json + b"}},")  # UTF-8 bytes, not chars
    assert b"\xc3\xa9" in encoded.json


def test_stats_are_safe_across_threads():
    stats = WriteStats()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: stats.add(requests=1), range(10_000)))
    assert stats.snapshot()["requests"] == 10_000


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.slept = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept += seconds
        self.now += seconds


def test_adaptive_rate_is_unlimited_until_pushed_back_then_falls_to_what_was_sent():
    t = FakeTime()
    rate = AdaptiveWriteRate(clock=t.clock, sleep=t.sleep)
    for _ in range(40):  # 1,000 units within half a second: no limit yet
        rate.acquire(25)
        t.now += 0.0125
    assert rate.rate is None and t.slept == 0
    rate.on_pushback()
    assert rate.rate == pytest.approx(0.7 * 1000)  # what the last second carried, times 0.7
    rate.on_pushback()  # the other requests in flight answer too: one cut per window
    assert rate.rate == pytest.approx(700)
    before = t.now
    for _ in range(28):  # 700 units right after the cut are paced: no second banked while it was unlimited
        rate.acquire(25)
    assert t.now - before == pytest.approx(1.0, abs=0.05)


def test_a_push_back_in_the_first_second_counts():
    t = FakeTime()
    rate = AdaptiveWriteRate(ceiling=800, clock=t.clock, sleep=t.sleep)
    rate.acquire(400)
    rate.on_pushback()
    assert rate.rate == pytest.approx(0.7 * 400)


def test_adaptive_rate_grows_each_quiet_window_and_never_passes_the_ceiling():
    t = FakeTime()
    rate = AdaptiveWriteRate(ceiling=800, clock=t.clock, sleep=t.sleep)
    assert rate.rate == 800  # the ceiling is there from the start
    rate.acquire(400)
    t.now += 1.5
    rate.on_pushback()
    assert rate.rate == pytest.approx(0.7 * 400)
    rate.on_success()  # the same window: no growth yet
    assert rate.rate == pytest.approx(280)
    for _ in range(30):
        t.now += 1.0
        rate.on_success()
    assert rate.rate == 800
    before = t.now
    for _ in range(40):  # at 800 units/s, 1,000 units take 1.25 s (one second of burst is banked)
        rate.acquire(25)
    assert t.now - before == pytest.approx(0.25, abs=0.05)
