"""Metrics backends past one Prometheus, as real processes: Thanos and VictoriaMetrics.

`backend_binaries` builds (or reuses) them with hack/backends/build.sh: Prometheus 3, Thanos, and
VictoriaMetrics with vmalert. `ThanosQuery` puts a querier that deduplicates by a replica label
in front of Prometheus replicas, one sidecar each. `VictoriaMetrics` runs the single-node server
scraping the given targets and vmalert evaluating rule files against it, writing recorded series
and alert state back to it.

Both answer Prometheus' HTTP API at `url`, which is all the poller and the tests need.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import built_by
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.processes import Spawned
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

BACKENDS_BUILD = Path("hack") / "backends" / "build.sh"
REPLICA_LABEL = "replica"
READ_DELAY = "15s"  # VictoriaMetrics' search.latencyOffset and vmalert's rule.evalDelay


def backend_binaries(root: Path) -> dict[str, Path]:
    """Build (or reuse from the cache) the backends; returns binary name -> path.

    Runs hack/backends/build.sh, whose progress goes to this process's stderr.
    """
    folders = built_by(root, BACKENDS_BUILD)
    return {
        "prometheus3": Path(folders["prometheus3"]) / "prometheus",
        "promtool3": Path(folders["prometheus3"]) / "promtool",
        "thanos": Path(folders["thanos"]) / "thanos",
        "victoria-metrics": Path(folders["victoriametrics"]) / "victoria-metrics",
        "vmalert": Path(folders["victoriametrics"]) / "vmalert",
    }


class _Processes:
    """Children started in order and stopped newest first; the work directory goes with them."""

    def __init__(self, prefix: str) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=prefix))
        self._spawned: list[Spawned] = []
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: Sequence[str], ready_url: str) -> None:
        spawned, child = processes.spawn(name, argv, self.workdir / f"{name}.log", detached=False)
        self._spawned.append(spawned)
        self._children[spawned.pid] = child
        processes.wait_http(ready_url, spawned, timeout=60)

    def stop(self) -> None:
        try:
            processes.stop_all(self._spawned, self._children)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


class ThanosQuery(_Processes):
    """A Thanos querier over Prometheus replicas told apart by REPLICA_LABEL (one sidecar each);
    it merges their series and drops the replica label (deduplication, on by default)."""

    def __init__(self, thanos: Path, replicas: Sequence[PrometheusProcess]) -> None:
        super().__init__("budgetwarden-thanos-")
        self.thanos = thanos
        self.replicas = list(replicas)
        self.port = processes.free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_all(self) -> ThanosQuery:
        try:
            endpoints = [self._sidecar(i, replica) for i, replica in enumerate(self.replicas)]
            argv = [
                str(self.thanos),
                "query",
                f"--http-address=127.0.0.1:{self.port}",
                f"--grpc-address=127.0.0.1:{processes.free_port()}",
                f"--query.replica-label={REPLICA_LABEL}",
                *(f"--endpoint={endpoint}" for endpoint in endpoints),
            ]
            self.start("thanos-query", argv, f"{self.url}/-/ready")
        except BaseException:
            self.stop()
            raise
        return self

    def _sidecar(self, index: int, replica: PrometheusProcess) -> str:
        grpc, http = processes.free_port(), processes.free_port()
        argv = [
            str(self.thanos),
            "sidecar",
            f"--tsdb.path={replica.workdir / 'data'}",
            f"--prometheus.url={replica.url}",
            f"--grpc-address=127.0.0.1:{grpc}",
            f"--http-address=127.0.0.1:{http}",
        ]
        self.start(f"thanos-sidecar-{index}", argv, f"http://127.0.0.1:{http}/-/ready")
        return f"127.0.0.1:{grpc}"


class VictoriaMetrics(_Processes):
    """VictoriaMetrics single-node scraping `scrape_configs`, and vmalert evaluating the rule
    files in `rules_dir` against it (recorded series and alert state are written back).

    VictoriaMetrics makes a written sample searchable up to about two seconds later, series by
    series, so a rule reading two series could see one a sample short of the other. Its answer is
    to serve queries only up to `-search.latencyOffset` ago and to have vmalert evaluate that far
    back (`-rule.evalDelay`): 30 s each by default, READ_DELAY here so that tests run quickly."""

    def __init__(
        self,
        binaries: Mapping[str, Path],
        rules_dir: Path,
        scrape_configs: Sequence[Mapping[str, Any]],
        *,
        interval: str = "1s",
    ) -> None:
        super().__init__("budgetwarden-vm-")
        self.binaries = dict(binaries)
        self.rules_dir = rules_dir
        self.scrape_configs = list(scrape_configs)
        self.interval = interval
        self.port = processes.free_port()
        self.vmalert_port = processes.free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def vmalert_url(self) -> str:
        return f"http://127.0.0.1:{self.vmalert_port}"

    def start_all(self) -> VictoriaMetrics:
        try:
            self._server()
            self._first_scrape()
            self._vmalert()
        except BaseException:
            self.stop()
            raise
        return self

    def _server(self) -> None:
        scrape = self.workdir / "scrape.yml"
        config = {
            "global": {"scrape_interval": self.interval},
            "scrape_configs": self.scrape_configs,
        }
        scrape.write_text(yaml.safe_dump(config, sort_keys=False))
        argv = [
            str(self.binaries["victoria-metrics"]),
            f"-storageDataPath={self.workdir / 'data'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-promscrape.config={scrape}",
            f"-search.latencyOffset={READ_DELAY}",
            # results of recent windows must not come from a cache filled a moment earlier
            "-search.disableCache",
        ]
        self.start("victoria-metrics", argv, f"{self.url}/health")

    def _first_scrape(self, timeout: float = 60) -> None:
        # VictoriaMetrics remembers which series a selector matched, and a selector that
        # matched nothing can keep matching nothing for a while after its series appear: rules
        # that start before the first scrape would skip their first evaluations' data
        deadline = time.monotonic() + timeout
        while not self._answer("up"):
            if time.monotonic() > deadline:
                raise DevEnvError(f"VictoriaMetrics at {self.url} scraped nothing in {timeout}s")
            time.sleep(0.2)

    def _answer(self, promql: str) -> list[Any]:
        query = urllib.parse.urlencode({"query": promql})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{self.url}/api/v1/query?{query}", timeout=10) as response:
            result: list[Any] = json.load(response)["data"]["result"]
        return result

    def _vmalert(self) -> None:
        argv = [
            str(self.binaries["vmalert"]),
            f"-rule={self.rules_dir}/*.yaml",
            f"-datasource.url={self.url}",
            f"-remoteWrite.url={self.url}",
            f"-remoteRead.url={self.url}",
            f"-httpListenAddr=127.0.0.1:{self.vmalert_port}",
            f"-evaluationInterval={self.interval}",
            f"-rule.evalDelay={READ_DELAY}",
            "-remoteWrite.flushInterval=100ms",
            "-notifier.blackhole",
        ]
        self.start("vmalert", argv, f"{self.vmalert_url}/health")
