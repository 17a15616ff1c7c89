"""The one place where the Kubernetes client's failures become budgetwarden's errors.

Every call the kube adapter makes goes through `call`, so one classifier decides, for the
custom objects, the built-in kinds and the workloads alike, what a failure means: the object is
gone (`NotFound`), someone changed it first (`Conflict`), the request is wrong and retrying will
not help (`Invalid`), or the API server is unreachable or overloaded (`Unavailable`). The
client's exception is always chained as the cause.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from budgetwarden.core.kernel.errors import BudgetwardenError

T = TypeVar("T")


class KubeError(BudgetwardenError):
    """A Kubernetes API call failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(KubeError):
    """The object, or its resource type, does not exist."""


class Invalid(KubeError):
    """The API server rejected the request as malformed or forbidden; retrying will not help."""


class Conflict(KubeError):
    """Someone else changed the object first (409); read it again and retry."""


class Unavailable(KubeError):
    """The API server could not be reached or answered 5xx/429; retrying may help."""


class Expired(KubeError):
    """A watch's resourceVersion is too old (410 Gone); list again and start over."""


def call(what: str, request: Callable[[], T]) -> T:
    """Run one client call; translate its failure into our vocabulary, naming `what`."""
    try:
        return request()
    except ApiException as error:
        raise classify(what, error) from error
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise Unavailable(f"{what}: {error}") from error


def classify(what: str, error: ApiException) -> KubeError:
    """The KubeError subclass for an API answer, with the server's own message."""
    status = int(error.status or 0)
    message = f"{what}: HTTP {status} {_api_message(error)}"
    if status == 404:
        return NotFound(message, status)
    if status == 410:
        return Expired(message, status)
    if status == 409:
        return Conflict(message, status)
    if status == 429 or status >= 500 or status == 0:
        return Unavailable(message, status)
    return Invalid(message, status)


def _api_message(error: ApiException) -> str:
    """The Status object's message when the server sent one, else the HTTP reason."""
    try:
        return str(json.loads(error.body or "")["message"])
    except (ValueError, KeyError, TypeError):
        return str(error.reason or "")
