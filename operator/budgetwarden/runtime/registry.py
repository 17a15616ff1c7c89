"""The operator's in-memory view of every SLO, ErrorBudgetPolicy and FreezeException it watches.

kopf's watch events keep the `Registry` current (handlers/tracking.py calls `observe`); the
budget poller reads it every poll, and admission (webhook or VAP params) on every change, so
none of them makes an API call on its hot path. The operator (runtime/operator.py) builds one
before kopf starts watching.

Everything is read from the wire once, when an event arrives: each entry is a `Tracked` snapshot
of one object with its parsed spec (None with the problem when the spec does not parse), its
typed status (`SLOStatus`, `PolicyStatus`), labels and resourceVersion. Of an SLO's spec only the
`BudgetTerms` its status is computed from are kept: the poller needs no more, and with ten
thousand SLOs the whole parsed specs would take some 70 MB. The raw status is kept
beside the typed one only to compute the next merge patch against what the API server holds.
Watch handlers and readers all run on kopf's event loop, so the registry is never changed from
another thread while it is read.

kopf delivers its initial listing per resource kind, in no fixed order relative to the others,
so a policy can be known before its SLOs are. A consumer that must see all SLOs of a namespace
(the poller, before deciding a policy) lists them once with `seed_slos`; entries that events
already delivered, or deleted meanwhile, win over the listing.

When kopf starts watching it replays its own listing of every kind, on the event loop admission
answers on. `expect_watch` notes what the first full listing found of the kinds it is given and
`watch_caught_up` says when kopf has delivered each of them, so a process serving the webhook
reports ready only after the replay of what the webhook reads (runtime/operator.py).

kopf's watch removes an entry only on a DELETED event, and after a watch outage its re-list
sends none for what was deleted meanwhile. So the operator lists every kind in full at start-up
and again every re-list interval (runtime/relist.py) and `replace`s the kind's table with what
it found: a deleted object stops counting within one re-list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from budgetwarden.core.budget.slo_status import BudgetTerms
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.budget.status_model import SLOStatus
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.policy.status_model import PolicyStatus
from budgetwarden.core.slo.spec import parse_slo

ModelT = TypeVar("ModelT")
Key = SLORef  # (namespace, name) of any namespaced object, ordered


@dataclass(frozen=True, slots=True)
class Tracked(Generic[ModelT]):
    """One object as its last watch event showed it."""

    key: Key
    kind: str
    uid: str
    generation: int
    resource_version: str
    labels: Mapping[str, str]
    status: Mapping[str, Any]  # as stored: what the next status patch is computed against
    model: ModelT | None
    problem: str = ""
    read: Any = None  # the status read once: SLOStatus, PolicyStatus, or None for exceptions

    @property
    def policy_status(self) -> PolicyStatus:
        """The status of a tracked ErrorBudgetPolicy, as read when its event arrived."""
        return self.read if isinstance(self.read, PolicyStatus) else PolicyStatus.read(self.status)

    @property
    def slo_status(self) -> SLOStatus:
        """The status of a tracked SLO, as read when its event arrived."""
        return self.read if isinstance(self.read, SLOStatus) else SLOStatus.read(self.status)

    def involved(self) -> dict[str, Any]:
        """The object as an Event's involvedObject needs it."""
        return {
            "apiVersion": c.API_VERSION,
            "kind": self.kind,
            "metadata": {
                "name": self.key.name,
                "namespace": self.key.namespace,
                "uid": self.uid,
                "resourceVersion": self.resource_version,
            },
        }


@dataclass
class Registry:
    """SLOs, policies and exceptions by (namespace, name); `changes` counts every update."""

    slos: dict[Key, Tracked[BudgetTerms]] = field(default_factory=dict)
    policies: dict[Key, Tracked[ErrorBudgetPolicy]] = field(default_factory=dict)
    exceptions: dict[Key, Tracked[FreezeException]] = field(default_factory=dict)
    changes: int = 0
    # Updates of policies and exceptions only: all a FreezeView reads, so admission's cached
    # views (runtime/views.py) outlive the stream of SLO status updates a large cluster sends.
    freeze_changes: int = 0
    seeded_namespaces: set[str] = field(default_factory=set)
    _deleted: set[tuple[str, str]] = field(default_factory=set)  # (namespace, uid)
    _listing: dict[str, set[str]] = field(default_factory=dict)  # plural -> uids deleted since
    _unwatched: dict[str, set[Key]] = field(default_factory=dict)  # listed, not yet from kopf

    def observe(self, plural: str, event_type: str | None, body: Mapping[str, Any]) -> None:
        """Apply one watch event (None for kopf's initial listing) to the registry."""
        table, kind, parse = self._table(plural)
        if self._unwatched:
            self._delivered(plural, body)
        if event_type != "DELETED" and _already_tracked(table, body):
            # kopf's own listing replays every object the first re-list has just parsed: with
            # 1,001 policies, parsing them again on the event loop stalled admission for 0.5 s
            return
        tracked = _tracked(body, kind, parse)
        if event_type == "DELETED":
            table.pop(tracked.key, None)
            self._listing.get(plural, set()).add(tracked.uid)
            if plural == c.PLURAL_SLO and tracked.key.namespace not in self.seeded_namespaces:
                # so that a listing already in flight cannot bring it back
                self._deleted.add((tracked.key.namespace, tracked.uid))
        else:
            table[tracked.key] = tracked
        self.changes += 1
        if plural != c.PLURAL_SLO:
            self.freeze_changes += 1

    def expect_watch(self, plurals: Iterable[str]) -> int:
        """Note every object the tables of `plurals` hold as not yet delivered by kopf's watch;
        how many that is."""
        listed = {plural: set(self._table(plural)[0]) for plural in plurals}
        self._unwatched = {plural: keys for plural, keys in listed.items() if keys}
        return self.unwatched

    @property
    def watch_caught_up(self) -> bool:
        """Whether kopf's watch has delivered every object `expect_watch` noted."""
        return not self._unwatched

    @property
    def unwatched(self) -> int:
        """How many of the objects `expect_watch` noted kopf's watch has not delivered yet."""
        return sum(len(keys) for keys in self._unwatched.values())

    def _delivered(self, plural: str, body: Mapping[str, Any]) -> None:
        keys = self._unwatched.get(plural)
        if keys is None:
            return
        keys.discard(_key(body.get("metadata") or {}))
        if not keys:
            del self._unwatched[plural]

    def seed_slos(self, namespace: str, bodies: Iterable[Mapping[str, Any]]) -> None:
        """Add listed SLOs of `namespace` that no event has delivered (or deleted) yet."""
        for body in bodies:
            tracked = _tracked(body, c.KIND_SLO, slo_terms)
            gone = (namespace, tracked.uid) in self._deleted
            if tracked.key not in self.slos and not gone:
                self.slos[tracked.key] = tracked
                self.changes += 1
        self.seeded_namespaces.add(namespace)
        self._deleted = {(ns, uid) for ns, uid in self._deleted if ns != namespace}

    def snapshot(self, plural: str) -> dict[Key, Tracked[Any]]:
        """A kind's table as it is before a listing starts; `replace` takes it back."""
        self._listing[plural] = set()
        return dict(self._table(plural)[0])

    def entries(self, plural: str, bodies: Iterable[Mapping[str, Any]]) -> Iterator[Tracked[Any]]:
        """The entries a kind's table would hold for `bodies`, one body at a time; no entry
        refers to its body. Reads no table, so a worker thread may call it while events arrive.
        """
        _, kind, parse = self._table(plural)
        return (_tracked(body, kind, parse) for body in bodies)

    def replace(
        self,
        plural: str,
        entries: Iterable[Tracked[Any]],
        before: Mapping[Key, Tracked[Any]],
        covers: Callable[[str], bool],
    ) -> tuple[int, int]:
        """Make a kind's table, in the namespaces `covers`, what a full listing found (its
        `entries`; of two under one key the later counts).

        Drops entries the listing no longer has (or has under a new uid) unless an event
        changed them while it ran, and adds objects no event has delivered unless one deleted
        them meanwhile. Returns (dropped, added).
        """
        table, _, _ = self._table(plural)
        deleted = self._listing.pop(plural, set())
        listed = {entry.key: entry for entry in entries}
        uids = {key: entry.uid for key, entry in listed.items()}
        stale = [
            key
            for key, entry in table.items()
            if uids.get(key) != entry.uid  # gone, or deleted and made anew
            and covers(key.namespace)
            and before.get(key) is entry  # no event changed it while the listing ran
        ]
        for key in stale:
            del table[key]
        fresh = [t for key, t in listed.items() if key not in table and t.uid not in deleted]
        for entry in fresh:
            table[entry.key] = entry
        self.changes += len(stale) + len(fresh)
        if plural != c.PLURAL_SLO:
            self.freeze_changes += len(stale) + len(fresh)
        return len(stale), len(fresh)

    def remember_status(self, plural: str, key: Key, status: Mapping[str, Any]) -> None:
        """Record a status this process just wrote, until the watch event confirms it."""
        table, _, _ = self._table(plural)
        entry = table.get(key)
        if entry is not None:
            table[key] = replace(entry, status=status, read=_read_status(entry.kind, status))

    def selected_slos(self, policy: ErrorBudgetPolicy) -> list[Tracked[BudgetTerms]]:
        """The SLOs in the policy's namespace its sloSelector matches, by name."""
        namespace, selector = policy.metadata.namespace, policy.spec.slo_selector
        return sorted(
            (
                entry
                for key, entry in self.slos.items()
                if key.namespace == namespace and selector_matches(selector, entry.labels)
            ),
            key=lambda entry: entry.key,
        )

    def policies_in(self, namespace: str) -> list[tuple[ErrorBudgetPolicy, PolicyStatus]]:
        """The parsed ErrorBudgetPolicies of a namespace with their statuses, by name."""
        return [
            (entry.model, entry.policy_status)
            for key, entry in sorted(self.policies.items())
            if key.namespace == namespace and entry.model is not None
        ]

    def exceptions_in(self, namespace: str) -> list[FreezeException]:
        """The parsed FreezeExceptions of a namespace, by name."""
        return [
            entry.model
            for key, entry in sorted(self.exceptions.items())
            if key.namespace == namespace and entry.model is not None
        ]

    def _table(self, plural: str) -> tuple[dict[Key, Any], str, Callable[..., Any]]:
        if plural == c.PLURAL_SLO:
            return self.slos, c.KIND_SLO, slo_terms
        if plural == c.PLURAL_POLICY:
            return self.policies, c.KIND_POLICY, parse_policy
        if plural == c.PLURAL_EXCEPTION:
            return self.exceptions, c.KIND_EXCEPTION, parse_exception
        raise ValueError(f"not a budgetwarden resource: {plural}")


def slo_terms(resource: Mapping[str, Any]) -> BudgetTerms:
    """An SLO's budget terms; SpecError when its spec does not parse."""
    return BudgetTerms.of(parse_slo(resource))


def _already_tracked(table: Mapping[Key, Tracked[Any]], body: Mapping[str, Any]) -> bool:
    """Whether `table` holds this very object at this resourceVersion (which changes on every
    write, status included), so the event brings nothing new."""
    meta = body.get("metadata") or {}
    version = str(meta.get("resourceVersion") or "")
    if not version:
        return False
    entry = table.get(_key(meta))
    uid = str(meta.get("uid") or "")
    return entry is not None and (entry.uid, entry.resource_version) == (uid, version)


def _key(meta: Mapping[str, Any]) -> Key:
    return Key(str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _tracked(body: Mapping[str, Any], kind: str, parse: Callable[..., Any]) -> Tracked[Any]:
    resource = plain(body)
    meta = resource.get("metadata") or {}
    status = resource.get("status") if isinstance(resource.get("status"), Mapping) else {}
    try:
        model, problem = parse(resource), ""
    except SpecError as error:
        model, problem = None, str(error)
    return Tracked(
        key=_key(meta),
        kind=kind,
        uid=str(meta.get("uid") or ""),
        generation=int(meta.get("generation") or 0),
        resource_version=str(meta.get("resourceVersion") or ""),
        labels=dict(meta.get("labels") or {}),
        status=status,
        model=model,
        problem=problem,
        read=_read_status(kind, status),
    )


def _read_status(kind: str, status: Mapping[str, Any]) -> Any:
    if kind == c.KIND_POLICY:
        return PolicyStatus.read(status)
    if kind == c.KIND_SLO:
        return SLOStatus.read(status)
    return None


def plain(value: Any) -> Any:
    """A deep copy made of dicts and lists (kopf hands out read-only mapping views)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
