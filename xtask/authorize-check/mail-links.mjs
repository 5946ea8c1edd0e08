// `cargo xtask mail-links-check` (xtask/src/mail_links.rs): in the system's headless Chromium,
// open a link the server mailed and use the page it leads to, as its recipient would. One step
// a run; xtask checks the API between them.
//
//   STEP=verify  the verification link, in English: the page offers a button; clicked, it says
//                the address is verified. Opened again, the used link says so and offers a new one.
//   STEP=reset   the password link, in German (the browser asks for de-DE): two different
//                passwords are refused before any request, a common one is refused by the
//                server next to the field, then NEW_PASSWORD is set and the page says so.
//   STEP=change  the link that confirms a new address (IDENTITY_EMAIL), in English: the page
//                offers a button; clicked, it says the account's address is now the new one.
//                Opened again, the used link says so (and offers no form: a new link is asked
//                for while signed in).
//
// Environment: STEP, LINK, IDENTITY_EMAIL, NEW_PASSWORD (reset), SCREENSHOTS (a directory:
// each page is photographed there, and on failure), and browser.mjs's CHROMIUM and
// PLAYWRIGHT_DIR. Fails on any script error or Content-Security-Policy violation.
import { join } from "node:path";

import { env, launch } from "./browser.mjs";

const STEP_NAME = env("STEP");
const link = env("LINK");
const email = env("IDENTITY_EMAIL");
const shots = env("SCREENSHOTS");
const TIMEOUT = 15_000;

const step = (what) => console.log(`mail-links-check (${STEP_NAME}): ${what}`);
const expect = (condition, what) => {
  if (!condition) throw new Error(what);
};

const browser = await launch();
const page = await browser.newPage({ locale: STEP_NAME === "reset" ? "de-DE" : "en-US" });
page.setDefaultTimeout(TIMEOUT);
// What the page must not do: throw, or be refused by its own CSP.
const troubles = [];
page.on("pageerror", (error) => troubles.push(`script error: ${error.message}`));
page.on("console", (message) => {
  if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) {
    troubles.push(`CSP: ${message.text()}`);
  }
});
const shoot = async (name) => {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  step(`screenshot ${path}`);
};
const state = (value) => page.locator(`main[data-state="${value}"]`).waitFor();
const messageText = async () => (await page.locator("#message").innerText()).trim();

let failed = false;
try {
  if (STEP_NAME === "verify") {
    await page.goto(link);
    await state("ready");
    expect((await page.locator("html").getAttribute("lang")) === "en", "the page is not in English");
    step("the verification page is ready");
    await shoot("verify-email");
    const answer = page.waitForResponse((r) => r.url().endsWith("/v1/auth/email/verify"));
    await page.locator("#submit").click();
    step(`POST /v1/auth/email/verify answered ${(await answer).status()}`);
    await state("done");
    const done = await messageText();
    expect(done.includes("is verified") && done.includes(email), `the page says: ${done}`);
    expect(await page.locator("#action").isHidden(), "the button is still offered");
    step(`the page says: ${done}`);
    await shoot("verify-email-done");

    // The link again: used, so the page says so and how to get a new one.
    await page.goto(link);
    await state("ready");
    await page.locator("#submit").click();
    await state("invalid_token");
    const used = await messageText();
    expect(used.includes("expired or was already used"), `a used link shows: ${used}`);
    await page.locator("#renew").waitFor({ state: "visible" });
    step(`a used link says: ${used}`);
    await shoot("verify-email-used");
    await page.locator("#renew input[name=email]").fill(email);
    await page.locator("#renew button").click();
    await state("resent");
    step(`asking for a new link says: ${await messageText()}`);
  } else if (STEP_NAME === "reset") {
    const password = env("NEW_PASSWORD");
    await page.goto(link);
    await state("ready");
    expect((await page.locator("html").getAttribute("lang")) === "de", "the page is not in German (de-DE)");
    step("the password page is ready, in German");
    await shoot("reset-password");

    const newPassword = page.locator("input[name=new_password]");
    const confirmation = page.locator("input[name=confirm_password]");
    const submit = page.locator("#submit");
    // Two different passwords: refused in the page, before any request.
    await newPassword.fill(password);
    await confirmation.fill(`${password}!`);
    await submit.click();
    const mismatch = page.locator('.field-error[data-field="confirm_password"]');
    await mismatch.waitFor({ state: "visible" });
    expect((await mismatch.innerText()).includes("stimmen nicht überein"), `mismatch: ${await mismatch.innerText()}`);
    step(`different passwords: ${await mismatch.innerText()}`);

    // A common password: the server's 422, shown next to the field in German.
    await newPassword.fill("password");
    await confirmation.fill("password");
    const refused = page.waitForResponse((r) => r.url().endsWith("/v1/auth/password/reset"));
    await submit.click();
    step(`POST /v1/auth/password/reset answered ${(await refused).status()} for a common password`);
    const weak = page.locator('.field-error[data-field="new_password"]');
    await weak.waitFor({ state: "visible" });
    expect((await weak.innerText()).includes("zu verbreitet"), `a common password shows: ${await weak.innerText()}`);
    step(`a common password: ${await weak.innerText()}`);
    await shoot("reset-password-refused");

    await newPassword.fill(password);
    await confirmation.fill(password);
    const answer = page.waitForResponse((r) => r.url().endsWith("/v1/auth/password/reset"));
    await submit.click();
    step(`POST /v1/auth/password/reset answered ${(await answer).status()}`);
    await state("done");
    const done = await messageText();
    expect(done.includes("Passwort ist geändert"), `the page says: ${done}`);
    step(`the page says: ${done}`);
    await shoot("reset-password-done");
  } else if (STEP_NAME === "change") {
    await page.goto(link);
    await state("ready");
    step("the email-change page is ready");
    await shoot("confirm-email-change");
    const answer = page.waitForResponse((r) => r.url().endsWith("/v1/users/me/email/confirm"));
    await page.locator("#submit").click();
    step(`POST /v1/users/me/email/confirm answered ${(await answer).status()}`);
    await state("done");
    const done = await messageText();
    expect(done.includes("address is now") && done.includes(email), `the page says: ${done}`);
    expect(await page.locator("#action").isHidden(), "the button is still offered");
    step(`the page says: ${done}`);
    await shoot("confirm-email-change-done");

    await page.goto(link);
    await state("ready");
    await page.locator("#submit").click();
    await state("invalid_token");
    const used = await messageText();
    expect(used.includes("already used"), `a used link shows: ${used}`);
    step(`a used link says: ${used}`);
    await shoot("confirm-email-change-used");
  } else {
    throw new Error(`unknown STEP ${STEP_NAME}`);
  }
  expect(troubles.length === 0, troubles.join("; "));
} catch (error) {
  failed = true;
  console.error(`mail-links-check (${STEP_NAME}): FAILED: ${error instanceof Error ? error.message : String(error)}`);
  if (troubles.length > 0) console.error(`mail-links-check (${STEP_NAME}): also: ${troubles.join("; ")}`);
  await page.screenshot({ path: join(shots, `failure-${STEP_NAME}.png`), fullPage: true }).catch(() => {});
  console.error(`mail-links-check (${STEP_NAME}): screenshot at ${join(shots, `failure-${STEP_NAME}.png`)}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
