"""Operator start-up: kopf's settings, and the one `Operator` every handler shares.

kopf runs `start` once before it starts watching, whether the operator was started by
`budgetwarden run` (which puts its flags, parsed into an `OperatorConfig`, in the memo as
`config`) or by `kopf run -m budgetwarden.handlers` (configuration from BUDGETWARDEN_*
variables): both start exactly the same thing. Handlers reach the operator with `operator_of`.

Decisions, with their reasons:
- Our own Events only (kopf's log-to-Event posting is off): one Event per change, with reasons
  from core/kernel/conventions.py, and none for a restart that changed nothing.
- Standalone unless a peering name was given: every replica runs kopf's handlers, and none
  needs kopf's peering CRDs. Two replicas handling the same object is safe: the SLO, policy and
  exception handlers server-side apply what the spec says (the same body from either) and write
  status through the status subresource with the resourceVersion it was computed from, so the
  slower write is a conflict that kopf retries from a fresh read. What must happen once (polls,
  enforcement, notifications, VAP params) runs only on the replica that holds the Lease
  (runtime/leader.py).
- kopf's bookkeeping lives in annotations under our group, never in status: the CRD's status
  schema is strict, and the last-handled configuration is what makes restarts quiet.
- No finalizer (see handlers/slo.py): deletes never hang on a stopped operator.
- At most `WORKER_LIMIT` objects of a kind in work at once, so that a start-up with thousands
  of objects waiting holds their events, not thousands of handlers in progress. A handler that
  waits out a retry delay keeps its place meanwhile.
- A configuration that cannot be used stops the operator (PermanentError) with one line naming
  the flag or variable; a part that cannot start yet (API server, port) is retried.
"""

from __future__ import annotations

from typing import Any

import kopf

from budgetwarden.adapters.kube import Kube, KubeError
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.runtime.config import OperatorConfig
from budgetwarden.runtime.operator import Operator, StartError
from budgetwarden.runtime.reporting import Logger
from budgetwarden.runtime.settings import ConfigError

# A watch that silently stalls (a proxy dropping idle connections) is restarted by these.
WATCH_SERVER_TIMEOUT_SECONDS = 300
WATCH_CLIENT_TIMEOUT_SECONDS = 330
START_RETRY_SECONDS = 10
# The handlers `budgetwarden run --role admission` runs (cli/run.py hands it to kopf): start-up,
# login, clean-up, and tracking policies and exceptions. kopf watches the kinds its registry has
# handlers for, so with this one that role's process never watches SLOs, workloads or rules,
# whose events (thousands a poll at 10,000 SLOs) every other handler would only filter out.
ADMISSION_ROLE = kopf.OperatorRegistry()
# kopf runs one worker task per object with events to handle, per resource kind, and without a
# limit starts one for every object of a listing at once: with 10,000 SLOs waiting, 10,000
# workers each held their object, their handler's state and their queue while the handlers
# went through kopf's few threads one by one (about 75 kB each). Beyond the limit an object's
# events wait in its queue. Enough to keep the threads busy: a worker stays 5 s after its last
# event, and handlers finish a few dozen objects a second.
WORKER_LIMIT = 500


def operator_of(memo: Any) -> Operator:
    """The operator built at start-up: the one typed field handlers read from kopf's memo."""
    operator = memo.get("operator")
    if not isinstance(operator, Operator):
        raise kopf.TemporaryError("the operator has not started yet", delay=1)
    return operator


def controls(memo: Any, **_: Any) -> bool:
    """kopf filter of every handler but tracking: a process in role admission only keeps its
    registry and serves the webhook; the controller process reconciles, records and acts."""
    operator = memo.get("operator")
    return not isinstance(operator, Operator) or operator.config.controls


@kopf.on.startup(registry=ADMISSION_ROLE)
@kopf.on.startup()
async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, logger: Logger, **_: Any) -> None:
    """Apply budgetwarden's kopf settings, build the operator once, and start it."""
    _configure(settings)
    if memo.get("operator") is None:
        memo.operator = Operator(_config(memo), _connect())
    try:
        await operator_of(memo).start(logger)
    except ConfigError as error:
        raise kopf.PermanentError(str(error)) from error
    except StartError as error:
        raise kopf.TemporaryError(str(error), delay=START_RETRY_SECONDS) from error


@kopf.on.login(registry=ADMISSION_ROLE)
@kopf.on.login()
def login(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
    """kopf connects exactly as our client does (one credential lookup, see Kube)."""
    connection = operator_of(memo).kube.connection()
    return kopf.ConnectionInfo(
        server=connection.server,
        ca_path=connection.ca_path,
        insecure=connection.insecure,
        scheme=connection.scheme,
        token=connection.token,
        certificate_path=connection.certificate_path,
        private_key_path=connection.private_key_path,
    )


@kopf.on.cleanup(registry=ADMISSION_ROLE)
@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    """Stop the operator's tasks and servers and release the API connection pool."""
    operator = memo.get("operator")
    if isinstance(operator, Operator):
        await operator.stop()


def _configure(settings: kopf.OperatorSettings) -> None:
    settings.posting.enabled = False
    if not settings.peering.mandatory:
        settings.peering.standalone = True
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=c.KOPF_ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=c.KOPF_ANNOTATION_PREFIX, key=c.KOPF_DIFFBASE_KEY
    )
    settings.persistence.finalizer = f"{c.GROUP}/finalizer"
    settings.queueing.worker_limit = WORKER_LIMIT
    settings.watching.server_timeout = WATCH_SERVER_TIMEOUT_SECONDS
    settings.watching.client_timeout = WATCH_CLIENT_TIMEOUT_SECONDS


def _config(memo: kopf.Memo) -> OperatorConfig:
    """The config `budgetwarden run` parsed, else the one the environment gives."""
    config = memo.get("config")
    if isinstance(config, OperatorConfig):
        return config
    try:
        return OperatorConfig.load()
    except (ConfigError, SpecError) as error:
        raise kopf.PermanentError(str(error)) from error


def _connect() -> Kube:
    try:
        return Kube.from_environment()
    except KubeError as error:
        raise kopf.PermanentError(str(error)) from error
