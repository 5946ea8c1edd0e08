// The pages mailed links open (crates/identity-http/src/pages): reads the token from the
// link, POSTs it to the API and shows the answer in the page's language. The texts come
// from the page's <template id="messages">, rendered by the server in that language.
"use strict";

(() => {
  const main = document.querySelector("main[data-page]");
  if (!main) return;
  const page = main.dataset.page;
  const messages = document.getElementById("messages").content;
  const action = document.getElementById("action");
  const renew = document.getElementById("renew");
  const message = document.getElementById("message");

  // A text of the page, its `{name}` placeholders filled in from `values`; null when the
  // page has none under `key`.
  const text = (key, values = {}) => {
    const node = messages.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!node) return null;
    return node.textContent.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  };
  const capitalized = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

  // The token: `?token=…` (the default links) or `#token=…` (a fragment never reaches a server log).
  const fromFragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = (new URLSearchParams(location.search).get("token") || fromFragment.get("token") || "").trim();

  // The language links keep the token and everything else of the address.
  for (const link of document.querySelectorAll("nav.languages a[data-lang]")) {
    const url = new URL(location.href);
    url.searchParams.set("lang", link.dataset.lang);
    link.href = url.toString();
  }

  const show = (kind, content) => {
    message.className = `message ${kind}`;
    message.replaceChildren(...(Array.isArray(content) ? content : [content]));
    message.hidden = false;
  };
  const hideMessage = () => {
    message.hidden = true;
    message.replaceChildren();
  };
  const setState = (state) => {
    main.dataset.state = state;
  };

  const clearFieldErrors = (form) => {
    for (const slot of form.querySelectorAll(".field-error")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  };
  const fieldError = (form, field, words) => {
    const slot = form.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`);
    if (!slot) return false;
    slot.textContent = slot.textContent ? `${slot.textContent} ${words}` : words;
    slot.hidden = false;
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      if (!form.querySelector("[aria-invalid]:focus")) input.focus();
    }
    return true;
  };

  // One POST to the API: { status, body, retryAfter } or { network: true }.
  const post = async (path, body) => {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, application/problem+json" },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch {
      return { network: true };
    }
    let data = null;
    if ((response.headers.get("content-type") || "").includes("json")) {
      data = await response.json().catch(() => null);
    }
    return { status: response.status, body: data, retryAfter: response.headers.get("retry-after") };
  };

  // The page has a form for a new link (verify, reset) or not (an email change: asked for
  // again while signed in).
  const invalidLink = () => {
    action.hidden = true;
    show("error", text("invalid_token"));
    setState("invalid_token");
    if (renew) renew.hidden = false;
  };

  // Shows a refused request in words: an expired or used link, field errors next to their
  // fields (or listed), a rate limit, an outage, or else the problem's own `detail` and `code`.
  const refused = (answer, form) => {
    if (answer.network) {
      show("error", text("network"));
      return;
    }
    const problem = answer.body || {};
    const errors = Array.isArray(problem.errors) ? problem.errors : [];
    if (problem.code === "invalid_token" || (errors.length > 0 && errors.every((e) => e.field === "token"))) {
      invalidLink();
      return;
    }
    if (answer.status === 429) {
      const seconds = Number.parseInt(answer.retryAfter || "", 10);
      show("error", text("rate_limited", { seconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 60 }));
      return;
    }
    if (answer.status === 503) {
      show("error", text("unavailable"));
      return;
    }
    if (problem.code === "validation_failed" && errors.length > 0) {
      const elsewhere = [];
      for (const error of errors) {
        const words =
          text(`field_${error.code}`) ||
          (error.field === "email" ? text("field_email") : null) ||
          capitalized(error.message || error.code);
        if (!fieldError(form, error.field, words)) elsewhere.push(`${error.field}: ${words}`);
      }
      if (elsewhere.length > 0) {
        const list = document.createElement("ul");
        for (const line of elsewhere) {
          const item = document.createElement("li");
          item.textContent = line;
          list.append(item);
        }
        show("error", [text("check_input"), list]);
      } else {
        hideMessage();
      }
      return;
    }
    show(
      "error",
      text("unexpected", {
        detail: problem.detail || problem.title || `HTTP ${answer.status}`,
        code: problem.code || answer.status,
      }),
    );
  };

  const busy = (form, yes) => {
    for (const button of form.querySelectorAll("button")) button.disabled = yes;
    form.setAttribute("aria-busy", String(yes));
  };

  // The form under an expired or used link: a new link to the address typed.
  const renewPath = page === "verify-email" ? "/v1/auth/email/verify/resend" : "/v1/auth/password/forgot";
  renew?.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(renew);
    const email = renew.elements.email.value.trim();
    if (!email) {
      fieldError(renew, "email", text("field_email"));
      return;
    }
    busy(renew, true);
    const answer = await post(renewPath, { email });
    busy(renew, false);
    if (answer.status === 202) {
      renew.hidden = true;
      show("ok", text("resent", { email }));
      setState("resent");
    } else {
      refused(answer, renew);
    }
  });

  if (!token) {
    show("error", text("missing_token"));
    setState("missing_token");
    return;
  }

  action.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(action);
    let answer;
    if (page === "verify-email" || page === "confirm-email-change") {
      const path = page === "verify-email" ? "/v1/auth/email/verify" : "/v1/users/me/email/confirm";
      busy(action, true);
      show("pending", text("working"));
      answer = await post(path, { token });
      busy(action, false);
      if (answer.status === 200) {
        action.hidden = true;
        show("ok", text("done", { email: (answer.body && answer.body.email) || "" }));
        setState("done");
        return;
      }
      if (answer.status === 409 && answer.body && answer.body.code === "email_taken") {
        action.hidden = true;
        show("error", text("email_taken"));
        setState("email_taken");
        return;
      }
    } else {
      const password = action.elements.new_password.value;
      const confirmation = action.elements.confirm_password.value;
      if (!password) {
        fieldError(action, "new_password", text("field_required"));
        return;
      }
      if (password !== confirmation) {
        fieldError(action, "confirm_password", text("mismatch"));
        return;
      }
      busy(action, true);
      show("pending", text("working"));
      answer = await post("/v1/auth/password/reset", { token, new_password: password });
      busy(action, false);
      if (answer.status === 204) {
        action.hidden = true;
        action.reset();
        show("ok", text("done"));
        setState("done");
        return;
      }
    }
    refused(answer, action);
    if (main.dataset.state !== "invalid_token") setState("refused");
  });

  action.hidden = false;
  setState("ready");
})();
