"""The one retry (RetryPolicy.call) and the one pager (pages / query_all)."""

import random

import pytest

from connectors.dynamodb.pages import pages, query_all
from connectors.retry import RetryPolicy


class Flaky(Exception):
    pass


def test_a_retryable_error_is_tried_again_until_it_works():
    answers = iter([Flaky(), Flaky(), "done"])
    slept = []

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert RetryPolicy().call(call, lambda e: isinstance(e, Flaky), sleep=slept.append, rng=random.Random(1)) == "done"
    assert len(slept) == 2 and all(0 <= s <= RetryPolicy().cap_seconds for s in slept)


def test_another_error_is_raised_at_once_and_the_bound_is_kept():
    calls = []

    def broken():
        calls.append(1)
        raise ValueError("not retryable")

    with pytest.raises(ValueError):
        RetryPolicy().call(broken, lambda e: isinstance(e, Flaky), sleep=lambda s: None)
    assert len(calls) == 1

    def always_flaky():
        calls.append(1)
        raise Flaky()

    calls.clear()
    with pytest.raises(Flaky):
        RetryPolicy(max_attempts=3).call(always_flaky, lambda e: isinstance(e, Flaky), sleep=lambda s: None)
    assert len(calls) == 3


def test_pages_follow_last_evaluated_key_and_query_all_yields_every_item():
    table = {None: {"Items": [1, 2], "LastEvaluatedKey": "k2"}, "k2": {"Items": [3], "LastEvaluatedKey": "k3"},
             "k3": {"Items": []}}
    seen = []

    def call(request):
        seen.append(request.get("ExclusiveStartKey"))
        return table[request.get("ExclusiveStartKey")]

    request = {"TableName": "t"}
    assert list(query_all(call, request)) == [1, 2, 3]
    assert seen == [None, "k2", "k3"] and request == {"TableName": "t"}  # the caller's request is not changed
    assert len(list(pages(call, request))) == 3
