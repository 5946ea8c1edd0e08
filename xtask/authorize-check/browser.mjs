// What the browser checks share (`check.mjs` of `cargo xtask authorize-check`, `mail-links.mjs`
// of `cargo xtask mail-links-check`): their environment and the system's headless Chromium,
// driven by playwright-core.
//
// Environment: CHROMIUM (the executable), PLAYWRIGHT_DIR (where `npm ci` installed
// playwright-core); both set by xtask's `authorize::Browser`.
import { createRequire } from "node:module";
import { join } from "node:path";

/** The value of the environment variable `name`; throws when it is unset or empty. */
export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** Headless Chromium, launched. `options` go to `chromium.launch`. */
export const launch = async (options = {}) => {
  const require = createRequire(join(env("PLAYWRIGHT_DIR"), "package.json"));
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: env("CHROMIUM"),
    headless: true,
    // Containers and CI runners often run as root without user namespaces.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    ...options,
  });
};
