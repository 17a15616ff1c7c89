"""The CEL of budgetwarden's ValidatingAdmissionPolicies: core.freeze.admission's rules, in the API
server.

`core.freeze.vap` puts these expressions into the policies it renders. They read the request and the
namespace's params ConfigMap (`core.freeze.vap.params_data` writes it) and reach the decision
`core.freeze.admission.decide` reaches, with the same one-line texts `core.freeze.admission_message`
writes, for everything CEL can see. What it cannot see is in docs/admission-vap.md: rollbacks (a
template digest needs SHA-256), expiry between params refreshes (CEL has no clock).

Each rule is written once, as a small Python function returning CEL text; the variables below
chain them (`variables.codes` holds one `core.freeze.admission.Reason` per policy that selects the
workload, in the webhook's order). Lists in params are newline-separated lines; a target line is
`Kind/name` or `Kind` followed by a space and a selector such as `app=checkout,tier!=canary|beta`
(`k=v1|v2` In, `k!=v1|v2` NotIn, `k` Exists, `!k` DoesNotExist).
"""

from __future__ import annotations

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.admission import Reason
from budgetwarden.core.freeze.rollout_status import PROMOTION
from budgetwarden.core.freeze.vap_cel_base import (
    FREEZES,
    list_literal,
    same_except,
    target_matches,
)
from budgetwarden.core.freeze.vap_cel_base import lit as lit  # vap.py and the tests use it here
from budgetwarden.core.freeze.vap_cel_text import (
    blocked_for,
    budget_warning,
    denial,
    exception_warning,
    unknown_warning,
)
from budgetwarden.core.freeze.vap_cel_text import denial_of as denial_of  # vap.py uses it here
from budgetwarden.core.freeze.workload_diff import (
    MARK_PREFIX,
    POD_TEMPLATE_HASH_LABELS,
    RESTARTED_AT_ANNOTATION,
)
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY

POLICY_FIELDS = (
    "name", "level", "enforcement", "freezeId", "since", "slo", "remainingPercent",
    "thresholdPercent", "runbookURL", "targets", "held", "pausedByUs", "cause", "resourcesThrough",
)  # fmt: skip
EXCEPTION_FIELDS = ("name", "maxLevel", "targets", "ticket", "expiresAt")
WARNING_SLOTS = 8  # one validation per warning: the most warnings one request can get
# The same widths and wording core.freeze.admission_message uses, so both fit a denial the same way.
WIDTHS = text.WIDTHS


# --- The decision ----------------------------------------------------------------------------
def _fields(kind: str, names: tuple[str, ...], i: str) -> str:
    entries = ", ".join(
        f"{lit(name)}: params.data[?{lit(kind + '.')} + string({i}) + {lit('.' + name)}]"
        ".orValue('')"
        for name in names
    )
    return "{" + entries + "}"


def _records(kind: str, count_key: str, names: tuple[str, ...]) -> str:
    count = f"int(params.data[?{lit(count_key)}].orValue('0'))"
    return f"lists.range({count}).map(i, {_fields(kind, names, 'i')})"


def _same_version(ignored: str = "['metadata']") -> str:
    """The template is the same version: equal apart from `ignored` (a CEL list of its keys),
    the controllers' hash labels and the restart stamp; the workloadRef is the same."""
    new, old = "variables.newMeta", "variables.oldMeta"
    return " && ".join(
        (
            "!variables.create",
            "object.spec.?workloadRef == oldObject.spec.?workloadRef",
            same_except("variables.newTemplate", "variables.oldTemplate", ignored),
            same_except(new, old, "['annotations', 'labels']"),
            same_except(f"{new}.?labels.orValue({{}})", f"{old}.?labels.orValue({{}})",
                         list_literal(POD_TEMPLATE_HASH_LABELS)),
            same_except(f"{new}.?annotations.orValue({{}})", f"{old}.?annotations.orValue({{}})",
                         list_literal([RESTARTED_AT_ANNOTATION])),
        )
    )  # fmt: skip


def _resources_only() -> str:
    """Only containers' and init containers' resources differ (core.freeze.workload_diff
    ChangeKind.RESOURCES): the same containers in the same order, the rest of the spec equal."""
    new, old = "variables.newTemplate.?spec.orValue({})", "variables.oldTemplate.?spec.orValue({})"
    lists = []
    for field in ("containers", "initContainers"):
        n, o = f"{new}.?{field}.orValue([])", f"{old}.?{field}.orValue([])"
        each = same_except(f"{n}[i]", f"{o}[i]", "['resources']")
        lists.append(f"{n}.size() == {o}.size() && lists.range({n}.size()).all(i, {each})")
    spec = same_except(new, old, "['containers', 'initContainers']")
    return " && ".join(
        ("!variables.sameVersion", _same_version("['metadata', 'spec']"), spec, *lists)
    )


def _code(i: str, p: str) -> str:
    """The Reason `core.freeze.admission._judge` gives policy `p` (judged policy number `i`)."""
    return (
        f"{p}.level == 'Unknown' ? (variables.newVersion ? {lit(Reason.BUDGET_UNKNOWN)}"
        f" : {lit(Reason.NOT_FROZEN)})"
        f" : {p}.level == 'Warning' ? (variables.newVersion ? {lit(Reason.BUDGET_WARNING)}"
        f" : {lit(Reason.NOT_FROZEN)})"
        f" : !({p}.level in {FREEZES}) ? {lit(Reason.NOT_FROZEN)}"
        f" : {blocked_for(p)} == '' ? {lit(Reason.ALLOWED_DURING_FREEZE)}"
        f" : variables.covering[{i}].size() > 0 ? {lit(Reason.EXCEPTION)}"
        f" : {p}.enforcement == 'Warn' ? {lit(Reason.WARN_ONLY)}"
        f" : {p}.enforcement == 'DryRun' ? {lit(Reason.DRY_RUN)} : {lit(Reason.FROZEN)}"
    )


def _blocked() -> str:
    return (
        f"variables.create ? {lit(text.BLOCKED_CREATE)}"
        f" : !variables.sameVersion ? {lit(text.BLOCKED_TEMPLATE)}"
        " : variables.blockedBesidesResources"
    )


def _blocked_besides_resources() -> str:
    """What is refused apart from a new version: resumes, promotes, marks, releases."""
    return (
        f"variables.unpause && variables.pausedByUs ? {lit(text.BLOCKED_UNPAUSE)}"
        f" : variables.promotes && variables.heldByFreeze ? {lit(text.BLOCKED_PROMOTE)}"
        f" : variables.marks ? {lit(text.BLOCKED_MARKS)}"
        f" : variables.releases ? {lit(text.BLOCKED_RELABEL)} : ''"
    )


def _marks_changed() -> str:
    """A budgetwarden.io/ annotation was added, changed or removed."""
    new, old, mark = (
        "variables.newAnnotations",
        "variables.oldAnnotations",
        f"k.startsWith({lit(MARK_PREFIX)})",
    )
    return (
        f"!variables.create && ({new}.exists(k, {mark} && (!(k in {old}) || {old}[k] != {new}[k]))"
        f" || {old}.exists(k, {mark} && !(k in {new})))"
    )


def _releases() -> str:
    """A freeze holds the workload and its targets select the old labels but not the new."""
    selects = "p.targets.split('\\n').exists(t, {})"
    old = selects.format(target_matches("t", "variables.oldLabels"))
    new = selects.format(target_matches("t", "variables.newLabels"))
    return (
        "!variables.create && variables.oldLabels != variables.newLabels"
        f" && variables.policies.exists(p, p.level in {FREEZES}"
        f" && variables.workload in p.held.split('\\n') && {old} && !({new}))"
    )


def _request_pairs() -> list[tuple[str, str]]:
    """What the request is about and what it changes."""
    return [
        ("create", "request.operation == 'CREATE'"),
        ("kind", "request.kind.kind"),
        ("workload", "variables.kind + '/' + object.metadata.name"),
        ("newLabels", "object.metadata.?labels.orValue({})"),
        ("oldLabels", "variables.create ? {} : oldObject.metadata.?labels.orValue({})"),
        ("labelSets", "[variables.oldLabels, variables.newLabels]"),
        ("newAnnotations", "object.metadata.?annotations.orValue({})"),
        ("oldAnnotations", "variables.create ? {} : oldObject.metadata.?annotations.orValue({})"),
        ("marks", _marks_changed()),
        ("currentLabels", "variables.create ? variables.newLabels : variables.oldLabels"),
        ("newTemplate", "object.spec.?template.orValue({})"),
        ("oldTemplate", "variables.create ? {} : oldObject.spec.?template.orValue({})"),
        ("newMeta", "variables.newTemplate.?metadata.orValue({})"),
        ("oldMeta", "variables.oldTemplate.?metadata.orValue({})"),
        ("sameVersion", _same_version()),
        ("resourcesOnly", _resources_only()),
        ("newVersion", "variables.create || !(variables.sameVersion || variables.resourcesOnly)"),
        ("unpause", "!variables.create && oldObject.spec.?paused.orValue(false) == true"
                    " && object.spec.?paused.orValue(false) != true"),
        ("promotes", PROMOTION),
    ]  # fmt: skip


def decision_variables() -> list[dict[str, str]]:
    """The variables every freeze policy shares, each building on the ones before it."""
    paused_annotation = f"oldObject.metadata.?annotations[?{lit(ANNOTATION_PAUSED_BY)}]"
    judged_targets = "p.targets.split('\\n').exists(t, variables.labelSets.exists(l, {}))"
    covered = (
        "variables.exceptions.filter(e, (e.maxLevel == 'FullFreeze' || p.level == "
        "'PartialFreeze') && e.targets.split('\\n').exists(t, {}))"
    )
    pairs = [
        *_request_pairs(),
        ("policies", _records("policy", "policies", POLICY_FIELDS)),
        ("exceptions", _records("exception", "exceptions", EXCEPTION_FIELDS)),
        ("pausedByUs", f"(!variables.create && {paused_annotation}.orValue('') != '')"
                       " || variables.policies.exists(p,"
                       " variables.workload in p.pausedByUs.split('\\n'))"),
        ("releases", _releases()),
        ("heldByFreeze", f"variables.policies.exists(p, p.level in {FREEZES}"
                         " && variables.workload in p.held.split('\\n'))"),
        ("blockedBesidesResources", _blocked_besides_resources()),
        ("blocked", _blocked()),
        ("judged", "variables.policies.filter(p, p.level != 'Normal'"
                   " && (variables.workload in p.held.split('\\n') || "
                   + judged_targets.format(target_matches("t", "l")) + "))"),
        ("covering", "variables.judged.map(p, "
                     + covered.format(target_matches("t", "variables.currentLabels")) + ")"),
        ("codes", f"variables.judged.transformList(i, p, {_code('i', 'p')})"),
        ("drafts", "variables.judged.map(p, "
                   f"{list(WIDTHS)}.map(w, {denial('p', 'w')}))"),
    ]  # fmt: skip
    return [{"name": name, "expression": expression} for name, expression in pairs]


def warnings_variable() -> dict[str, str]:
    """`variables.warnings`: the webhook's warnings for an allowed request, in its order."""
    codes = "variables.codes[i]"
    each = (
        f"{codes} == {lit(Reason.BUDGET_UNKNOWN)} ? {unknown_warning('p')}"
        f" : {codes} == {lit(Reason.BUDGET_WARNING)} ? {budget_warning('p')}"
        f" : {codes} == {lit(Reason.EXCEPTION)}"
        f" ? {exception_warning('p', 'variables.covering[i][0]')}"
        f" : {codes} == {lit(Reason.WARN_ONLY)} ? {denial_of('i')} : ''"
    )
    return {
        "name": "warnings",
        "expression": f"variables.judged.transformList(i, p, {each}).filter(s, s != '').distinct()",
    }


def audit_variables() -> list[dict[str, str]]:
    """`variables.top` (the decision's Reason) and the freeze id the webhook records with it."""
    order = "[" + ", ".join(lit(reason) for reason in Reason) + "]"
    first_freeze = (
        "([variables.codes.indexOf(variables.top)] + lists.range(variables.judged.size()))"
        f".map(i, variables.judged[i]).filter(p, p.level in {FREEZES}).map(p, p.freezeId)"
    )
    top = f"{order}.filter(c, c in variables.codes).first().orValue({lit(Reason.NOT_FROZEN)})"
    freeze_id = f"variables.judged.size() == 0 ? '' : {first_freeze}.first().orValue('')"
    return [{"name": "top", "expression": top}, {"name": "auditFreezeId", "expression": freeze_id}]
