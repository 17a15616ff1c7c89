"""The per-namespace `FreezeView`s admission and the freeze gate answer from, cached.

A view is built from the registry (runtime/registry.py) the first time a namespace is asked for
after a policy or exception changed, and reused until one changes again: SLO updates, which a
large cluster sends thousands of per poll, leave the views alone. The webhook server's worker
threads and the /gate endpoint's thread ask from outside the event loop; a view to build is
built on the event loop, which alone reads the registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from budgetwarden.core.freeze.gate import GateAnswer, gate, workload_stub
from budgetwarden.core.freeze.view import FreezeView, WorkloadRef
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.reporting import utcnow

# A thread waits this long for the event loop to build a view (the API server's default webhook
# timeout); longer, and the request fails (500: the failurePolicy decides).
VIEW_WAIT_SECONDS = 5.0
Ask = Callable[[WorkloadRef, Mapping[str, str]], GateAnswer]


class FreezeViews:
    """The registry's FreezeView per namespace, rebuilt only after a policy or exception changed
    (`Registry.freeze_changes`: SLO updates, thousands a poll in a large cluster, leave it)."""

    def __init__(self, registry: Registry, runbooks: RunbookLinks = SHIPPED_RUNBOOKS) -> None:
        self.registry = registry
        self.runbooks = runbooks  # denials link its freeze page
        # (registry.freeze_changes, views built since): replaced whole, so a thread reads one pair
        self._cache: tuple[int, dict[str, FreezeView]] = (-1, {})
        self._loop = _running_loop()  # None when built outside one: views are built in place

    def view(self, namespace: str) -> FreezeView:
        """The namespace's FreezeView. Any thread may ask."""
        changes, views = self._cache
        cached = views.get(namespace) if changes == self.registry.freeze_changes else None
        if cached is not None:
            return cached
        loop = self._loop
        if loop is None or loop.is_closed() or _running_loop() is loop:
            return self._build(namespace)
        built = asyncio.run_coroutine_threadsafe(self._built(namespace), loop)
        return built.result(timeout=VIEW_WAIT_SECONDS)

    def ask(self, ref: WorkloadRef, labels: Mapping[str, str]) -> GateAnswer:
        """The freeze gate's answer for a new version of `ref` (core/freeze/gate.py)."""
        return gate(self.view(ref.namespace), workload_stub(ref, labels), ref.kind, utcnow())

    def _build(self, namespace: str) -> FreezeView:
        changes = self.registry.freeze_changes
        if self._cache[0] != changes:
            self._cache = (changes, {})
        views = self._cache[1]
        if namespace not in views:
            views[namespace] = freeze_view(
                self.registry.policies_in(namespace),
                self.registry.exceptions_in(namespace),
                self.runbooks,
            )
        return views[namespace]

    async def _built(self, namespace: str) -> FreezeView:
        return self._build(namespace)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
