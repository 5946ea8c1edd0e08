// `cargo xtask authorize-check` (xtask/src/authorize.rs): in the system's headless Chromium,
// open the server's Swagger UI, sign in with *Authorize* → the OAuth2 password flow, then
// *Try it out* on `GET /v1/auth/me` and expect a 200 with the user's email.
//
// Environment: IDENTITY_BASE_URL, IDENTITY_EMAIL, IDENTITY_PASSWORD, SCREENSHOT (written on
// failure), and browser.mjs's CHROMIUM and PLAYWRIGHT_DIR.
import { env, launch } from "./browser.mjs";

const base = env("IDENTITY_BASE_URL");
const email = env("IDENTITY_EMAIL");
const password = env("IDENTITY_PASSWORD");
const STEP = 15_000;

const browser = await launch();
const page = await browser.newPage();
const step = (what) => console.log(`authorize-check: ${what}`);
let failed = false;
try {
  page.setDefaultTimeout(STEP);
  await page.goto(`${base}/docs/`);
  await page.locator(".swagger-ui .information-container").waitFor();
  step("Swagger UI loaded");

  await page.locator("button.btn.authorize").first().click();
  const dialog = page.locator(".dialog-ux .modal-ux");
  await dialog.waitFor();
  const username = dialog.locator("input#oauth_username");
  if ((await username.count()) === 0) {
    const schemes = await dialog.locator(".auth-container h4").allInnerTexts();
    throw new Error(
      `the Authorize dialog has no OAuth2 password flow (schemes offered: ${schemes.join(", ") || "none"}); ` +
        "the document needs an oauth2 security scheme with a password flow whose tokenUrl is /v1/auth/token",
    );
  }
  const container = dialog.locator(".auth-container", { has: page.locator("input#oauth_username") });
  await username.fill(email);
  await container.locator("input#oauth_password").fill(password);
  const tokenAnswer = page.waitForResponse((r) => r.url().includes("/v1/auth/token"));
  await container.locator("button.authorize").click();
  const answer = await tokenAnswer;
  step(`token endpoint answered ${answer.status()}`);
  if (answer.status() !== 200) throw new Error(`the token endpoint answered ${answer.status()}: ${await answer.text()}`);
  // Authorized: the form gives way to a Logout button.
  await dialog.locator("button", { hasText: "Logout" }).first().waitFor();
  step("authorized with the OAuth2 password flow");
  await dialog.locator("button.close-modal").click();

  const operation = page.locator('.opblock.opblock-get:has(.opblock-summary-path[data-path="/v1/auth/me"])').first();
  await operation.locator(".opblock-summary").first().click();
  await operation.locator("button.try-out__btn").click();
  const meAnswer = page.waitForResponse((r) => r.url().endsWith("/v1/auth/me"));
  await operation.locator("button.execute").click();
  const me = await meAnswer;
  const sent = await me.request().allHeaders();
  step(`GET /v1/auth/me answered ${me.status()} (Authorization: ${sent.authorization ? "Bearer …" : "none"})`);
  const status = operation.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  const shown = (await status.innerText()).trim();
  const body = (await operation.locator(".live-responses-table .response-col_description pre").first().innerText()).trim();
  if (shown !== "200") throw new Error(`Swagger UI shows ${shown} for GET /v1/auth/me: ${body.slice(0, 300)}`);
  if (!body.includes(email)) throw new Error(`the answer does not name ${email}: ${body.slice(0, 300)}`);
  step(`Swagger UI shows 200 with ${email}`);
} catch (error) {
  failed = true;
  console.error(`authorize-check: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  await page.screenshot({ path: env("SCREENSHOT"), fullPage: true }).catch(() => {});
  console.error(`authorize-check: screenshot at ${env("SCREENSHOT")}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
