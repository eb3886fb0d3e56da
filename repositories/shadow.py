"""Shadow reads: a read that is moving, tried against the one it replaces, as GitHub's Scientist
does it (control = the read the application trusts, MySQL; candidate = the repository).

    from repositories.parity import same_answer
    from repositories.shadow import shadow

    user = shadow("login_email",
                  control=lambda: User.objects.filter(email__iexact=email).values().first(),
                  candidate=lambda: users.get_user_by_email(email),
                  compare=same_answer("login_email", email=email), sample_rate=0.1, background=True)

- The control always runs, in the caller's thread; its answer is returned, or its exception
  raised, as if shadow were not there.
- The candidate runs for a `sample_rate` share of the calls. Its exception is caught and
  published, never raised. With `background=True` it runs on a worker thread, so the caller
  waits for the control only; otherwise both run in the caller's thread, in random order (so
  neither always warms the other's caches).
- Both are timed. Each outcome (`match`, `mismatch`, `candidate_error`, `compare_error`,
  `control_error`, `skipped` when every background slot is taken) is published through
  `logging` (logger `repositories.shadow`; mismatches and errors at WARNING, without the
  answers, which may hold personal data) and to each counter hook (`add_hook`: a Prometheus
  counter, a CloudWatch metric; the README shows both), which gets the answers too.
"""

from __future__ import annotations

import logging
import operator
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

LOG = logging.getLogger(__name__)

MATCH, MISMATCH = "match", "mismatch"
CANDIDATE_ERROR, COMPARE_ERROR, CONTROL_ERROR = "candidate_error", "compare_error", "control_error"
SKIPPED = "skipped"


@dataclass(frozen=True)
class ShadowResult:
    """One shadowed read, as published: which, how it ended, how long each side took."""

    name: str
    outcome: str
    control_ms: float | None = None
    candidate_ms: float | None = None
    control: object = None  # the answers, on a mismatch
    candidate: object = None
    error: BaseException | None = None  # the candidate's or compare's exception


@dataclass(frozen=True)
class _Run:
    value: object
    error: BaseException | None
    ms: float


def _run(read: Callable[[], object]) -> _Run:
    started = time.perf_counter()
    try:
        value, error = read(), None
    except Exception as caught:  # noqa: BLE001 - the control's is raised again; the candidate's, published
        value, error = None, caught
    return _Run(value, error, (time.perf_counter() - started) * 1000)


def _answer(control: _Run) -> object:
    if control.error is not None:
        raise control.error
    return control.value


class Shadow:
    """Shadow reads with their own counter hooks and background workers (`workers` threads,
    at most `pending` candidates waiting or running; past that a call is `skipped`)."""

    def __init__(self, workers: int = 2, pending: int = 100, rng: random.Random | None = None):
        self._hooks: list[Callable[[ShadowResult], None]] = []
        self._workers = workers
        self._slots = threading.BoundedSemaphore(pending)
        self._rng = rng or random.Random()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def add_hook(self, hook: Callable[[ShadowResult], None]) -> None:
        self._hooks.append(hook)

    def remove_hook(self, hook: Callable[[ShadowResult], None]) -> None:
        self._hooks.remove(hook)

    def __call__(self, name: str, control: Callable[[], object], candidate: Callable[[], object],
                 compare: Callable[[object, object], bool] = operator.eq, sample_rate: float = 1.0,
                 background: bool = False) -> object:
        if not 0 <= sample_rate <= 1:
            raise ValueError("sample_rate must be between 0 and 1")
        if sample_rate < 1 and self._rng.random() >= sample_rate:
            return control()
        if background:
            return self._in_background(name, control, candidate, compare)
        if self._rng.random() < 0.5:
            tried = _run(candidate)
            trusted = _run(control)
        else:
            trusted = _run(control)
            tried = _run(candidate)
        self._conclude(name, trusted, tried, compare)
        return _answer(trusted)

    def _in_background(self, name, control, candidate, compare) -> object:
        if not self._slots.acquire(blocking=False):
            self._publish(ShadowResult(name, SKIPPED))
            return control()
        control_done: Future = Future()

        def experiment():
            try:
                tried = _run(candidate)
                trusted = control_done.result()
                if trusted is not None:  # None: the control was interrupted, nothing to compare
                    self._conclude(name, trusted, tried, compare)
            finally:
                self._slots.release()

        try:
            self._workers_pool().submit(experiment)
        except RuntimeError:  # the pool is shut down: the read goes on without its shadow
            self._slots.release()
            return control()
        trusted = None
        try:
            trusted = _run(control)
        finally:
            control_done.set_result(trusted)
        return _answer(trusted)

    def _workers_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="shadow-read")
            return self._pool

    def close(self, wait: bool = True) -> None:
        """Stop the background workers (waiting for the candidates running, by default)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)

    def _conclude(self, name: str, trusted: _Run, tried: _Run, compare) -> None:
        timing = {"control_ms": trusted.ms, "candidate_ms": tried.ms}
        if trusted.error is not None:
            self._publish(ShadowResult(name, CONTROL_ERROR, **timing))
        elif tried.error is not None:
            self._publish(ShadowResult(name, CANDIDATE_ERROR, **timing, error=tried.error))
        else:
            try:
                same = bool(compare(trusted.value, tried.value))
            except Exception as error:  # noqa: BLE001 - a comparison that fails is published, never raised
                self._publish(ShadowResult(name, COMPARE_ERROR, **timing, error=error))
                return
            self._publish(ShadowResult(name, MATCH if same else MISMATCH, **timing,
                                       control=None if same else trusted.value,
                                       candidate=None if same else tried.value))

    def _publish(self, result: ShadowResult) -> None:
        timing = "" if result.control_ms is None else \
            f" (control {result.control_ms:.1f} ms, candidate {result.candidate_ms:.1f} ms)"
        error = f": {type(result.error).__name__}: {result.error}" if result.error is not None else ""
        level = logging.DEBUG if result.outcome in (MATCH, SKIPPED, CONTROL_ERROR) else logging.WARNING
        LOG.log(level, "shadow read %s: %s%s%s", result.name, result.outcome, timing, error)
        for hook in list(self._hooks):
            try:
                hook(result)
            except Exception:  # noqa: BLE001 - a broken counter must not break the read
                LOG.exception("shadow read %s: counter hook %r failed", result.name, hook)


DEFAULT = Shadow()


def shadow(name: str, control: Callable[[], object], candidate: Callable[[], object],
           compare: Callable[[object, object], bool] = operator.eq, sample_rate: float = 1.0,
           background: bool = False) -> object:
    """The control's answer; the candidate tried beside it and the outcome published (see above)."""
    return DEFAULT(name, control, candidate, compare, sample_rate, background)


def add_hook(hook: Callable[[ShadowResult], None]) -> None:
    """Publish every shadowed read's result to `hook` too (a metrics counter)."""
    DEFAULT.add_hook(hook)
