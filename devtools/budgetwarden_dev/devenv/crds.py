"""Installing CRDs into a cluster and waiting until they are served.

Used by `budgetwarden dev up` and the `cluster` test fixture. Two kinds of files: budgetwarden's
own CRDs (crds/*.yaml, applied server-side so a newer schema replaces an older one) and the
stand-ins for other projects' CRDs (hack/crds/*.yaml: PrometheusRule, Rollout), created only
when the cluster lacks them, so a real prometheus-operator or Argo Rollouts install is never
overwritten by our trimmed copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from budgetwarden_dev.devenv.kubeconfig import RunsKubectl

FIELD_MANAGER = "budgetwarden-dev"


def own_crd_files(root: Path) -> list[Path]:
    """budgetwarden's CRD files: crds/*.yaml in the repository."""
    return sorted((root / "crds").glob("*.yaml"))


def stand_in_crd_files(root: Path) -> list[Path]:
    """The trimmed third-party CRDs: hack/crds/*.yaml in the repository."""
    return sorted((root / "hack" / "crds").glob("*.yaml"))


def crd_names(files: Iterable[Path]) -> list[str]:
    """The metadata.name of every CustomResourceDefinition in `files`."""
    names = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                names.append(str(doc["metadata"]["name"]))
    return names


def install_crds(kubectl: RunsKubectl, root: Path, timeout: float = 60) -> list[str]:
    """Apply our CRDs, create missing stand-ins, wait until all are Established; returns names."""
    own = own_crd_files(root)
    if own:
        kubectl(
            "apply", "--server-side", "--force-conflicts", f"--field-manager={FIELD_MANAGER}",
            *(f"--filename={path}" for path in own),
        )  # fmt: skip
    for path in stand_in_crd_files(root):
        missing = [name for name in crd_names([path]) if not _exists(kubectl, name)]
        if missing:
            kubectl("create", f"--filename={path}")
    names = crd_names([*own, *stand_in_crd_files(root)])
    if names:
        kubectl(
            "wait", "--for=condition=Established", f"--timeout={timeout:.0f}s",
            *(f"customresourcedefinition/{name}" for name in names),
        )  # fmt: skip
    return names


def _exists(kubectl: RunsKubectl, crd: str) -> bool:
    result = kubectl("get", "customresourcedefinition", crd, "--ignore-not-found", "--output=name")
    return bool(result.stdout.strip())
