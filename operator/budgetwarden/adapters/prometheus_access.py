"""How the Prometheus readers get in: credentials and TLS, beyond the URL.

One `PrometheusSettings` serves both readers: the poller's (adapters/prometheus.py, requests)
and the alert history's (adapters/prometheus_history.py, httpx). This module uses the standard
library only, so that each reader turns the same settings into its own library's options:
`requests_tls` for requests, `ssl_context` for httpx, and `Authorization` for the header of every
request. Token and password files are re-read when they change, because a projected
ServiceAccount token rotates under a running operator. `check` refuses settings that cannot work,
before anything starts, naming each setting as the caller spells it (a variable or a flag); it is
called by runtime/settings.py and cli/report.py.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# What each setting is called when the caller gives no name of its own.
LABELS: Mapping[str, str] = {
    "bearer_token": "bearer token",
    "ca_file": "CA file",
    "token_file": "bearer token file",
    "basic_auth_username": "basic auth username",
    "basic_auth_password_file": "basic auth password file",
    "cert_file": "client certificate file",
    "key_file": "client key file",
    "insecure_skip_verify": "insecure skip verify",
}
# Settings naming files that must be readable, and those of them that must not be empty.
FILE_SETTINGS = ("ca_file", "token_file", "basic_auth_password_file", "cert_file", "key_file")
SECRET_FILES = ("token_file", "basic_auth_password_file")


class PrometheusSettingsError(ValueError):
    """Settings that cannot work; the message names the setting, `setting` is its field."""

    def __init__(self, message: str, setting: str = "") -> None:
        super().__init__(message)
        self.setting = setting


class CredentialsUnreadable(Exception):
    """A token or password file that could not be read when a request needed it."""


@dataclass(frozen=True)
class PrometheusAccess:
    """Credentials and client TLS beyond a fixed token and the CA: a bearer token file, basic
    auth with a password file, a client certificate and key, and the opt-in to skip verifying
    the server's certificate."""

    token_file: str | None = None
    basic_auth_username: str | None = None
    basic_auth_password_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False


@dataclass(frozen=True)
class PrometheusSettings:
    """Where Prometheus is and how to authenticate; built once at start-up."""

    url: str
    bearer_token: str | None = None
    ca_file: str | None = None
    timeout_seconds: float = 10.0
    access: PrometheusAccess = field(default_factory=PrometheusAccess)


def check(
    settings: PrometheusSettings,
    names: Mapping[str, str] | None = None,
    *,
    token_source: str | None = None,
    load_tls: bool = True,
) -> None:
    """Raise PrometheusSettingsError for settings that cannot work: two kinds of credentials,
    half a pair, an unreadable or empty file, and (with `load_tls`) a CA, certificate or key
    that TLS refuses. `token_source` names a bearer token that comes from elsewhere."""
    named = {**LABELS, **(names or {})}
    access = settings.access
    given = {  # the name of each setting that is set, else None
        setting: named[setting] if value else None
        for setting, value in (
            ("bearer_token", token_source or settings.bearer_token),
            ("token_file", access.token_file),
            ("basic_auth_username", access.basic_auth_username or access.basic_auth_password_file),
            ("ca_file", settings.ca_file),
            ("insecure_skip_verify", access.insecure_skip_verify),
        )
    }
    token = token_source or given["bearer_token"]
    _exclusive(given["token_file"], token, "choose one bearer token")
    basic = "choose a bearer token or basic auth"
    _exclusive(given["token_file"] or token, given["basic_auth_username"], basic)
    _pair(named, access, "basic_auth_username", "basic_auth_password_file")
    _pair(named, access, "cert_file", "key_file")
    verify = "verify the server with the CA, or skip verifying it, not both"
    _exclusive(given["insecure_skip_verify"], given["ca_file"], verify)
    for setting in FILE_SETTINGS:
        _readable(named, setting, settings)
    if load_tls:
        ssl_context(settings, named)


def _exclusive(first: str | None, second: str | None, advice: str) -> None:
    if first and second:
        raise PrometheusSettingsError(f"{first} and {second} are both set: {advice}")


def _pair(named: Mapping[str, str], access: PrometheusAccess, first: str, second: str) -> None:
    values = {first: getattr(access, first), second: getattr(access, second)}
    for have, lack in ((first, second), (second, first)):
        if values[have] and not values[lack]:
            raise PrometheusSettingsError(f"{named[have]} needs {named[lack]}", lack)


def _readable(named: Mapping[str, str], setting: str, settings: PrometheusSettings) -> None:
    path = settings.ca_file if setting == "ca_file" else getattr(settings.access, setting)
    if not path:
        return
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise PrometheusSettingsError(
            f"{named[setting]} {path}: cannot read: {error.strerror or error}", setting
        ) from error
    if setting in SECRET_FILES and not content.strip():
        raise PrometheusSettingsError(f"{named[setting]} {path}: is empty", setting)


def ssl_context(
    settings: PrometheusSettings, names: Mapping[str, str] | None = None
) -> ssl.SSLContext | None:
    """The TLS context of an httpx client (None: the library's default trust, no client
    certificate); PrometheusSettingsError names a CA, certificate or key that TLS refuses."""
    named = {**LABELS, **(names or {})}
    access = settings.access
    if not (settings.ca_file or access.cert_file or access.insecure_skip_verify):
        return None
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
    except OSError as error:  # ssl.SSLError included
        raise PrometheusSettingsError(
            f"{named['ca_file']} {settings.ca_file}: {error}", "ca_file"
        ) from error
    if access.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if access.cert_file:
        try:
            context.load_cert_chain(access.cert_file, access.key_file)
        except OSError as error:
            raise PrometheusSettingsError(
                f"{named['cert_file']} {access.cert_file} with {named['key_file']} "
                f"{access.key_file}: {error}",
                "cert_file",
            ) from error
    return context


def requests_tls(settings: PrometheusSettings) -> tuple[str | bool, tuple[str, str] | None]:
    """(verify, cert) of a requests session: the CA file, True, or False when verification
    is skipped; the client certificate and key, or None."""
    access = settings.access
    verify: str | bool = False if access.insecure_skip_verify else (settings.ca_file or True)
    if access.cert_file and access.key_file:
        return verify, (access.cert_file, access.key_file)
    return verify, None


class Authorization:
    """The Authorization header of each request: a bearer token (fixed, or from a file), or
    basic auth with a password from a file; files are re-read when they change."""

    def __init__(self, settings: PrometheusSettings) -> None:
        access = settings.access
        self._fixed = f"Bearer {settings.bearer_token}" if settings.bearer_token else None
        self._token = _WatchedFile(access.token_file, "bearer token file")
        self._password = _WatchedFile(access.basic_auth_password_file, "basic auth password file")
        self._username = access.basic_auth_username or ""

    def header(self) -> str | None:
        """The header's value now; CredentialsUnreadable if its file cannot be read."""
        if self._token.path:
            return f"Bearer {self._token.text()}"
        if self._password.path:
            pair = f"{self._username}:{self._password.text()}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return self._fixed


class _WatchedFile:
    """A small secret file, read again only when its identity, time or size changes."""

    def __init__(self, path: str | None, what: str) -> None:
        self.path, self._what = path, what
        self._seen: tuple[int, int, int] | None = None
        self._text = ""

    def text(self) -> str:
        """Its content without surrounding whitespace, as Prometheus reads such files."""
        if not self.path:
            return ""
        try:
            stat = os.stat(self.path)  # follows the symlinks the kubelet swaps on rotation
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if seen != self._seen:
                self._text = Path(self.path).read_text().strip()
                self._seen = seen
        except OSError as error:
            raise CredentialsUnreadable(
                f"cannot read the {self._what} {self.path}: {error.strerror or error}"
            ) from error
        return self._text
