"""`budgetwarden rules-sync`: PrometheusRule objects -> a Prometheus rules directory.

For Prometheus installations without prometheus-operator (and for the local stack and the
end-to-end tests): list and watch PrometheusRule objects, keep one rule file per object in
`--rules-dir` (written to a temporary file and renamed, so Prometheus never reads half a file),
delete the files of deleted objects, and POST /-/reload whenever the directory changed (and once
at start-up). Files it did not name are never touched. A full re-list every `--resync` seconds
repairs anything a watch missed; it reloads Prometheus only when it changed a file.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from budgetwarden.adapters.kube import (
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_PLURAL,
    PROMETHEUS_RULE_VERSION,
    Kube,
    KubeError,
)
from budgetwarden.adapters.prometheus_reload import PrometheusReloader, ReloadError
from budgetwarden.core.slo.rulefiles import desired_files, parse_rule_file_name, plan_sync

log = logging.getLogger("budgetwarden.rules-sync")
Key = tuple[str, str]  # (namespace, name)
# After a failure: wait this long before listing again, and watch this briefly while a reload
# is still owed, so a Prometheus that was down gets its reload soon after it is back.
RETRY_SECONDS = 5


def register(parser: argparse.ArgumentParser) -> None:
    """Add the flags of `budgetwarden rules-sync`."""
    parser.add_argument("--prometheus-url", required=True, help="e.g. http://prometheus:9090")
    parser.add_argument("--rules-dir", required=True, type=Path, help="Prometheus' rule_files dir")
    parser.add_argument("-n", "--namespace", help="only this namespace (default: all)")
    parser.add_argument("-l", "--selector", default="", help="label selector for PrometheusRules")
    parser.add_argument("--resync", type=int, default=300, help="seconds between full re-lists")
    parser.add_argument("--once", action="store_true", help="sync and reload once, then exit")


def run(args: argparse.Namespace) -> int:
    """Sync until interrupted (or once); exit 1 when `--once` could not finish."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per reload is ours
    args.rules_dir.mkdir(parents=True, exist_ok=True)
    # SIGTERM (kubectl delete pod, systemd stop) ends the loop like Ctrl-C; writes are atomic.
    signal.signal(signal.SIGTERM, _interrupt)
    syncer = RulesSync(Kube.from_environment(), PrometheusReloader(args.prometheus_url), args)
    try:
        if args.once:
            return 0 if syncer.sync_once() else 1
        syncer.forever()
    except KeyboardInterrupt:
        log.info("Stopping.")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class RulesSync:
    """The directory, the objects last seen, and whether Prometheus still owes a reload."""

    def __init__(self, kube: Kube, reloader: PrometheusReloader, args: argparse.Namespace):
        self.kube, self.reloader = kube, reloader
        self.rules_dir: Path = args.rules_dir
        self.namespace: str | None = args.namespace
        self.selector: str = args.selector
        self.resync: int = args.resync
        self.objects: dict[Key, dict[str, Any]] = {}
        self.reload_owed = False

    def sync_once(self) -> bool:
        """List, write the directory, reload; True when all of it worked."""
        try:
            self.relist()
        except KubeError as error:
            log.error("Could not list PrometheusRules: %s", error)
            return False
        self.write_and_reload(force_reload=True)
        return not self.reload_owed

    def forever(self) -> None:
        """List, then follow the watch; re-list on expiry, errors and every `resync` seconds.
        Prometheus is reloaded after the first list (its directory may hold files from before)
        and after that only when the directory changed: after a reload Prometheus finds its
        Alertmanagers again, and an alert that starts firing in those seconds is delivered only
        at its next resend, a minute later."""
        first = True
        while True:
            try:
                version = self.relist()
                self.write_and_reload(force_reload=first)
                first = False
                self.follow(version)
            except KubeError as error:
                log.warning("Watching PrometheusRules failed (%s); listing again.", error)
                time.sleep(RETRY_SECONDS)

    def relist(self) -> str:
        """Replace the known objects with a fresh list; returns its resourceVersion."""
        items, version = self.kube.list(
            PROMETHEUS_RULE_GROUP,
            PROMETHEUS_RULE_VERSION,
            PROMETHEUS_RULE_PLURAL,
            self.namespace,
            self.selector,
        )
        self.objects = {_key(obj): obj for obj in items}
        return version

    def follow(self, version: str) -> None:
        """Apply watch events until the watch ends (its timeout is the resync period)."""
        deadline = time.monotonic() + self.resync
        while (left := int(deadline - time.monotonic())) > 0:
            timeout = min(left, RETRY_SECONDS) if self.reload_owed else left
            for type_, obj in self.kube.watch(
                PROMETHEUS_RULE_GROUP,
                PROMETHEUS_RULE_VERSION,
                PROMETHEUS_RULE_PLURAL,
                self.namespace,
                resource_version=version,
                timeout_seconds=timeout,
                selector=self.selector,
            ):
                version = obj["metadata"].get("resourceVersion", version)
                if type_ == "DELETED":
                    self.objects.pop(_key(obj), None)
                else:
                    self.objects[_key(obj)] = obj
                self.write_and_reload()
            if self.reload_owed:
                self.write_and_reload(force_reload=True)

    def write_and_reload(self, force_reload: bool = False) -> None:
        """Bring the directory to the known objects; reload Prometheus if anything changed."""
        existing = {
            path.name: path.read_text()
            for path in self.rules_dir.iterdir()
            if parse_rule_file_name(path.name) is not None
        }
        plan = plan_sync(desired_files(list(self.objects.values())), existing)
        for name, text in plan.write.items():
            _write_atomically(self.rules_dir / name, text)
            log.info("Wrote %s.", name)
        for name in plan.delete:
            (self.rules_dir / name).unlink(missing_ok=True)
            log.info("Removed %s.", name)
        if plan.empty and not force_reload and not self.reload_owed:
            return
        try:
            self.reloader.reload()
            self.reload_owed = False
            log.info("Prometheus reloaded %d rule file(s).", len(self.objects))
        except ReloadError as error:
            self.reload_owed = True
            log.error("Could not reload Prometheus: %s", error)


def _key(obj: dict[str, Any]) -> Key:
    return obj["metadata"]["namespace"], obj["metadata"]["name"]


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename over it; the dot name keeps it out of *.yaml globs."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
