"""The drill's admission step: a real `kubectl apply` of a new image during the freeze.

Run by demo/drill.py once the policy is at FullFreeze, when the cluster has budgetwarden's
validating webhook (or its ValidatingAdmissionPolicy) and the namespace opted in to enforcement.
The change is the one a person or a GitOps tool would make: the workload as it is, with its first
container's image bumped, applied with kubectl. It must be denied with budgetwarden's message;
then an approver's FreezeException (the drill runs as the kubeconfig's user, who becomes the
recorded approver) must let the very same change through.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden_dev.demo.observe import RESOURCES, Snapshot, Watcher, Workload
from budgetwarden_dev.demo.timeline import Step, StepFailed, Steps, Timeline

DENIED_MARK = "[budgetwarden]"
EXCEPTION_LIFETIME = timedelta(hours=1)
STEP_SECONDS = 30.0
STEPS = ("change denied", "FreezeException created", "change admitted")
# the API server's admission policy kinds; absent on old clusters, hence looked up by name
_WEBHOOKS = "validatingwebhookconfigurations.admissionregistration.k8s.io"
_POLICIES = "validatingadmissionpolicies.admissionregistration.k8s.io"
_VAP_FREEZE = "budgetwarden-freeze"


def run(
    watcher: Watcher, policy: ErrorBudgetPolicy, now: Snapshot, timeline: Timeline,
    avoid: str | None = None,
) -> str | None:  # fmt: skip
    """Deny, except, admit; returns the FreezeException's name (None when skipped). The change
    goes to a workload other than `avoid` ("Kind/name") when budgetwarden paused another."""
    skip = why_skip(watcher)
    if skip:
        timeline.line(f"admission: {skip}; skipping the kubectl apply step")
        return None
    target = _target(now, avoid)
    live = watcher.get(RESOURCES[target.kind], target.name)
    old_image, manifest = new_version(live)
    new_image = manifest["spec"]["template"]["spec"]["containers"][0]["image"]
    change = f"kubectl apply -f - ({target.kind} {target.name}: image {old_image} → {new_image})"
    steps = Steps(timeline, [Step(name, None, STEP_SECONDS) for name in STEPS])
    denial = _apply(watcher, manifest)
    if denial is None:
        raise StepFailed(f"{change} was admitted at {now.level}; the freeze did not hold it")
    timeline.line(change, ["denied: " + line for line in denial])
    steps.mark("change denied", True)
    name = _except(watcher, target, now, steps, timeline)
    while (denial := _apply(watcher, manifest)) is not None:
        steps.check_deadlines("the change is still denied: " + " ".join(denial))
        time.sleep(1)
    timeline.line(f"{change}: admitted under FreezeException {name}")
    steps.mark("change admitted", True)
    return name


def why_skip(watcher: Watcher) -> str:
    """Why the admission step cannot run here, or "" when it can."""
    kubectl = watcher.kubectl
    installed = any(
        kubectl("get", kind, name, "--ignore-not-found", "-o", "name", check=False).stdout.strip()
        for kind, name in ((_WEBHOOKS, c.WEBHOOK_CONFIGURATION_NAME), (_POLICIES, _VAP_FREEZE))
    )
    if not installed:
        return "no budgetwarden admission webhook or admission policy is installed"
    namespace = json.loads(kubectl("get", "namespace", watcher.namespace, "-o", "json").stdout)
    labels = namespace["metadata"].get("labels") or {}
    if labels.get(c.LABEL_ENFORCE) != c.ENFORCE_ENABLED:
        opt_in = f"{c.LABEL_ENFORCE}={c.ENFORCE_ENABLED}"
        return f"namespace {watcher.namespace} is not opted in ({opt_in})"
    return ""


def _target(now: Snapshot, avoid: str | None) -> Workload:
    """The workload to ship to: a Rollout budgetwarden paused, else any it paused; `avoid`
    only when budgetwarden paused nothing else."""
    held = [w for w in now.workloads.values() if w.paused_by_us]
    held = [w for w in held if w.key != avoid] or held
    return next((w for w in held if w.kind == "Rollout"), held[0])


def new_version(live: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The old image, and the workload as a user would apply it with the next image."""
    spec = {k: v for k, v in live["spec"].items() if k != "paused"}  # the pause is not the user's
    containers = [dict(x) for x in spec["template"]["spec"]["containers"]]
    old = str(containers[0]["image"])
    containers[0]["image"] = next_image(old)
    spec["template"] = {**spec["template"], "spec": {**spec["template"]["spec"],
                                                     "containers": containers}}  # fmt: skip
    metadata = {k: live["metadata"][k] for k in ("name", "namespace", "labels")
                if k in live["metadata"]}  # fmt: skip
    return old, {"apiVersion": live["apiVersion"], "kind": live["kind"],
                 "metadata": metadata, "spec": spec}  # fmt: skip


def next_image(image: str) -> str:
    """registry/app:1.4.0 -> registry/app:1.4.1; a tag that is not a version gets "-next"."""
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:
        return f"{image}:next"
    numbers = re.fullmatch(r"(.*?)(\d+)", tag)
    if numbers is None:
        return f"{name}:{tag}-next"
    return f"{name}:{numbers.group(1)}{int(numbers.group(2)) + 1}"


def _apply(watcher: Watcher, manifest: dict[str, Any]) -> list[str] | None:
    """kubectl apply; None when admitted, budgetwarden's denial lines when denied."""
    result = watcher.kubectl("apply", "-f", "-", input=json.dumps(manifest), check=False)
    if result.returncode == 0:
        return None
    denied = [line.strip() for line in result.stderr.splitlines() if DENIED_MARK in line]
    if not denied:
        raise StepFailed(f"kubectl apply failed for another reason: {result.stderr.strip()}")
    return denied


def _except(
    watcher: Watcher, target: Workload, now: Snapshot, steps: Steps, timeline: Timeline
) -> str:
    """Create a FreezeException for the target at the current level; returns its name."""
    moment = datetime.now(UTC)
    name = f"drill-{target.name}-{moment:%H%M%S}"
    expires = (moment + EXCEPTION_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    exception = {
        "apiVersion": c.API_VERSION, "kind": c.KIND_EXCEPTION,
        "metadata": {"name": name, "namespace": watcher.namespace},
        "spec": {"targets": [{"kind": target.kind, "name": target.name}],
                 "maxLevel": now.level, "reason": "Drill: ship the fix through the freeze.",
                 "ticket": f"DRILL-{moment:%Y%m%d-%H%M%S}", "expiresAt": expires},
    }  # fmt: skip
    watcher.kubectl("apply", "-f", "-", input=json.dumps(exception))
    created = watcher.get(c.PLURAL_EXCEPTION, name)
    approver = created["spec"].get("approvedBy") or "(not recorded)"
    timeline.line(
        f"FreezeException {name} created: {target.kind} {target.name}, maxLevel {now.level}, "
        f"expires {expires}, approvedBy {approver}"
    )
    steps.mark("FreezeException created", True)
    return name
