"""The one pager (no Beam here): every page of a Query or Scan, whoever sends it.

`call(request) -> answer` is the sending: boto3's `table.query(**request)`, or the signed
transport with its retries. A page's LastEvaluatedKey becomes the next request's
ExclusiveStartKey until there is none.
"""

from __future__ import annotations

from typing import Callable, Iterator


def pages(call: Callable[[dict], dict], request: dict) -> Iterator[dict]:
    """Every answer of a paged request, in order."""
    request = dict(request)
    while True:
        answer = call(request)
        yield answer
        last = answer.get("LastEvaluatedKey")
        if not last:
            return
        request["ExclusiveStartKey"] = last


def query_all(call: Callable[[dict], dict], request: dict) -> Iterator[dict]:
    """Every item of every page."""
    for answer in pages(call, request):
        yield from answer.get("Items", [])
