"""The local development environment: a real kube-apiserver + etcd and a real Prometheus,
started as child processes for `budgetwarden dev`, the demo stack, the tests and the benchmarks;
never imported by the operator. Modules: binaries (where executables come from), certs,
processes, controlplane, kubeconfig, crds, prometheus, cluster (the test fixture's handle),
workloads (kube-controller-manager, kube-scheduler, kwok and Argo Rollouts' controller, for a
cluster where workloads really roll out) and stack (`budgetwarden dev up|down|env`).
"""

from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.errors import DevEnvError, MissingBinaryError
from budgetwarden_dev.devenv.prometheus import PrometheusProcess

__all__ = ["ControlPlane", "DevEnvError", "MissingBinaryError", "PrometheusProcess"]
