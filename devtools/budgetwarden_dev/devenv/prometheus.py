"""A real Prometheus (Debian's package) on a loopback port, for tests, the dev stack and the demo.

`PrometheusProcess(rules_dir, scrape_configs)` writes a config whose `rule_files` point at every
*.yaml / *.yml in `rules_dir`, starts Prometheus with its own TSDB and the lifecycle API on,
and waits for /-/ready. `reload()` rewrites the config (scrape configs and intervals may have
changed) and asks Prometheus to re-read it and the rule files; a rejected rule file raises.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.errors import DevEnvError
from budgetwarden_dev.devenv.processes import Spawned


class PrometheusProcess:
    """One Prometheus server; the URL is known before start so scrape configs can name it."""

    def __init__(
        self,
        rules_dir: Path,
        scrape_configs: Sequence[Mapping[str, Any]] = (),
        *,
        evaluation_interval: str = "1s",
        scrape_interval: str = "1s",
        workdir: Path | None = None,
        extra_args: Sequence[str] = (),
        detached: bool = False,
        alerting: Mapping[str, Any] | None = None,
        binary: Path | None = None,
        external_labels: Mapping[str, str] | None = None,
    ) -> None:
        """Configure (nothing starts yet); `workdir` holds config, TSDB and log, removed on stop.

        `binary` runs another Prometheus than Debian's (Prometheus 3, built by
        hack/backends/build.sh); `external_labels` tell replicas apart behind Thanos."""
        self.rules_dir = rules_dir
        self.scrape_configs = list(scrape_configs)
        self.evaluation_interval = evaluation_interval
        self.scrape_interval = scrape_interval
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="budgetwarden-prom-"))
        self.extra_args = list(extra_args)
        self.detached = detached
        self.alerting = dict(alerting or {})  # prometheus.yml's `alerting`: where alerts go
        self.binary = binary
        self.external_labels = dict(external_labels or {})
        self.port = processes.free_port()
        self.process: Spawned | None = None
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:40123."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        """The generated prometheus.yml."""
        return self.workdir / "prometheus.yml"

    def config(self) -> dict[str, Any]:
        """The configuration Prometheus gets, as data."""
        return {
            "global": {
                "scrape_interval": self.scrape_interval,
                "evaluation_interval": self.evaluation_interval,
                **({"external_labels": self.external_labels} if self.external_labels else {}),
            },
            "rule_files": [str(self.rules_dir / "*.yaml"), str(self.rules_dir / "*.yml")],
            "scrape_configs": self.scrape_configs,
            **({"alerting": self.alerting} if self.alerting else {}),
        }

    def _write_config(self) -> None:
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))

    def start(self) -> PrometheusProcess:
        """Start Prometheus and wait until /-/ready answers."""
        try:
            argv = self._argv()
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.rules_dir.mkdir(parents=True, exist_ok=True)
            self._write_config()
            self.process, self._child = processes.spawn(
                "prometheus", argv, self.workdir / "prometheus.log", detached=self.detached
            )
            processes.wait_http(f"{self.url}/-/ready", self.process, timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def _argv(self) -> list[str]:
        return [
            str(self.binary or find_binary("prometheus")),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",  # POST /-/reload, used by reload()
            *self.extra_args,
        ]

    def reload(self) -> None:
        """Rewrite the config and make Prometheus re-read it and the rule files."""
        self._write_config()
        request = urllib.request.Request(f"{self.url}/-/reload", method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30):
                pass
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace").strip()
            raise DevEnvError(f"Prometheus rejected the reload: {body}{self._errors()}") from e
        except OSError as e:
            raise DevEnvError(f"Prometheus at {self.url} is unreachable") from e

    def _errors(self) -> str:
        # the HTTP answer only says that something failed; the log says which file and why
        if self.process is None:
            return ""
        tail = processes.log_tail(self.process.log, 20).splitlines()
        return "".join(f"\n{line}" for line in tail if "level=error" in line)

    def stop(self) -> None:
        """Stop Prometheus and remove its work directory. Safe to call twice."""
        if self.process is not None:
            processes.stop(self.process, self._child)
            self.process = self._child = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PrometheusProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
