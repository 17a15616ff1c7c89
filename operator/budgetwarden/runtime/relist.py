"""Full listings of SLOs, policies and exceptions: before serving, and every re-list interval.

kopf's watch keeps the registry current, but it removes an entry only on a DELETED event, and
after a watch outage kopf lists again without sending any for objects deleted meanwhile: a
revoked FreezeException or a deleted policy would stay in memory until a restart. So the
operator (runtime/operator.py) lists every kind through the kube adapter
- once at start-up, before it serves admission or reports ready (`relist`), and
- every `interval` after that (`run`), logging how many entries it dropped and added,
and each listing replaces the kind's table in the watched namespaces (`Registry.replace`). The
listing comes in pages (`Cluster.list_pages`), each turned into registry entries before the next
is fetched, so that no more than a page of whole bodies is held at once. The admission role lists
only policies and exceptions (FREEZE_PLURALS): it never reads an SLO.

Which namespaces: the `WatchScope` of `budgetwarden run` (-n names are listed one by one;
globs and -A are listed cluster-wide and filtered). Under `kopf run -m budgetwarden.handlers`
only kopf knows them: then nothing is listed at start-up and each re-list covers the namespaces
the registry has seen objects in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from budgetwarden.adapters.kube import KubeError
from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime.ports import Cluster
from budgetwarden.runtime.registry import Key, Registry, Tracked
from budgetwarden.runtime.settings import WatchScope

log = logging.getLogger(__name__)
PLURALS = (c.PLURAL_SLO, c.PLURAL_POLICY, c.PLURAL_EXCEPTION)
# What a FreezeView reads: all the admission role keeps (its SLO watch handler is off too).
FREEZE_PLURALS = (c.PLURAL_POLICY, c.PLURAL_EXCEPTION)


@dataclass
class Relister:
    """Lists every kind in the watched namespaces into the registry."""

    registry: Registry
    kube: Cluster
    scope: WatchScope | None
    interval: timedelta
    plurals: tuple[str, ...] = PLURALS  # the kinds this process keeps

    async def relist(self) -> dict[str, tuple[int, int]]:
        """One full listing of every kind kept: {plural: (dropped, added)}; KubeError if one
        fails."""
        return {plural: await self._kind(plural) for plural in self.plurals}

    async def run(self) -> None:
        """Re-list every `interval` until cancelled; a failed listing is retried next time."""
        while True:
            await asyncio.sleep(self.interval.total_seconds())
            try:
                counts = await self.relist()
            except KubeError as error:
                log.warning("re-list failed, the watch alone keeps the registry: %s", error)
                continue
            dropped = sum(d for d, _ in counts.values())
            added = sum(a for _, a in counts.values())
            detail = ", ".join(f"{p} {d}/{a}" for p, (d, a) in counts.items())
            log.info(
                "re-list: dropped %d entries that no longer exist, added %d (dropped/added: %s)",
                dropped, added, detail,
            )  # fmt: skip

    async def _kind(self, plural: str) -> tuple[int, int]:
        namespaces, covers = self._where()
        before = self.registry.snapshot(plural)
        # One worker thread for the whole listing, the parsing included (most of a second of
        # CPU for ten thousand SLOs), so the event loop stays free; the table changes on the loop.
        listed = await asyncio.to_thread(self._entries, plural, namespaces, covers)
        return self.registry.replace(plural, listed.values(), before, covers)

    def _entries(
        self, plural: str, namespaces: tuple[str | None, ...], covers: Callable[[str], bool]
    ) -> dict[Key, Tracked[Any]]:
        """The registry entries of every object listed, by key. A page is fetched only once the
        one before is turned into entries: a whole body (managedFields, status) is about four
        times the size of its entry, and ten thousand at once set the operator's peak memory."""
        listed: dict[Key, Tracked[Any]] = {}
        for namespace in namespaces:
            for page in self.kube.list_pages(c.GROUP, c.VERSION, plural, namespace):
                found = (body for body in page if covers(_namespace_of(body)))
                listed.update((entry.key, entry) for entry in self.registry.entries(plural, found))
                del page, found  # not held while the next page is fetched and decoded
        return listed

    def _where(self) -> tuple[tuple[str | None, ...], Callable[[str], bool]]:
        """Where to list, and which namespaces' entries the listing speaks for."""
        if self.scope is not None:
            return self.scope.listings(), self.scope.covers
        tables = (self.registry.slos, self.registry.policies, self.registry.exceptions)
        seen = tuple(sorted({key.namespace for table in tables for key in table}))
        return seen, set(seen).__contains__


def _namespace_of(body: dict[str, Any]) -> str:
    return str((body.get("metadata") or {}).get("namespace") or "")
