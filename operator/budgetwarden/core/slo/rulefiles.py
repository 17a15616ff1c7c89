"""PrometheusRule objects: whether one in the cluster is up to date, as plain rule files, and
as VictoriaMetrics VMRule objects.

The SLO handler asks `rule_up_to_date` before it applies, so an unchanged SLO causes no write
and no Event (after an operator restart, say). `budgetwarden rules-sync` mirrors PrometheusRule
objects into a rules directory for Prometheus installations without prometheus-operator. It
owns only files whose name starts with `FILE_PREFIX`, so a rules directory can be shared with
hand-written files. `budgetwarden generate --format vmrule` (and `generate pack`) turn each
PrometheusRule into a VMRule with `vm_rule`. Everything here is pure; the commands do the
reading, writing and reloading.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from budgetwarden.core.kernel import conventions as names

FILE_PREFIX = "budgetwarden_"
FILE_SUFFIX = ".rules.yaml"
# Group fields Prometheus reads; prometheus-operator drops the rest (partial_response_strategy
# is for Thanos Ruler) before writing its own rule files, and so do we.
GROUP_FIELDS = ("name", "interval", "query_offset", "limit", "labels", "rules")
RULE_FIELDS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")
# Group fields a VMRule shares with a PrometheusRule: the VictoriaMetrics operator rejects unknown
# fields, and has no query_offset (api/operator/v1beta1/vmrule_types.go). Its rules take every
# field of RULE_FIELDS.
VMRULE_GROUP_FIELDS = ("name", "interval", "limit", "labels", "rules")


def rule_up_to_date(existing: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """True when `existing` already has the desired spec, owners, labels and annotations."""
    if existing is None:
        return False
    have, want = existing.get("metadata") or {}, desired.get("metadata") or {}
    for key in ("labels", "annotations"):
        present, wanted = have.get(key) or {}, want.get(key) or {}
        if any(present.get(k) != v for k, v in wanted.items()):
            return False
        # A key we applied before and no longer want (an operator-wide rule label dropped, say)
        # must be applied away; keys others set (Argo CD's, kubectl's) are theirs to keep.
        if _applied_keys(have, key) - set(wanted):
            return False
    owners_match = (have.get("ownerReferences") or []) == (want.get("ownerReferences") or [])
    return owners_match and existing.get("spec") == desired.get("spec")


def _applied_keys(metadata: Mapping[str, Any], key: str) -> set[str]:
    """The metadata.<key> entries budgetwarden's server-side apply owns (managedFields)."""
    owned: set[str] = set()
    for entry in metadata.get("managedFields") or []:
        if entry.get("manager") != names.FIELD_MANAGER or entry.get("operation") != "Apply":
            continue
        fields = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get(f"f:{key}") or {}
        owned |= {field.removeprefix("f:") for field in fields if field.startswith("f:")}
    return owned


def rule_file_name(namespace: str, name: str) -> str:
    """`budgetwarden_<namespace>_<name>.rules.yaml`; `_` appears in neither Kubernetes name."""
    return f"{FILE_PREFIX}{namespace}_{name}{FILE_SUFFIX}"


def parse_rule_file_name(file_name: str) -> tuple[str, str] | None:
    """(namespace, name) for a file this module named, None for any other file."""
    if not (file_name.startswith(FILE_PREFIX) and file_name.endswith(FILE_SUFFIX)):
        return None
    stem = file_name[len(FILE_PREFIX) : -len(FILE_SUFFIX)]
    namespace, sep, name = stem.partition("_")
    return (namespace, name) if sep and namespace and name else None


def rule_file_content(prometheus_rule: Mapping[str, Any]) -> str:
    """The Prometheus rule file for one PrometheusRule object, with a do-not-edit header."""
    metadata = prometheus_rule.get("metadata") or {}
    ref = f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"
    groups = [_group(g) for g in (prometheus_rule.get("spec") or {}).get("groups") or []]
    header = (
        f"# Generated from PrometheusRule {ref} by budgetwarden rules-sync.\n"
        "# Do not edit: the file is rewritten whenever the object changes.\n"
    )
    body = yaml.safe_dump({"groups": groups}, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def desired_files(prometheus_rules: list[Mapping[str, Any]]) -> dict[str, str]:
    """File name -> contents for every PrometheusRule object."""
    files = {}
    for obj in prometheus_rules:
        metadata = obj.get("metadata") or {}
        files[rule_file_name(metadata["namespace"], metadata["name"])] = rule_file_content(obj)
    return files


@dataclass(frozen=True)
class SyncPlan:
    """Files to (re)write and files to remove so a directory matches the desired set."""

    write: dict[str, str]
    delete: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """True when the directory already matches."""
        return not self.write and not self.delete


def plan_sync(desired: Mapping[str, str], existing: Mapping[str, str]) -> SyncPlan:
    """Compare desired contents with the files on disk; files we do not own are left alone."""
    write = {name: text for name, text in desired.items() if existing.get(name) != text}
    delete = tuple(
        sorted(
            name
            for name in existing
            if name not in desired and parse_rule_file_name(name) is not None
        )
    )
    return SyncPlan(write=write, delete=delete)


def vm_rule(prometheus_rule: Mapping[str, Any]) -> dict[str, Any]:
    """The VMRule holding a PrometheusRule's groups and rules, with the same metadata (name,
    namespace, labels, annotations, owners): for vmalert under the VictoriaMetrics operator."""
    spec = prometheus_rule.get("spec") or {}
    return {
        "apiVersion": names.VMRULE_API_VERSION,
        "kind": names.VMRULE_KIND,
        "metadata": copy.deepcopy(dict(prometheus_rule.get("metadata") or {})),
        "spec": {"groups": [_group(g, VMRULE_GROUP_FIELDS) for g in spec.get("groups") or []]},
    }


def _group(group: Mapping[str, Any], fields: tuple[str, ...] = GROUP_FIELDS) -> dict[str, Any]:
    kept = {key: group[key] for key in fields if key in group and key != "rules"}
    kept["rules"] = [_rule(rule) for rule in group.get("rules") or []]
    return kept


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    kept = {key: rule[key] for key in RULE_FIELDS if key in rule}
    # expr is int-or-string in the CRD; Prometheus wants a string.
    kept["expr"] = str(kept.get("expr", ""))
    return kept
