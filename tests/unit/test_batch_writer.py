"""BatchWriter's retry and batching rules, with a scripted client passed to its constructor.

(End-to-end writes against DynamoDB Local are in tests/integration; this layer pins down
the corner cases a real endpoint will not produce on demand.)
"""

import random

import pytest

from transforms.dynamodb_batch import Backoff, BatchWriteFailed, BatchWriter, to_wire


class ScriptedClient:
    """Answers BatchWriteItem by leaving the first `unprocessed[i]` requests of call i unprocessed."""

    def __init__(self, unprocessed=()):
        self.unprocessed = list(unprocessed)
        self.calls = []

    def batch_write_item(self, RequestItems):
        (table, requests), = RequestItems.items()
        self.calls.append([r["PutRequest"]["Item"]["PK"]["S"] for r in requests])
        keys = [(r["PutRequest"]["Item"]["PK"]["S"], r["PutRequest"]["Item"]["SK"]["S"]) for r in requests]
        assert len(keys) == len(set(keys)), "duplicate keys in one batch"
        assert len(requests) <= 25
        left = self.unprocessed.pop(0) if self.unprocessed else 0
        return {"UnprocessedItems": {table: requests[:left]} if left else {}}


def wire(pk, sk="META"):
    return to_wire({"PK": pk, "SK": sk, "tp": "x", "dat": {"id": 1}})


def writer(client, **kw):
    sleeps = []
    w = BatchWriter(client, "t", sleep=sleeps.append, rng=random.Random(1), **kw)
    return w, sleeps


def test_batches_of_at_most_batch_size_and_unprocessed_items_resent_with_backoff():
    client = ScriptedClient(unprocessed=[3, 1])
    w, sleeps = writer(client, batch_size=10)
    for i in range(23):
        w.put(wire(f"P{i}"))
    w.flush()
    sent = [pk for call in client.calls for pk in call]
    assert sorted(set(sent)) == sorted(f"P{i}" for i in range(23))
    assert [len(c) for c in client.calls] == [10, 3, 1, 10, 3]
    assert len(sleeps) == 2 and all(s >= 0 for s in sleeps)
    assert w.stats.items == 23 and w.stats.unprocessed_resent == 4 and w.stats.batches == 3


def test_a_repeated_key_flushes_first_instead_of_failing_the_batch():
    client = ScriptedClient()
    w, _ = writer(client)
    w.put(wire("A"))
    w.put(wire("B"))
    w.put(wire("A"))
    w.flush()
    assert client.calls == [["A", "B"], ["A"]]


def test_gives_up_loudly_after_the_time_bound():
    client = ScriptedClient(unprocessed=[1] * 1000)
    w, _ = writer(client, backoff=Backoff(max_elapsed_seconds=0.0))
    w.put(wire("A"))
    with pytest.raises(BatchWriteFailed, match="still unprocessed"):
        w.flush()


def test_batch_size_is_validated():
    with pytest.raises(ValueError):
        BatchWriter(ScriptedClient(), "t", batch_size=26)
