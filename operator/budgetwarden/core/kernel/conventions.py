"""Every name budgetwarden puts on the wire, in one place.

API group and kinds, annotation keys, Prometheus metric and label names, alert names, condition
types and reasons. Rule generation, the poller, the webhook and the docs all read from here, so a
rename is one edit and a grep finds every use.
"""

from __future__ import annotations

from typing import Final

# --- API -------------------------------------------------------------------------------------
GROUP: Final = "budgetwarden.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
CATEGORY: Final = "budgetwarden"

KIND_SLO: Final = "SLO"
KIND_POLICY: Final = "ErrorBudgetPolicy"
KIND_EXCEPTION: Final = "FreezeException"
PLURAL_SLO: Final = "slos"
PLURAL_POLICY: Final = "errorbudgetpolicies"
PLURAL_EXCEPTION: Final = "freezeexceptions"

PROMETHEUS_RULE_API_VERSION: Final = "monitoring.coreos.com/v1"
PROMETHEUS_RULE_KIND: Final = "PrometheusRule"
# The VictoriaMetrics operator's twin of PrometheusRule (`generate --format vmrule`)
VMRULE_API_VERSION: Final = "operator.victoriametrics.com/v1beta1"
VMRULE_KIND: Final = "VMRule"
FIELD_MANAGER: Final = "budgetwarden"

# --- Annotations and labels on objects we touch ---------------------------------------------
ANNOTATION_FREEZE_LEVEL: Final = f"{GROUP}/freeze-level"
ANNOTATION_FREEZE_REASON: Final = f"{GROUP}/freeze-reason"
ANNOTATION_FREEZE_ID: Final = f"{GROUP}/freeze-id"
ANNOTATION_PAUSED_BY: Final = f"{GROUP}/paused-by"
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
# On each generated PrometheusRule: which SLO to edit instead of the object.
ANNOTATION_GENERATED_FROM: Final = f"{GROUP}/generated-from"
LABEL_SLO_NAME: Final = f"{GROUP}/slo"
MANAGED_BY_VALUE: Final = "budgetwarden"


def prometheus_rule_name(slo_name: str) -> str:
    """The PrometheusRule generated for an SLO lives beside it under this name."""
    return f"{slo_name}-slo"


# --- Prometheus series -----------------------------------------------------------------------
# Labels on every series and alert generated for an SLO.
PROM_LABEL_SLO: Final = "slo_name"
PROM_LABEL_NAMESPACE: Final = "slo_namespace"
PROM_LABEL_SERVICE: Final = "slo_service"
PROM_LABEL_WINDOW: Final = "slo_window"
PROM_LABEL_TIER: Final = "slo_tier"
PROM_LABEL_BUDGET_LEVEL: Final = "slo_budget_level"
# Exactly the labels of an SLO's recorded budget series (burn rates add slo_window). The poller
# reads only series labelled so: a scraped look-alike carries its target's job and instance.
BUDGET_SERIES_LABELS: Final = (PROM_LABEL_SLO, PROM_LABEL_NAMESPACE, PROM_LABEL_SERVICE)

# Recording rules. One metric name per quantity, with the window as a label, so the poller can
# read every SLO and every window with a single query per quantity. Error ratios are not
# recorded: a window's error ratio is its burn rate times the error budget.
METRIC_ERRORS_RATE: Final = "budgetwarden_slo:errors:rate5m"
METRIC_TOTAL_RATE: Final = "budgetwarden_slo:total:rate5m"
METRIC_BURN_RATE: Final = "budgetwarden_slo:burn_rate"
METRIC_PERIOD_ERROR_RATIO: Final = "budgetwarden_slo:period_error_ratio"
METRIC_BUDGET_REMAINING: Final = "budgetwarden_slo:error_budget_remaining:ratio"
METRIC_OBJECTIVE: Final = "budgetwarden_slo:objective:ratio"
METRIC_ERROR_BUDGET: Final = "budgetwarden_slo:error_budget:ratio"
METRIC_WINDOW_SECONDS: Final = "budgetwarden_slo:window:seconds"

# Rule groups, per SLO.
GROUP_SUFFIX_SLI: Final = "sli"
GROUP_SUFFIX_BUDGET: Final = "budget"
GROUP_SUFFIX_ALERTS: Final = "alerts"

# Alerts.
ALERT_PAGE: Final = "SLOErrorBudgetFastBurn"
ALERT_TICKET: Final = "SLOErrorBudgetSlowBurn"
ALERT_BUDGET_LOW: Final = "SLOErrorBudgetLow"
ALERT_ABSENT: Final = "SLOMetricsAbsent"
# Outage pages beside the burn rates (core/slo/rules_outage.py): the service stopped serving,
# and (opt-in) the raw error ratio is above a threshold.
ALERT_SERVICE_DOWN: Final = "SLOServiceDown"
ALERT_HIGH_ERROR_RATE: Final = "SLOHighErrorRate"
TIER_PAGE: Final = "page"
TIER_TICKET: Final = "ticket"

DEFAULT_RUNBOOK_BASE: Final = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks"
DEFAULT_PAGE_SEVERITY: Final = "critical"
DEFAULT_TICKET_SEVERITY: Final = "warning"


def runbook_url(page: str) -> str:
    """Link to a shipped runbook page (runbooks/<page>.md)."""
    return f"{DEFAULT_RUNBOOK_BASE}/{page}.md"


# --- Conditions ------------------------------------------------------------------------------
CONDITION_READY: Final = "Ready"
CONDITION_RULES_APPLIED: Final = "RulesApplied"
CONDITION_METRICS_AVAILABLE: Final = "MetricsAvailable"
CONDITION_BUDGET_EXHAUSTED: Final = "BudgetExhausted"
CONDITION_VALID: Final = "Valid"
CONDITION_ACTIVE: Final = "Active"

# Condition reasons: one CamelCase word each, and each has runbooks/reasons/<Reason>.md
# (tests/unit/test_runbooks.py checks every REASON_* constant).
REASON_RULES_APPLIED: Final = "RulesApplied"
REASON_INVALID_SPEC: Final = "InvalidSpec"
REASON_APPLY_FAILED: Final = "ApplyFailed"
REASON_SPEC_VALID: Final = "SpecValid"

# --- Events ----------------------------------------------------------------------------------
# Event reasons for changes the operator made; failures reuse the condition reason.
EVENT_RULES_CREATED: Final = "RulesCreated"
EVENT_RULES_UPDATED: Final = "RulesUpdated"
EVENT_RULES_DELETED: Final = "RulesDeleted"
EVENT_SPEC_WARNING: Final = "SpecWarning"
EVENT_COMPONENT: Final = "budgetwarden"

# Where kopf keeps its own bookkeeping on our objects (annotations, never status).
KOPF_ANNOTATION_PREFIX: Final = GROUP
KOPF_DIFFBASE_KEY: Final = "last-handled-configuration"

# --- Budget poll (runtime/poller.py, core/budget/slo_status.py, core/policy/status.py) ----------
# Condition reasons the poller sets on SLOs (MetricsAvailable, BudgetExhausted) and policies
# (MetricsAvailable); each has runbooks/reasons/<Reason>.md like the reasons above.
REASON_SERIES_FOUND: Final = "SeriesFound"
REASON_NO_SERIES: Final = "NoSeries"
REASON_PROMETHEUS_UNAVAILABLE: Final = "PrometheusUnavailable"
REASON_DUPLICATE_SERIES: Final = "DuplicateSeries"
REASON_BUDGET_LEFT: Final = "BudgetLeft"
REASON_BUDGET_SPENT: Final = "BudgetSpent"
REASON_NO_SLOS_SELECTED: Final = "NoSLOsSelected"
# Which rule of a policy set its level: the reason of the Event a level change posts on the
# policy (core/policy/assess.py `Rule`); NoSLOsSelected above is one of them too.
REASON_BUDGET_THRESHOLD: Final = "BudgetThreshold"
REASON_BURN_RATE_TRIGGER: Final = "BurnRateTrigger"
REASON_HYSTERESIS_HOLD: Final = "HysteresisHold"
REASON_PARTIAL_DATA_HOLD: Final = "PartialDataHold"
REASON_METRICS_UNAVAILABLE: Final = "MetricsUnavailable"
REASON_NO_DATA: Final = "NoData"

# The operator's own /metrics (adapters/metrics.py).
OPERATOR_METRIC_BUDGET_REMAINING: Final = "budgetwarden_error_budget_remaining_percent"
OPERATOR_METRIC_POLICY_LEVEL: Final = "budgetwarden_policy_level"
OPERATOR_METRIC_HELD_TARGETS: Final = "budgetwarden_held_targets"
OPERATOR_METRIC_POLL_DURATION: Final = "budgetwarden_poll_duration_seconds"
OPERATOR_METRIC_POLL_ERRORS: Final = "budgetwarden_poll_errors_total"
OPERATOR_METRIC_POLL_QUERIES: Final = "budgetwarden_poll_queries_total"
OPERATOR_METRIC_NOTIFICATIONS: Final = "budgetwarden_notifications_total"


# --- Runbooks of generated alerts ------------------------------------------------------------
def alert_runbook_url(alert: str) -> str:
    """Default runbook_url of a generated alert: runbooks/alerts/<AlertName>.md."""
    return runbook_url(f"alerts/{alert}")


# --- Enforcement on workloads (core/freeze/enforcement.py, runtime/enforcer.py, handlers/drift.
# Beside the freeze-* annotations above, a held workload carries the policy that wrote them and
# the digest of its stable pod template when the freeze began (admission lets rollbacks to it
# through). paused-by reads "budgetwarden/<policy>/<freezeId>": the policy that paused it, and
# in which freeze.
ANNOTATION_POLICY: Final = f"{GROUP}/policy"
ANNOTATION_STABLE_TEMPLATE: Final = f"{GROUP}/stable-template"
PAUSED_BY_PREFIX: Final = "budgetwarden"
# Event reasons on workloads; runbooks/freeze.md explains each.
EVENT_PAUSED: Final = "Paused"
EVENT_RESUMED: Final = "Resumed"
EVENT_ABORTED: Final = "Aborted"
EVENT_PAUSE_REASSERTED: Final = "PauseReasserted"
EVENT_TEMPLATE_CHANGED_DURING_FREEZE: Final = "TemplateChangedDuringFreeze"
# Lifting a pause from a canary at a timed pause step (spec.pauseStepAtThaw, core/freeze/thaw.py).
EVENT_PAUSE_STEP_RESTARTED: Final = "PauseStepRestarted"
EVENT_HELD_AT_THAW: Final = "HeldAtThaw"
EVENT_PAUSE_STEP_ELAPSED: Final = "PauseStepElapsed"
RUNBOOK_FREEZE: Final = "freeze"

# --- Admission webhooks (core/freeze/webhook_config.py, adapters/webhook_server.py) ---
# Namespaces opt in to enforcement with this label; admins set it, never the workloads' owners.
LABEL_ENFORCE: Final = f"{GROUP}/enforce"
ENFORCE_ENABLED: Final = "enabled"
WEBHOOK_CONFIGURATION_NAME: Final = "budgetwarden"
# The Argo Rollouts controller's user in upstream's install: it writes rollouts/status freely.
ROLLOUTS_CONTROLLER_USERNAME: Final = "system:serviceaccount:argo-rollouts:argo-rollouts"
# Webhook entry names; the API server quotes them in every denial.
WEBHOOK_WORKLOADS: Final = f"workloads.{GROUP}"
WEBHOOK_EXCEPTIONS: Final = f"freezeexceptions.{GROUP}"
WEBHOOK_EXCEPTION_APPROVER: Final = f"approver.freezeexceptions.{GROUP}"
WEBHOOK_POLICIES: Final = f"errorbudgetpolicies.{GROUP}"  # policies in force (policy_guard)
PATH_VALIDATE_WORKLOADS: Final = "/validate/workloads"
PATH_MUTATE_EXCEPTIONS: Final = "/mutate/freezeexceptions"
PATH_VALIDATE_EXCEPTIONS: Final = "/validate/freezeexceptions"
PATH_VALIDATE_POLICIES: Final = "/validate/errorbudgetpolicies"
PATH_HEALTHZ: Final = "/healthz"
PATH_READYZ: Final = "/readyz"  # on the /metrics port: 200 once the first listing is in and seen
# RBAC verb on freezeexceptions that skips the workload webhook in a namespace (break glass).
VERB_BREAKGLASS: Final = "breakglass"
# Event on a workload and on the FreezeException each time an exception lets a change through.
EVENT_EXCEPTION_USED: Final = "FreezeExceptionUsed"


# --- ValidatingAdmissionPolicy mode (core/freeze/vap.py, runtime/vap_sync.py) ---
# Cluster-scoped policies, each bound once under the same name; the denial names them:
# `ValidatingAdmissionPolicy 'budgetwarden-freeze' with binding 'budgetwarden-freeze' denied ...`.
VAP_FREEZE: Final = "budgetwarden-freeze"  # binding action Deny: Enforce policies
VAP_FREEZE_WARNINGS: Final = "budgetwarden-freeze-warnings"  # Warn: notices and Warn policies
VAP_FREEZE_AUDIT: Final = "budgetwarden-freeze-audit"  # Audit: DryRun policies
VAP_PARAMS_GUARD: Final = "budgetwarden-admission-params"  # only the operator writes params
VAP_POLICY_GUARD: Final = "budgetwarden-policies-in-force"  # no weakening a frozen policy
# One params ConfigMap per namespace with ErrorBudgetPolicies, found by this label.
PARAMS_CONFIGMAP: Final = "budgetwarden-admission"
LABEL_ADMISSION_PARAMS: Final = f"{GROUP}/admission-params"
# FreezeException admission in that mode: the approver recorded, lifetimes capped.
VAP_EXCEPTIONS: Final = "budgetwarden-freezeexceptions"
MAP_EXCEPTION_APPROVER: Final = "budgetwarden-exception-approver"  # MutatingAdmissionPolicy
