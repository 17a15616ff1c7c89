"""Local development environment: a real kube-apiserver + etcd and a real Prometheus.

Tooling for `budgetwarden dev` and the test fixtures, not part of the operator's layers
(core/adapters/handlers never import it). Modules: binaries (where executables come from),
certs, processes, controlplane, kubeconfig, crds, prometheus, cluster (the fixture's handle),
stack (`budgetwarden dev up|down|env`).
"""

from budgetwarden.devenv.controlplane import ControlPlane
from budgetwarden.devenv.errors import DevEnvError, MissingBinaryError
from budgetwarden.devenv.prometheus import PrometheusProcess

__all__ = ["ControlPlane", "DevEnvError", "MissingBinaryError", "PrometheusProcess"]
