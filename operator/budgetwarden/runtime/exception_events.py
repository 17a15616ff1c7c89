"""FreezeExceptionUsed Events: the one side effect of admission, bounded whatever is sent.

runtime/admission.py's reviewers report each use of a FreezeException (never for a dry run) to
the `ExceptionEvents` that `event_poster` builds, from the webhook server's worker threads. Anyone
who can reach the webhook port can send reviews, so a use becomes an Event pair (on the workload
and on the exception) only when the review carries what kube-apiserver always sends (uid,
userInfo.username, kind, namespace, object), at most once per exception and workload a minute,
and through a bounded queue that drops, and logs how many, rather than grows. Posting is best
effort, as for every Event (runtime/reporting.py): a failure is logged, never retried.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime.ports import Cluster
from budgetwarden.runtime.registry import Key, Registry
from budgetwarden.runtime.reporting import Logger, announce, utcnow

# One FreezeExceptionUsed pair per exception and workload in this many seconds: a GitOps tool
# re-applying, or a retry loop, is recorded without filling the namespace's Events.
EVENT_INTERVAL_SECONDS = 60.0
# Event pairs waiting to be posted (each pair is two API calls); more are dropped and counted.
EVENT_QUEUE_SIZE = 64
# Exception and workload pairs remembered for the interval; uses of more are dropped and counted.
EVENT_KEYS = 4096


def _workload_of(review: Mapping[str, Any]) -> dict[str, Any]:
    """The workload a request is about, as an Event's involvedObject needs it."""
    request = review["request"]
    kind, obj = request.get("kind") or {}, request.get("object") or {}
    group, version = kind.get("group", ""), kind.get("version", "")
    metadata = obj.get("metadata") or {}
    return {
        "apiVersion": f"{group}/{version}" if group else version,
        "kind": kind.get("kind"),
        "metadata": {
            "name": request.get("name") or metadata.get("name"),
            "namespace": request.get("namespace"),
            "uid": metadata.get("uid"),
        },
    }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _complete(review: Mapping[str, Any]) -> bool:
    """Whether a review carries what kube-apiserver always sends: uid, userInfo.username, kind,
    namespace and object. One that lacks any was not sent by it, and gets no Event."""
    request = review.get("request")
    if not isinstance(request, Mapping):
        return False
    user, kind = request.get("userInfo"), request.get("kind")
    return all((
        _text(request.get("uid")), _text(request.get("namespace")),
        isinstance(user, Mapping) and _text(user.get("username")),
        isinstance(kind, Mapping) and _text(kind.get("kind")),
        isinstance(request.get("object"), Mapping),
    ))  # fmt: skip


class ExceptionEvents:
    """Posts FreezeExceptionUsed on the workload and on the exception, from the event loop's
    executor. Called from the webhook's worker threads; never blocks them."""

    def __init__(self, kube: Cluster, registry: Registry, logger: Logger,
                 clock: Callable[[], float], capacity: int) -> None:  # fmt: skip
        self.kube, self.registry, self.logger = kube, registry, logger
        self._clock, self._capacity = clock, capacity
        self._loop = asyncio.get_running_loop()
        self._queue: queue.Queue[tuple[dict[str, Any], str, str]] = queue.Queue(capacity)
        self._lock = threading.Lock()  # guards the three below
        self._last: dict[tuple[str, ...], float] = {}
        self._dropped, self._told = 0, -EVENT_INTERVAL_SECONDS  # pairs dropped, last said at
        self._posting: asyncio.Task[None] | None = None  # touched on the loop only

    def __call__(self, review: Mapping[str, Any], exception: str, message: str) -> None:
        """Queue the pair for one use, unless a pair for it went out within the interval."""
        if not _complete(review):
            return
        workload = _workload_of(review)
        key = (workload["metadata"]["namespace"], exception, workload["kind"],
               workload["metadata"]["name"])  # fmt: skip
        with self._lock:
            if not self._due(key):
                return
        try:
            self._queue.put_nowait((workload, exception, message))
        except queue.Full:
            with self._lock:
                self._drop(f"the queue of {self._capacity} is full")
            return
        self._loop.call_soon_threadsafe(self._start)

    def _due(self, key: tuple[str, ...]) -> bool:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < EVENT_INTERVAL_SECONDS:
            return False
        if last is None and len(self._last) >= EVENT_KEYS:  # forget what the interval passed
            self._last = {k: t for k, t in self._last.items() if now - t < EVENT_INTERVAL_SECONDS}
            if len(self._last) >= EVENT_KEYS:
                self._drop(f"{EVENT_KEYS} uses are already recorded this minute")
                return False
        self._last[key] = now
        return True

    def _drop(self, why: str) -> None:
        """Count a dropped pair; say so at most once an interval (with the lock held)."""
        now = self._clock()
        self._dropped += 1
        if now - self._told >= EVENT_INTERVAL_SECONDS:
            self._told = now
            self.logger.warning("%s Events dropped: %d so far, %s", c.EVENT_EXCEPTION_USED,
                                self._dropped, why)  # fmt: skip

    def _start(self) -> None:
        if self._posting is None or self._posting.done():
            self._posting = self._loop.create_task(self._post_queued())

    async def _post_queued(self) -> None:
        while True:
            try:
                workload, exception, message = self._queue.get_nowait()
            except queue.Empty:
                return
            namespace = workload["metadata"]["namespace"]
            tracked = self.registry.exceptions.get(Key(namespace, exception))
            targets = [workload] + ([tracked.involved()] if tracked is not None else [])
            try:
                await asyncio.to_thread(self._send, targets, message)
            except Exception:  # best effort, as every Event: logged, never retried
                self.logger.exception("could not post the %s events", c.EVENT_EXCEPTION_USED)

    def _send(self, targets: list[dict[str, Any]], message: str) -> None:
        for involved in targets:
            announce(self.kube, involved, "Normal", c.EVENT_EXCEPTION_USED, message,
                     now=utcnow(), logger=self.logger)  # fmt: skip

    async def flush(self) -> None:
        """Wait until every pair queued so far has been posted (or has failed)."""
        while True:
            await asyncio.sleep(0)  # the starts the worker threads scheduled run first
            posting = self._posting
            if posting is not None and not posting.done():
                await posting
            elif self._queue.empty():
                return


def event_poster(
    kube: Cluster,
    registry: Registry,
    logger: Logger,
    *,
    clock: Callable[[], float] = time.monotonic,
    capacity: int = EVENT_QUEUE_SIZE,
) -> ExceptionEvents:
    """The FreezeExceptionUsed poster for the reviewers; call it on the event loop."""
    return ExceptionEvents(kube, registry, logger, clock, capacity)
