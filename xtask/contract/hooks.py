"""Schemathesis hooks of `cargo xtask contract` (xtask/src/contract.rs sets the environment).

Two things a static `Authorization` header cannot do (a service client's HTTP Basic, the
`service` role, is one):

* Keep the caller signed in. The xtask signs the user or admin in and hands over its token
  (`IDENTITY_CONTRACT_TOKEN`); generated requests end sessions on purpose (`logout`,
  `logout-all`, a session or device revoked, a password reset, …). After such a request
  succeeds, or after any 401 to a request that carried the token, the next case signs in again
  with `IDENTITY_CONTRACT_EMAIL` / `IDENTITY_CONTRACT_PASSWORD`, so the operations tested later
  are not all answered 401 by a dead token.
* Hold `positive_data_acceptance` to the listed reasons: the xtask adds, per operation, the
  status of each refusal that depends on state (a token never issued, a reused
  `Idempotency-Key`, a common password; `REFUSALS` in xtask/src/contract.rs) to the statuses
  that check expects, and hands over the list (`IDENTITY_CONTRACT_REFUSALS`). The check
  `refused_for_a_listed_reason` fails a schema-valid request answered with such a status unless
  the problem `code` (or, for `validation_failed`, every field error's code) is listed for it.
* Keep the admin settings connection check (`POST /v1/admin/settings/ai/test`, which
  makes an outgoing request to the `base_url` setting) on this machine: every `base_url` that
  would be dialled is replaced by the stub server the xtask runs (`IDENTITY_CONTRACT_STUB_URL`).
  Values the server must refuse (not a URL, another scheme, credentials, a query) are left as
  generated, so negative cases stay negative.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from urllib.parse import urlsplit

import requests
import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

BASE_URL = os.environ["IDENTITY_CONTRACT_BASE_URL"]
STUB_URL = os.environ["IDENTITY_CONTRACT_STUB_URL"]
ROLE = os.environ.get("IDENTITY_CONTRACT_ROLE", "anonymous")
# Operation id -> the statuses the xtask added to what `positive_data_acceptance` expects of it
# (`statuses`), and the refusals listed for it (`codes`: `code` or `validation_failed/<field code>`).
REFUSALS: dict[str, dict[str, list]] = json.loads(os.environ.get("IDENTITY_CONTRACT_REFUSALS", "{}"))


def _reasons(response) -> list[str]:
    """The reasons an answer gives: its problem code, or the code of each field error."""
    try:
        problem = response.json()
    except ValueError:
        return ["(no problem document)"]
    if not isinstance(problem, dict):
        return ["(no problem document)"]
    code = problem.get("code")
    if code == "validation_failed":
        errors = problem.get("errors") or []
        fields = [e.get("code") for e in errors if isinstance(e, dict)]
        return [f"validation_failed/{field}" for field in fields] or ["validation_failed/(no field error)"]
    return [str(code)]


@schemathesis.check
def refused_for_a_listed_reason(ctx, response, case):
    """A schema-valid request refused only for a reason listed for its operation."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    operation = case.operation.definition.raw.get("operationId")
    refusals = REFUSALS.get(operation)
    if refusals is None or response.status_code not in refusals["statuses"]:
        return None  # expected anyway, or positive_data_acceptance reports it
    listed = refusals["codes"]
    reasons = _reasons(response)
    unlisted = [reason for reason in reasons if reason not in listed]
    if unlisted:
        raise AssertionError(
            f"Schema-valid data refused with {response.status_code} for {', '.join(unlisted)}; "
            f"the refusals listed for {operation} are {', '.join(listed)} (REFUSALS in xtask/src/contract.rs)"
        )
    return None

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

# The operations whose bodies carry a `base_url` the server may dial: the settings of a
# namespace (`/v1/admin/settings/ai`) and their connection check (`…/test`).
SETTINGS = "/v1/admin/settings/"


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
    # Only schema-valid values: the server refuses the others (before dialling), and a
    # negative case made valid here would be reported as accepted.
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    dialling = positive and case.operation.path.startswith(SETTINGS) and key[0] in ("PATCH", "POST")
    if dialling and isinstance(case.body, dict) and "base_url" in case.body:
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


if ROLE == "service":
    # A service client: HTTP Basic with its id (`IDENTITY_CONTRACT_EMAIL`) and secret
    # (`IDENTITY_CONTRACT_TOKEN`) on every request; nothing ends it (the admin run comes after).

    @schemathesis.auth(refresh_interval=None)
    class ServiceClient:
        def get(self, case, ctx):
            raw = f"{os.environ['IDENTITY_CONTRACT_EMAIL']}:{os.environ['IDENTITY_CONTRACT_TOKEN']}"
            return base64.b64encode(raw.encode()).decode()

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Basic {data}"

elif ROLE != "anonymous":

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
