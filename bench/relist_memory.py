"""The operator's memory during a full re-list of its SLOs, in one response and in pages.

Creates the SLOs on a real control plane (by default 10,000; $BUDGETWARDEN_BENCH_SLOS), each
as the operator leaves it: kopf's annotation, the status the handler and the poller write
(four conditions, errorBudget) and the managedFields of both writers. Then, for each page size
(0 is the whole listing in one response, as before paging; $BUDGETWARDEN_RELIST_PAGES, by
default 0 and 500), a fresh process builds the Kube adapter and an empty Registry and runs
`Relister.relist()` twice: the start-up listing, which fills the registry, and the periodic
one, against a full registry. Each reports its peak RSS (VmHWM, reset between the two through
/proc/self/clear_refs) and its RSS after, beside the RSS it started from.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import specs
from bench._stack import control_plane, custom_api, load_average
from bench.report import print_table

SIZES = specs.sizes((10_000,))
PAGES = tuple(int(p) for p in os.environ.get("BUDGETWARDEN_RELIST_PAGES", "0,500").split(","))
NAMESPACE = "bench"
MB = 1024


def created(api: Any, count: int) -> int:
    """Create `count` SLOs with the operator's status; the JSON size of one as listed."""
    from bench.operator_memory import body
    from budgetwarden.core.kernel import conventions as c

    def one(index_case: tuple[int, specs.SLOCase]) -> None:
        resource = body(index_case[1], index_case[0])
        status = resource.pop("status")
        meta = resource["metadata"]
        for field in ("uid", "resourceVersion", "creationTimestamp", "managedFields"):
            meta.pop(field)
        meta["namespace"] = NAMESPACE
        args = (c.GROUP, c.VERSION, NAMESPACE, c.PLURAL_SLO)
        api.create_namespaced_custom_object(*args, resource, field_manager="kubectl-create")
        api.patch_namespaced_custom_object_status(
            *args, meta["name"], {"status": status}, field_manager=c.FIELD_MANAGER,
            _content_type="application/merge-patch+json",
        )  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, enumerate(specs.cases(count))))
    listed = api.list_namespaced_custom_object(c.GROUP, c.VERSION, NAMESPACE, c.PLURAL_SLO, limit=1)
    return len(json.dumps(listed["items"][0], separators=(",", ":")))


def status_kb(field: str) -> int:
    """A field of this process's /proc status, in kB (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def probe(kubeconfig: str, page: int) -> None:
    """In this fresh process: two re-lists with `page` objects a page; JSON on stdout."""
    from budgetwarden.adapters.kube import Kube
    from budgetwarden.core.kernel import conventions as c
    from budgetwarden.runtime.registry import Registry
    from budgetwarden.runtime.relist import Relister
    from budgetwarden.runtime.settings import WatchScope

    class Paged(Kube):
        def list_pages(self, *args: Any, **_: Any) -> Any:
            return super().list_pages(*args, limit=page)

    kube = Paged(Kube.from_environment(kubeconfig).api_client)
    relister = Relister(Registry(), kube, WatchScope((NAMESPACE,)), timedelta(minutes=5),
                        (c.PLURAL_SLO,))  # fmt: skip
    result: dict[str, Any] = {"start": status_kb("VmRSS")}
    for which in ("start-up", "periodic"):
        Path("/proc/self/clear_refs").write_text("5")  # the peak from here on
        began, rss = time.monotonic(), status_kb("VmRSS")
        counts = asyncio.run(relister.relist())
        result[which] = {"before": rss, "peak": status_kb("VmHWM"), "after": status_kb("VmRSS"),
                         "seconds": time.monotonic() - began, "counts": counts}  # fmt: skip
    print(json.dumps(result))


def measured(kubeconfig: Path, page: int) -> list[list[str]]:
    """The rows of one page size, from a fresh process."""
    argv = [sys.executable, "-m", "bench.relist_memory", "--probe", str(kubeconfig), str(page)]
    found = json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)
    what, machine = f"pages of {page}" if page else "one response", load_average()
    return [[what, which, *figures(found[which]), machine] for which in ("start-up", "periodic")]


def figures(relist: dict[str, Any]) -> list[str]:
    """RSS before, peak, the peak's rise, RSS after, and the time one re-list took."""
    before, peak, after = (relist[key] / MB for key in ("before", "peak", "after"))
    return [f"{before:.0f} MB", f"{peak:.0f} MB", f"+{peak - before:.0f} MB", f"{after:.0f} MB",
            f"{relist['seconds']:.1f} s"]  # fmt: skip


def main() -> int:
    """Create the SLOs once, then measure each page size."""
    count = max(SIZES)
    with control_plane() as plane:
        plane.kubectl("create", "namespace", NAMESPACE)
        began = time.monotonic()
        size = created(custom_api(plane), count)
        print(f"{count:,} SLOs created in {time.monotonic() - began:.0f} s, {size:,} bytes of "
              f"JSON each as listed", flush=True)  # fmt: skip
        rows = [row for page in PAGES for row in measured(plane.kubeconfig, page)]
    print_table(
        f"a re-list of {count:,} SLOs in a fresh process (RSS and peak RSS from /proc)",
        ["listing", "re-list", "RSS before", "peak RSS", "peak - before", "RSS after", "took",
         "machine"],
        rows,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        probe(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
