// An account's life through the generated client, against a running server (`cargo xtask
// clients --check` packs the client, installs the tarball into an empty npm project with this
// file and example/tsconfig.json, type-checks and runs it there, against a server it starts):
// register → verify the address → login → me → profile and preferences → refresh → sessions →
// logout → forgot and reset the password → login with the new one, and an admin's user listing.
//
// The server runs without SMTP_URL and with MAIL_LOG_BODIES=true: its mails, links included,
// are JSON lines of its log (IDENTITY_MAIL_LOG).
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
const login = await api.POST("/v1/auth/login", { body: { email, password } });
check(login.response.status === 200 && login.data !== undefined, "login");
let session: Schemas["LoginResponse"] | undefined = login.data;
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
check(again.response.status === 200 && again.data?.user.email === email, "login with the new password");

const renewed = again.data;

// An admin lists users.
const admin = await api.POST("/v1/auth/login", {
  body: { email: env("IDENTITY_ADMIN_EMAIL"), password: env("IDENTITY_ADMIN_PASSWORD") },
});
accessToken = admin.data?.access_token;
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

console.log("typescript example: every step passed");
