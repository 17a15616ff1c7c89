"""The one-line texts of budgetwarden's ValidatingAdmissionPolicies, in CEL:
core.freeze.admission_message's denial and warnings, written from the request and one policy map
`p` of the params (core/freeze/vap_cel.py builds the variables these read: `variables.kind`,
`variables.blocked`, `variables.drafts`, ...). The widths and wording are admission_message's, so
both modes fit a denial to the same characters.
"""

from __future__ import annotations

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.vap_cel_base import clip, lit

WIDTHS = text.WIDTHS
HOW_PARTIAL, HOW_FULL = text.HOW_PARTIAL, text.HOW_FULL


def _scope(width: int | str) -> str:
    return (
        f"{clip('request.namespace', width)} + '/' + variables.kind + '/' + "
        f"{clip('object.metadata.name', width)}"
    )


def _budget(p: str, width: int | str) -> str:
    return (
        f"({p}.slo == '' ? 'the SLO' : 'SLO ' + {clip(f'{p}.slo', width)})"
        f" + ({p}.remainingPercent == ''"
        " ? ' has no current error budget reading (metrics unavailable)'"
        f" : ' has ' + {p}.remainingPercent + '% error budget left'"
        f" + ({p}.thresholdPercent == '' ? '' : ' (below ' + {p}.thresholdPercent + '%)')"
        f" + {p}.cause)"
    )


def _freeze_id(p: str) -> str:
    return f"({p}.freezeId == '' ? '' : ' Freeze ' + {clip(f'{p}.freezeId', 40)} + '.')"


def denial(p: str, width: int | str) -> str:
    """admission_message.denial_message at one width, for policy map `p`."""
    how = f"({p}.level == 'FullFreeze' ? {lit(HOW_FULL)} : {lit(HOW_PARTIAL)})"
    return (
        f"{lit(text.PREFIX + ' ')} + {p}.level + ' on ' + {_scope(width)} + ': '"
        f" + {_budget(p, width)} + ' under policy ' + {clip(f'{p}.name', width)}"
        f" + ({p}.since == '' ? '' : ' since ' + {p}.since)"
        f" + '. Blocked: ' + {blocked_for(p)} + '. Still allowed: '"
        f" + ({p}.resourcesThrough == 'true' ? {lit(text.STILL_ALLOWED_PARTIAL)}"
        f" : {lit(text.STILL_ALLOWED)})"
        f" + '. ' + {how} + ' (kubectl explain freezeexception; runbook: ' + {p}.runbookURL"
        f" + ').' + {_freeze_id(p)}"
    )


def denial_of(i: str) -> str:
    """The denial for judged policy `i`: the widest draft that fits, else the last one cut."""
    drafts, fits = f"variables.drafts[{i}]", f"m.size() <= {text.MAX_MESSAGE}"
    return (
        f"({drafts}.exists(m, {fits}) ? {drafts}.filter(m, {fits})[0]"
        f" : {clip(f'{drafts}[{len(WIDTHS) - 1}]', text.MAX_MESSAGE)})"
    )


def exception_warning(p: str, e: str) -> str:
    return (
        f"{lit(text.PREFIX + ' ')} + {p}.level + ' on ' + {_scope(63)}"
        f" + ': allowed by FreezeException ' + {clip(f'{e}.name', 63)} + ' ('"
        f" + ({e}.ticket == '' ? '' : 'ticket ' + {e}.ticket + ', ')"
        f" + 'expires ' + {e}.expiresAt + ') under policy ' + {clip(f'{p}.name', 63)} + '.'"
        f" + {_freeze_id(p)}"
    )


def budget_warning(p: str) -> str:
    return (
        f"{lit(text.PREFIX + ' ')} + {p}.level + ' on ' + {_scope(63)} + ': ' + {_budget(p, 63)}"
        f" + ' under policy ' + {clip(f'{p}.name', 63)}"
        " + '. New versions are still allowed; a freeze would block them.'"
    )


def unknown_warning(p: str) -> str:
    return (
        f"{lit(text.PREFIX + ' Unknown on ')} + {_scope(63)} + ': policy '"
        f" + {clip(f'{p}.name', 63)} + ' has no error budget level yet; this change was not"
        " checked.'"
    )


def blocked_for(p: str) -> str:
    """What policy map `p`'s freeze refuses (core.freeze.admission._blocked): a resources-only
    change passes a policy that lets it through at its level."""
    return (
        f"(variables.resourcesOnly && {p}.resourcesThrough == 'true'"
        " ? variables.blockedBesidesResources : variables.blocked)"
    )
