"""Schemathesis hooks of `cargo xtask contract` (xtask/src/contract.rs sets the environment).

Two things a static `Authorization` header cannot do:

* Keep the caller signed in. The xtask signs the user or admin in and hands over its token
  (`IDENTITY_CONTRACT_TOKEN`); generated requests end sessions on purpose (`logout`,
  `logout-all`, a session or device revoked, a password reset, …). After such a request
  succeeds, or after any 401 to a request that carried the token, the next case signs in again
  with `IDENTITY_CONTRACT_EMAIL` / `IDENTITY_CONTRACT_PASSWORD`, so the operations tested later
  are not all answered 401 by a dead token.
* Keep the admin settings connection check (`POST /v1/admin/settings/{namespace}/test`, which
  makes an outgoing request to the `base_url` setting) on this machine: every `base_url` that
  would be dialled is replaced by the stub server the xtask runs (`IDENTITY_CONTRACT_STUB_URL`).
  Values the server must refuse (not a URL, another scheme, credentials, a query) are left as
  generated, so negative cases stay negative.
"""

from __future__ import annotations

import os
import threading
from urllib.parse import urlsplit

import requests
import schemathesis

BASE_URL = os.environ["IDENTITY_CONTRACT_BASE_URL"]
STUB_URL = os.environ["IDENTITY_CONTRACT_STUB_URL"]
ROLE = os.environ.get("IDENTITY_CONTRACT_ROLE", "anonymous")

# Successful answers of these operations may end the caller's own session.
SESSION_ENDING = {
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/logout-all"),
    ("POST", "/v1/auth/password/change"),
    ("POST", "/v1/auth/password/reset"),
    ("DELETE", "/v1/sessions/{id}"),
    ("DELETE", "/v1/devices/{id}"),
    ("DELETE", "/v1/users/me"),
    ("DELETE", "/v1/admin/users/{id}/sessions"),
    ("DELETE", "/v1/admin/users/{id}"),
    ("POST", "/v1/admin/users/{id}/lock"),
}

# The operations whose bodies carry a `base_url` the server may dial.
DIALLING = {
    ("PATCH", "/v1/admin/settings/{namespace}"),
    ("POST", "/v1/admin/settings/{namespace}/test"),
}


def _would_dial(value: object) -> bool:
    """A `base_url` the server accepts (and so may dial): http(s), a host, no credentials or query."""
    if value is None:
        return True  # null: the provider's public endpoint
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
        and not parts.query
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.operation.method.upper(), case.operation.path)
    if key in DIALLING and isinstance(case.body, dict) and "base_url" in case.body:
        if _would_dial(case.body["base_url"]):
            case.body["base_url"] = STUB_URL
    # A test without a body tries the stored settings: the xtask stores the stub's URL before
    # the run, and the PATCHes above only ever store the stub again.


class _Session:
    """The signed-in caller's current access token."""

    lock = threading.Lock()
    token: str | None = os.environ.get("IDENTITY_CONTRACT_TOKEN")
    stale = False

    @classmethod
    def current(cls) -> str:
        with cls.lock:
            if cls.token is None or cls.stale:
                cls.token = _login()
                cls.stale = False
            return cls.token

    @classmethod
    def mark_stale(cls, token: str | None) -> None:
        with cls.lock:
            if token is None or token == cls.token:
                cls.stale = True


def _login() -> str:
    answer = requests.post(
        f"{BASE_URL}/v1/auth/login",
        json={"email": os.environ["IDENTITY_CONTRACT_EMAIL"], "password": os.environ["IDENTITY_CONTRACT_PASSWORD"]},
        timeout=30,
    )
    if answer.status_code != 200:
        raise RuntimeError(f"the {ROLE} cannot sign in again: HTTP {answer.status_code} {answer.text[:300]}")
    return answer.json()["access_token"]


if ROLE != "anonymous":

    @schemathesis.auth(refresh_interval=None)
    class SignedIn:
        def get(self, case, ctx):
            return _Session.current()

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"

    @schemathesis.hook
    def after_call(context, case, response):
        sent = (case.headers or {}).get("Authorization", "")
        token = sent.removeprefix("Bearer ") if sent.startswith("Bearer ") else None
        key = (case.operation.method.upper(), case.operation.path)
        if response.status_code == 401 and token is not None:
            _Session.mark_stale(token)
        elif key in SESSION_ENDING and 200 <= response.status_code < 300:
            _Session.mark_stale(None)
