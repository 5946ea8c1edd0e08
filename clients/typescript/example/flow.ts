// An account's life through the generated client, against a running server (`cargo xtask
// clients --check` packs the client, installs the tarball into an empty npm project with this
// file and example/tsconfig.json, type-checks and runs it there, against a server it starts):
// register → verify the address → login → me → profile and preferences → refresh → sessions →
// logout → forgot and reset the password → login with the new one, an admin's user listing, the
// agent catalog and an instance; last, TOTP: enrol and confirm it, then a login that answers
// `mfa_required` and its second step with the app's code.
//
// The server runs without SMTP_URL and with MAIL_LOG_BODIES=true: its mails, links included,
// are JSON lines of its log (IDENTITY_MAIL_LOG).
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import { createIdentityClient, type Schemas } from "@identity/client";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function check(condition: boolean, what: string): void {
  if (!condition) {
    throw new Error(`failed: ${what}`);
  }
  console.log(`ok: ${what}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `token` of the latest logged mail of `kind` to `to` (waits for the mail queue). */
async function mailedToken(kind: string, to: string, after: number): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const lines = readFileSync(env("IDENTITY_MAIL_LOG"), "utf8").split("\n").slice(after);
    for (const line of lines.reverse()) {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const fields = isRecord(entry) ? entry["fields"] : undefined;
      if (!isRecord(fields) || fields["kind"] !== kind || fields["to"] !== to) {
        continue;
      }
      const body = fields["body"];
      const token = typeof body === "string" ? /token=([A-Za-z0-9_\-.~%]+)/.exec(body)?.[1] : undefined;
      if (token !== undefined) {
        return decodeURIComponent(token);
      }
    }
    await sleep(100);
  }
  throw new Error(`no ${kind} mail to ${to} in the log`);
}

function logLength(): number {
  return readFileSync(env("IDENTITY_MAIL_LOG"), "utf8").split("\n").length - 1;
}

type LoginAnswer = Schemas["LoginAnswer"];

/** A login's answer when it signed in (no second factor asked). */
function signedIn(answer: LoginAnswer | undefined): Schemas["LoginResponse"] | undefined {
  return answer === undefined || "mfa_required" in answer ? undefined : answer;
}

/** A login's answer when it waits for a second factor (`mfa_required: true`). */
function mfaRequired(answer: LoginAnswer | undefined): Schemas["MfaRequiredResponse"] | undefined {
  return answer !== undefined && "mfa_required" in answer ? answer : undefined;
}

/** RFC 4648 base32 (the TOTP secret), padding optional. */
function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(char);
    if (index < 0) {
      throw new Error(`not base32: ${char}`);
    }
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The current TOTP time step (RFC 6238: 30 s since the epoch). */
function totpStep(): number {
  return Math.floor(Date.now() / 1000 / 30);
}

/** The 6-digit TOTP code of `step` (RFC 6238: HMAC-SHA-1, dynamic truncation). */
function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac.readUInt8(mac.length - 1) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const baseUrl = env("IDENTITY_BASE_URL");
const email = `ts-${Date.now()}@example.com`;
const password = "typescript example passphrase";
const newPassword = "a fresh typescript passphrase";

let accessToken: string | undefined;
const api = createIdentityClient(baseUrl, () => accessToken);

// Register, then verify the address with the mailed link's token.
let mark = logLength();
const registered = await api.POST("/v1/auth/register", { body: { email, password, name: "Ada Lovelace" } });
check(registered.response.status === 201 && registered.data?.email === email, "register");
const verified = await api.POST("/v1/auth/email/verify", {
  body: { token: await mailedToken("verify_email", email, mark) },
});
check(verified.data?.email_verified === true, "verify email");

// Login, me.
// A login answers either a session or `mfa_required`: narrow on `"mfa_required" in data`.
const login = await api.POST("/v1/auth/login", { body: { email, password } });
check(login.response.status === 200 && signedIn(login.data) !== undefined, "login");
let session: Schemas["LoginResponse"] | undefined = signedIn(login.data);
accessToken = session?.access_token;
const me = await api.GET("/v1/auth/me");
check(me.data?.user.email === email, "me");

// Profile fields, then preferences (both JSON merge patches).
const profile = await api.PATCH("/v1/users/me", {
  body: { display_name: "Ada", time_zone: "Europe/London", region: "GB" },
});
check(profile.data?.profile.display_name === "Ada", "profile update");
const preferences = await api.PATCH("/v1/users/me", {
  body: { preferences: { notifications: { email: false }, focus: { session_minutes: 50 } } },
});
const notifications = preferences.data?.profile.preferences.notifications;
check(notifications?.email === false, "preferences update");

// Refresh: a new pair; the session stays.
const refreshed = await api.POST("/v1/auth/refresh", { body: { refresh_token: session?.refresh_token ?? "" } });
check(refreshed.response.status === 200 && refreshed.data !== undefined, "refresh");
session = refreshed.data;
accessToken = session?.access_token;

const sessions = await api.GET("/v1/sessions", { params: { query: { limit: 10 } } });
check((sessions.data?.items.length ?? 0) >= 1, "list sessions");

const logout = await api.POST("/v1/auth/logout");
check(logout.response.status === 204, "logout");
const after = await api.GET("/v1/auth/me");
check(after.response.status === 401, "the ended session's token is refused");
accessToken = undefined;

// Forgot, reset with the mailed token, login with the new password.
mark = logLength();
const forgot = await api.POST("/v1/auth/password/forgot", { body: { email } });
check(forgot.response.status === 202, "forgot password");
const reset = await api.POST("/v1/auth/password/reset", {
  body: { token: await mailedToken("password_reset", email, mark), new_password: newPassword },
});
check(reset.response.status === 204, "reset password");
const again = await api.POST("/v1/auth/login", { body: { email, password: newPassword } });
const renewed = signedIn(again.data);
check(again.response.status === 200 && renewed?.user.email === email, "login with the new password");

// An admin lists users.
const admin = await api.POST("/v1/auth/login", {
  body: { email: env("IDENTITY_ADMIN_EMAIL"), password: env("IDENTITY_ADMIN_PASSWORD") },
});
accessToken = signedIn(admin.data)?.access_token;
const users = await api.GET("/v1/admin/users", { params: { query: { query: email } } });
check(users.data?.items.some((user) => user.email === email) === true, "admin lists users");

// The admin adds an agent; the user finds it in the catalog and makes an instance of it.
const agent = await api.POST("/v1/admin/agents", {
  body: { name: `TypeScript agent ${Date.now()}`, category: "examples", tags: ["typescript"] },
});
check(agent.response.status === 201 && agent.data !== undefined, "admin creates an agent");
accessToken = renewed?.access_token;
const catalog = await api.GET("/v1/agents", { params: { query: { tag: "typescript", category: "examples" } } });
check(catalog.data?.items.some((a) => a.id === agent.data?.id) === true, "the catalog lists it");
const made = await api.POST("/v1/instances", {
  params: { header: { "Idempotency-Key": `ts-${email}` } },
  body: { agent_id: agent.data?.id ?? "", name: "My typescript agent" },
});
check(made.response.status === 201 && made.data !== undefined, "create an instance");
check(made.data?.state === "provisioning", "it starts provisioning");
const instancePath = { params: { path: { id: made.data?.id ?? "" } } };
// Provisioning is a background job: poll until the instance is ready (version 2).
let read = await api.GET("/v1/instances/{id}", instancePath);
for (let tries = 0; read.data?.state !== "ready" && tries < 150; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  read = await api.GET("/v1/instances/{id}", instancePath);
}
check(read.data?.state === "ready", "it becomes ready");
const etag = read.response.headers.get("etag") ?? "";
check(etag === '"2"', "read it with its ETag");
const changed = await api.PATCH("/v1/instances/{id}", {
  params: { path: { id: made.data?.id ?? "" }, header: { "If-Match": etag } },
  body: { config: { tone: "dry" } },
});
check(changed.response.status === 200 && changed.data?.version === 3, "change it with If-Match");
const stale = await api.PATCH("/v1/instances/{id}", {
  params: { path: { id: made.data?.id ?? "" }, header: { "If-Match": etag } },
  body: { config: { tone: "dry" } },
});
check(stale.response.status === 412, "a stale If-Match is refused");

// Last (it changes nothing the steps above read): `region: null` restores the default.
const restored = await api.PATCH("/v1/users/me", { body: { region: null } });
check(restored.data?.profile.region === "US", "region reset to its default with null");

// TOTP, after everything else (from now on every login of this account asks for a code).
// Enrolling is a sensitive change: the login above is recent enough (else
// `POST /v1/auth/reauthenticate`).
const enrolled = await api.POST("/v1/mfa/totp/enroll", { body: { label: "TypeScript example" } });
const secret = enrolled.data?.secret ?? "";
check(
  enrolled.response.status === 200 && secret !== "" && enrolled.data?.otpauth_uri.startsWith("otpauth://totp/") === true,
  "enrol TOTP",
);
// A code works once: confirm with this step's code, sign in with the next one's (the server
// takes a step either way, so it stays good for about a minute).
const step = totpStep();
const confirmed = await api.POST("/v1/mfa/totp/confirm", { body: { code: totp(secret, step) } });
check(confirmed.response.status === 200 && confirmed.data?.recovery_codes?.length === 10, "confirm TOTP");
accessToken = undefined;
const first = await api.POST("/v1/auth/login", { body: { email, password: newPassword } });
const pending = mfaRequired(first.data);
check(
  first.response.status === 200 && pending?.mfa_required === true && pending.methods.includes("totp"),
  "login asks for a second factor",
);
const second = await api.POST("/v1/auth/login/mfa", {
  body: { mfa_token: pending?.mfa_token ?? "", method: "totp", code: totp(secret, step + 1) },
});
check(second.response.status === 200 && second.data?.user.email === email, "login with the TOTP code");
const strong = second.data?.session;
check(strong?.amr.includes("otp") === true && strong.aal === 2, "the session has two factors (amr otp, aal 2)");
accessToken = second.data?.access_token;
check((await api.GET("/v1/auth/me")).data?.session.aal === 2, "me: aal 2");

console.log("typescript example: every step passed");
