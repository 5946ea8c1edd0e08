"""An account's life through the generated client, against a running server.

`cargo xtask clients --check` starts one and sets the environment; it `pip install`s
clients/python into a fresh virtual environment, then checks this file with `mypy --strict` and
runs it from a directory outside the source tree (no PYTHONPATH): register → verify the
address → login → me → profile and preferences → refresh → sessions → logout → forgot and
reset the password → login with the new one, an admin's user listing, the agent catalog and an
instance; last, TOTP: enrol and confirm it, then a login that answers `mfa_required` and its
second step with the app's code.

The server runs without SMTP_URL and with MAIL_LOG_BODIES=true: its mails, links included, are
JSON lines of its log (IDENTITY_MAIL_LOG).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import time
from urllib.parse import unquote

from identity_client import AuthenticatedClient, Client
from identity_client.api.admin import admin_list_users
from identity_client.api.agents import admin_create_agent, list_agents
from identity_client.api.instances import create_instance, get_instance, update_instance
from identity_client.api.auth import current_user, login, login_mfa, logout, refresh, register, verify_email
from identity_client.api.mfa import confirm_totp, enroll_totp
from identity_client.api.passwords import forgot_password, reset_password
from identity_client.api.sessions import list_sessions
from identity_client.api.users import update_profile
from identity_client.models import (
    NewAgent,
    AgentPage,
    AgentView,
    ConfirmedTotp,
    ConfirmTotpRequest,
    EmailRequest,
    EnrollTotpRequest,
    InstanceInput,
    InstancePatch,
    InstancePatchConfigType0,
    InstanceView,
    LoginRequest,
    LoginResponse,
    MeResponse,
    MfaLoginRequest,
    MfaRequiredResponse,
    ProfilePatch,
    PreferencesPatch,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    SessionPage,
    TotpEnrollment,
    UserPage,
    UserView,
    VerifyEmailRequest,
)


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"{name} is not set")
    return value


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"failed: {what}")
    print(f"ok: {what}")


def log_length() -> int:
    with open(env("IDENTITY_MAIL_LOG"), encoding="utf-8") as log:
        return len(log.read().split("\n")) - 1


def mailed_token(kind: str, to: str, after: int) -> str:
    """The `token` of the latest logged mail of `kind` to `to` (waits for the mail queue)."""
    for _ in range(100):
        with open(env("IDENTITY_MAIL_LOG"), encoding="utf-8") as log:
            lines = log.read().split("\n")[after:]
        for line in reversed(lines):
            try:
                entry: object = json.loads(line)
            except ValueError:
                continue
            fields = entry.get("fields") if isinstance(entry, dict) else None
            if not isinstance(fields, dict) or fields.get("kind") != kind or fields.get("to") != to:
                continue
            body = fields.get("body")
            found = re.search(r"token=([A-Za-z0-9_\-.~%]+)", body) if isinstance(body, str) else None
            if found:
                return unquote(found.group(1))
        time.sleep(0.1)
    raise SystemExit(f"no {kind} mail to {to} in the log")


def totp_step() -> int:
    """The current TOTP time step (RFC 6238: 30 s since the epoch)."""
    return int(time.time()) // 30


def totp(secret: str, step: int) -> str:
    """The 6-digit TOTP code of `step` (RFC 6238: HMAC-SHA-1, dynamic truncation)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def main() -> None:
    base_url = env("IDENTITY_BASE_URL")
    email = f"py-{time.time_ns()}@example.com"
    password = "python example passphrase"
    new_password = "a fresh python passphrase"
    anonymous = Client(base_url=base_url)

    # Register, then verify the address with the mailed link's token.
    mark = log_length()
    registered = register.sync_detailed(
        client=anonymous, body=RegisterRequest(email=email, password=password, name="Ada Lovelace")
    )
    check(registered.status_code == 201 and isinstance(registered.parsed, UserView), "register")
    verified = verify_email.sync(
        client=anonymous, body=VerifyEmailRequest(token=mailed_token("verify_email", email, mark))
    )
    check(isinstance(verified, UserView) and verified.email_verified, "verify email")

    # Login, me. A login answers either a session (LoginResponse) or a request for a second
    # factor (MfaRequiredResponse): narrow with isinstance.
    session = login.sync(client=anonymous, body=LoginRequest(email=email, password=password))
    check(isinstance(session, LoginResponse), "login")
    assert isinstance(session, LoginResponse)
    user = AuthenticatedClient(base_url=base_url, token=session.access_token)
    me = current_user.sync(client=user)
    check(isinstance(me, MeResponse) and me.user.email == email, "me")

    # Profile fields, then preferences (both JSON merge patches).
    profile = update_profile.sync(
        client=user,
        body=ProfilePatch(display_name="Ada", time_zone="Europe/London", region="GB"),
    )
    check(isinstance(profile, UserView) and profile.profile.display_name == "Ada", "profile update")
    preferences = update_profile.sync(
        client=user,
        body=ProfilePatch(
            preferences=PreferencesPatch.from_dict(
                {"notifications": {"email": False}, "focus": {"session_minutes": 50}}
            )
        ),
    )
    check(
        isinstance(preferences, UserView)
        and preferences.profile.preferences.to_dict().get("notifications") == {"email": False},
        "preferences update",
    )

    # Refresh: a new pair; the session stays.
    refreshed = refresh.sync(client=anonymous, body=RefreshRequest(refresh_token=session.refresh_token))
    check(isinstance(refreshed, LoginResponse), "refresh")
    assert isinstance(refreshed, LoginResponse)
    user = AuthenticatedClient(base_url=base_url, token=refreshed.access_token)

    sessions = list_sessions.sync(client=user, limit=10)
    check(isinstance(sessions, SessionPage) and len(sessions.items) >= 1, "list sessions")

    check(logout.sync_detailed(client=user).status_code == 204, "logout")
    check(current_user.sync_detailed(client=user).status_code == 401, "the ended session's token is refused")

    # Forgot, reset with the mailed token, login with the new password.
    mark = log_length()
    forgot = forgot_password.sync_detailed(client=anonymous, body=EmailRequest(email=email))
    check(forgot.status_code == 202, "forgot password")
    reset = reset_password.sync_detailed(
        client=anonymous,
        body=ResetPasswordRequest(token=mailed_token("password_reset", email, mark), new_password=new_password),
    )
    check(reset.status_code == 204, "reset password")
    again = login.sync(client=anonymous, body=LoginRequest(email=email, password=new_password))
    check(isinstance(again, LoginResponse) and again.user.email == email, "login with the new password")
    assert isinstance(again, LoginResponse)

    # An admin lists users.
    admin_session = login.sync(
        client=anonymous,
        body=LoginRequest(email=env("IDENTITY_ADMIN_EMAIL"), password=env("IDENTITY_ADMIN_PASSWORD")),
    )
    assert isinstance(admin_session, LoginResponse)
    admin = AuthenticatedClient(base_url=base_url, token=admin_session.access_token)
    users = admin_list_users.sync(client=admin, query=email)
    check(isinstance(users, UserPage) and any(u.email == email for u in users.items), "admin lists users")

    # The admin adds an agent; the user finds it in the catalog and makes an instance of it.
    agent = admin_create_agent.sync(
        client=admin, body=NewAgent(name=f"Python agent {time.time_ns()}", category="examples", tags=["python"])
    )
    check(isinstance(agent, AgentView), "admin creates an agent")
    assert isinstance(agent, AgentView)
    user = AuthenticatedClient(base_url=base_url, token=again.access_token)
    catalog = list_agents.sync(client=user, tag="python", category="examples")
    check(isinstance(catalog, AgentPage) and any(a.id == agent.id for a in catalog.items), "the catalog lists it")
    made = create_instance.sync_detailed(
        client=user, body=InstanceInput(agent_id=agent.id, name="My python agent"), idempotency_key=f"py-{email}"
    )
    check(made.status_code == 201 and isinstance(made.parsed, InstanceView), "create an instance")
    assert isinstance(made.parsed, InstanceView)
    instance = made.parsed
    check(instance.state == "provisioning" and made.headers["etag"] == '"1"', "it starts provisioning")
    # Provisioning is a background job: poll until the instance is ready (version 2).
    deadline = time.monotonic() + 15
    read = get_instance.sync_detailed(instance.id, client=user)
    def is_ready() -> bool:
        return isinstance(read.parsed, InstanceView) and read.parsed.state == "ready"

    while not is_ready() and time.monotonic() < deadline:
        time.sleep(0.1)
        read = get_instance.sync_detailed(instance.id, client=user)
    check(read.status_code == 200 and is_ready(), "it becomes ready")
    etag = read.headers["etag"]
    check(etag == '"2"', "read it with its ETag")
    patch = InstancePatch(config=InstancePatchConfigType0.from_dict({"tone": "dry"}))
    changed = update_instance.sync_detailed(instance.id, client=user, body=patch, if_match=etag)
    check(
        changed.status_code == 200 and isinstance(changed.parsed, InstanceView) and changed.parsed.version == 3,
        "change it with If-Match",
    )
    stale = update_instance.sync_detailed(instance.id, client=user, body=patch, if_match=etag)
    check(stale.status_code == 412, "a stale If-Match is refused")

    # Last (it changes nothing the steps above read): `region: null` restores the default.
    restored = update_profile.sync(client=user, body=ProfilePatch(region=None))
    check(
        isinstance(restored, UserView) and restored.profile.region == "US",
        "region reset to its default with null",
    )

    # TOTP, after everything else (from now on every login of this account asks for a code).
    # Enrolling is a sensitive change: the login above is recent enough (else
    # `POST /v1/auth/reauthenticate`).
    enrolled = enroll_totp.sync(client=user, body=EnrollTotpRequest(label="Python example"))
    check(
        isinstance(enrolled, TotpEnrollment) and enrolled.otpauth_uri.startswith("otpauth://totp/"),
        "enrol TOTP",
    )
    assert isinstance(enrolled, TotpEnrollment)
    # A code works once: confirm with this step's code, sign in with the next one's (the server
    # takes a step either way, so it stays good for about a minute).
    step = totp_step()
    confirmed = confirm_totp.sync(client=user, body=ConfirmTotpRequest(code=totp(enrolled.secret, step)))
    check(
        isinstance(confirmed, ConfirmedTotp)
        and isinstance(confirmed.recovery_codes, list)
        and len(confirmed.recovery_codes) == 10,
        "confirm TOTP",
    )
    pending = login.sync(client=anonymous, body=LoginRequest(email=email, password=new_password))
    check(
        isinstance(pending, MfaRequiredResponse) and pending.mfa_required and "totp" in pending.methods,
        "login asks for a second factor",
    )
    assert isinstance(pending, MfaRequiredResponse)
    second = login_mfa.sync(
        client=anonymous,
        body=MfaLoginRequest(mfa_token=pending.mfa_token, method="totp", code=totp(enrolled.secret, step + 1)),
    )
    check(isinstance(second, LoginResponse) and second.user.email == email, "login with the TOTP code")
    assert isinstance(second, LoginResponse)
    check(
        "otp" in second.session.amr and second.session.aal == 2,
        "the session has two factors (amr otp, aal 2)",
    )
    strong = current_user.sync(client=AuthenticatedClient(base_url=base_url, token=second.access_token))
    check(isinstance(strong, MeResponse) and strong.session.aal == 2, "me: aal 2")

    print("python example: every step passed")


if __name__ == "__main__":
    main()
