// Starts the real frontporch binary and a "host site" on another origin,
// and launches Debian's Chromium through playwright-core.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "browser-tests-1";
// The binary tests/run.sh built: in CARGO_TARGET_DIR (relative to the
// repository, as cargo reads it) or target/.
const ROOT = new URL("../../", import.meta.url).pathname;
const TARGET = process.env.CARGO_TARGET_DIR || "target";
const BIN = process.env.FRONTPORCH_BIN || (TARGET.startsWith("/") ? TARGET : ROOT + TARGET) + "/debug/frontporch";

export async function startServer(env = {}) {
  const data = mkdtempSync(join(tmpdir(), "frontporch-browser-"));
  const child = spawn(BIN, ["serve", "--addr", "127.0.0.1:0", "--data", data], {
    // Many visitors and logins come from one address here: no rate limits
    // (the Rust integration tests check them).
    env: { ...process.env, FRONTPORCH_RATE_LIMITS: "off", FRONTPORCH_BCRYPT_COST: "4", FRONTPORCH_ADMIN_EMAIL: ADMIN_EMAIL, FRONTPORCH_ADMIN_PASSWORD: ADMIN_PASSWORD, RUST_LOG: "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => { if (line.startsWith("listening on ")) resolve(line.slice("listening on ".length)); });
    child.on("exit", (code) => reject(new Error("server exited " + code)));
  });
  const server = {
    base,
    data,
    async stop() { child.kill("SIGKILL"); rmSync(data, { recursive: true, force: true }); },
    async api(method, path, body, token) {
      const headers = { "content-type": "application/json" };
      if (token) headers.authorization = "Bearer " + token;
      const res = await fetch(base + "/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
  };
  /** Sets the first admin online or away, as they would in the inbox. */
  server.presence = async (online) => {
    const login = await fetch(base + "/api/v1/auth/login", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    });
    const cookie = login.headers.get("set-cookie").split(";")[0];
    const { csrf_token } = await login.json();
    const r = await fetch(base + "/api/v1/me/presence", {
      method: "PUT", headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf_token },
      body: JSON.stringify({ online }),
    });
    if (!r.ok) throw new Error("presence " + r.status);
  };
  // An admin API token for set-up calls, made through the CLI like a user would.
  server.token = await new Promise((resolve, reject) => {
    const p = spawn(BIN, ["token", "create", "--name", "browser-tests", "--role", "admin", "--data", data], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error("token create failed"))));
  });
  return server;
}

/** A page on another origin that embeds the widget with one script tag. */
export async function startHostSite(widgetBase, extraHead = "") {
  const srv = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><title>Host site</title>${extraHead}</head>
<body style="font-family: serif; background: #fafafa">
<h1>ACME Widgets</h1><p>The best widgets on the internet.</p>
<script>window.frontporch = window.frontporch || function () { (frontporch.q = frontporch.q || []).push(arguments) };</script>
<script src="${widgetBase}/widget.js" async></script>
</body></html>`);
  });
  await new Promise((ok) => srv.listen(0, "127.0.0.1", ok));
  // A test that fails before close() must not keep node running for ever.
  srv.unref();
  // "localhost" and "127.0.0.1" are different origins (and sites).
  return { url: `http://localhost:${srv.address().port}/`, close: () => srv.close() };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

/** Fails the test on any dialog (an XSS payload calling alert would open one). */
export function forbidDialogs(page, seen) {
  page.on("dialog", async (d) => { seen.push(d.message()); await d.dismiss(); });
}

export async function loginAgent(browser, server) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(server.base + "/admin");
  await page.fill('input[name="email"]', ADMIN_EMAIL);
  await page.fill('input[name="password"]', ADMIN_PASSWORD);
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector("#app:not([hidden])");
  return page;
}
