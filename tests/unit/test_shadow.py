"""The shadow-read wrapper on plain callables (repositories/shadow.py): the control's answer
always, the candidate's exception never, outcomes published, and a background candidate that
adds nothing to the caller's wait. The wrapper against the real services, with the planted
faults, is in tests/integration/test_check_reads.py."""

from __future__ import annotations

import logging
import random
import threading

import pytest

from repositories import shadow as shadow_module
from repositories.shadow import (
    CANDIDATE_ERROR, COMPARE_ERROR, CONTROL_ERROR, MATCH, MISMATCH, SKIPPED, Shadow, ShadowResult,
)

WAIT = 10  # seconds: a bound for what should happen at once, never a pause


class Published:
    """A counter hook that keeps every result and lets a test wait for the next ones."""

    def __init__(self):
        self.results: list[ShadowResult] = []
        self._changed = threading.Condition()

    def __call__(self, result: ShadowResult) -> None:
        with self._changed:
            self.results.append(result)
            self._changed.notify_all()

    def wait_for(self, count: int) -> list[ShadowResult]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.results) >= count, timeout=WAIT), self.results
            return list(self.results)


@pytest.fixture
def published():
    return Published()


@pytest.fixture
def wrapper(published):
    shadowed = Shadow(rng=random.Random(3))
    shadowed.add_hook(published)
    yield shadowed
    shadowed.close()


def test_a_different_answer_returns_the_controls_and_is_published_with_both(wrapper, published, caplog):
    with caplog.at_level(logging.WARNING, logger="repositories.shadow"):
        assert wrapper("login_email", lambda: {"id": 1}, lambda: {"id": 2}) == {"id": 1}
    (result,) = published.results
    assert (result.name, result.outcome, result.control, result.candidate) == ("login_email", MISMATCH,
                                                                               {"id": 1}, {"id": 2})
    assert result.control_ms >= 0 and result.candidate_ms >= 0
    assert caplog.records[0].getMessage().startswith("shadow read login_email: mismatch (control ")
    assert "'id'" not in caplog.text  # answers may hold personal data: never logged


def test_the_candidates_exception_is_published_never_raised(wrapper, published):
    def broken():
        raise ConnectionError("DynamoDB is down")

    assert wrapper("problem", lambda: "from MySQL", broken) == "from MySQL"
    (result,) = published.results
    assert (result.outcome, type(result.error), result.control) == (CANDIDATE_ERROR, ConnectionError, None)


def test_the_controls_exception_is_the_callers_and_nothing_is_compared(wrapper, published):
    class NotFound(Exception):
        pass

    def missing():
        raise NotFound("no user 9")

    def broken():
        raise ConnectionError("the candidate's")

    with pytest.raises(NotFound, match="no user 9"):
        wrapper("user_by_id", missing, broken)
    assert [r.outcome for r in published.results] == [CONTROL_ERROR]


def test_equal_answers_match_and_a_failing_compare_is_published(wrapper, published):
    assert wrapper("job_status", lambda: 1, lambda: 1) == 1

    def compare(control, candidate):
        raise TypeError("cannot compare")

    assert wrapper("job_status", lambda: 1, lambda: 1, compare=compare) == 1
    assert [r.outcome for r in published.results] == [MATCH, COMPARE_ERROR]


def test_inline_both_run_in_the_callers_thread_in_either_order(wrapper):
    calls, caller = [], threading.get_ident()
    for _ in range(20):
        wrapper("p", lambda: calls.append(("control", threading.get_ident())),
                lambda: calls.append(("candidate", threading.get_ident())))
    firsts = {calls[i][0] for i in range(0, len(calls), 2)}
    assert firsts == {"control", "candidate"} and {thread for _, thread in calls} == {caller}


def test_in_the_background_the_caller_does_not_wait_for_the_candidate(wrapper, published):
    release, ran_on = threading.Event(), []

    def slow_candidate():
        ran_on.append(threading.get_ident())
        assert release.wait(WAIT)
        return "late"

    assert wrapper("public_timeline", lambda: "now", slow_candidate, background=True) == "now"
    assert published.results == []  # answered while the candidate is still running
    release.set()
    (result,) = published.wait_for(1)
    assert (result.outcome, result.control, result.candidate) == (MISMATCH, "now", "late")
    assert ran_on and ran_on[0] != threading.get_ident()


def test_the_background_candidates_exception_stays_in_the_background(wrapper, published):
    def broken():
        raise RuntimeError("throttled")

    assert wrapper("rate_limit", lambda: (True, 1), broken, background=True) == (True, 1)
    assert published.wait_for(1)[0].outcome == CANDIDATE_ERROR


def test_when_every_background_slot_is_taken_the_read_is_skipped_not_queued(published):
    shadowed, release = Shadow(workers=1, pending=1), threading.Event()
    shadowed.add_hook(published)
    try:
        shadowed("p", lambda: 1, lambda: release.wait(WAIT) and "late", background=True)
        assert shadowed("p", lambda: 2, lambda: 2, background=True) == 2
        assert published.wait_for(1)[0].outcome == SKIPPED
        release.set()
        assert [r.outcome for r in published.wait_for(2)] == [SKIPPED, MISMATCH]
    finally:
        release.set()
        shadowed.close()


def test_the_sample_rate_chooses_which_calls_try_the_candidate(published):
    shadowed, tried = Shadow(rng=random.Random(7)), []
    shadowed.add_hook(published)
    for _ in range(1000):
        assert shadowed("p", lambda: 1, lambda: tried.append(1) or 1, sample_rate=0.1) == 1
    assert 60 < len(tried) < 140 and len(published.results) == len(tried)
    assert shadowed("p", lambda: 1, lambda: tried.append(1), sample_rate=0) == 1 and len(tried) < 140
    with pytest.raises(ValueError):
        shadowed("p", lambda: 1, lambda: 1, sample_rate=1.5)


def test_a_broken_counter_hook_does_not_break_the_read(wrapper, published, caplog):
    def broken_hook(result):
        raise RuntimeError("statsd is down")

    wrapper.add_hook(broken_hook)
    assert wrapper("p", lambda: 1, lambda: 1) == 1
    assert [r.outcome for r in published.results] == [MATCH] and "counter hook" in caplog.text


def test_the_module_level_shadow_and_its_hooks(published):
    shadow_module.add_hook(published)
    try:
        assert shadow_module.shadow("user_by_id", lambda: 1, lambda: 2) == 1
    finally:
        shadow_module.DEFAULT.remove_hook(published)
    assert [(r.name, r.outcome) for r in published.results] == [("user_by_id", MISMATCH)]
