// Settings → Email: an admin sets up SMTP, the password is never shown
// again, and "Send a test email" reaches a real SMTP server (aiosmtpd,
// tests/mail/smtp_server.py) and shows the server's reply.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startServer, launch, loginAgent } from "./harness.mjs";

const SCRIPT = new URL("../mail/smtp_server.py", import.meta.url).pathname;
let server, browser, smtp, smtpDir, smtpPort;

before(async () => {
  smtpDir = mkdtempSync(join(tmpdir(), "frontporch-smtp-"));
  smtp = spawn("python3", [SCRIPT, smtpDir], { stdio: ["ignore", "pipe", "inherit"] });
  smtpPort = await new Promise((resolve, reject) => {
    createInterface({ input: smtp.stdout }).on("line", (l) => { if (l.startsWith("port ")) resolve(Number(l.slice(5))); });
    smtp.on("exit", (code) => reject(new Error("the SMTP server exited " + code + " (pip install aiosmtpd)")));
  });
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  smtp?.kill("SIGKILL");
  if (smtpDir) rmSync(smtpDir, { recursive: true, force: true });
});

test("Settings → Email saves SMTP with a write-only password and sends a test email", async () => {
  const admin = await loginAgent(browser, server);
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text('Email')");
  const smtpForm = admin.locator("#settings-body form").first();
  await smtpForm.locator('input[name="host"]').fill("127.0.0.1");
  await smtpForm.locator('input[name="port"]').fill(String(smtpPort));
  await smtpForm.locator('select[name="security"]').selectOption("none");
  await smtpForm.locator('input[name="password"]').fill("s3cret-pw");
  await smtpForm.locator('input[name="from_address"]').fill("support@frontporch.test");
  await smtpForm.locator('input[name="from_name"]').fill("ACME Support");
  await smtpForm.locator('button[type="submit"]').click();
  await admin.waitForSelector("#settings-flash:has-text('SMTP settings saved.')");

  // Shown again: the password field is empty, and says one is saved.
  const pw = admin.locator("#settings-body form").first().locator('input[name="password"]');
  await admin.waitForFunction(() => document.querySelector('#settings-body input[name="password"]')?.placeholder.includes("saved"));
  assert.equal(await pw.inputValue(), "");
  assert.ok(!(await admin.content()).includes("s3cret-pw"));
  const stored = (await server.api("GET", "/settings", undefined, server.token)).body.settings["email.smtp"];
  assert.equal(stored.password, undefined);
  assert.equal(stored.password_set, true);

  await admin.fill('#settings-body input[aria-label="Test recipient"]', "me@example.com");
  await admin.click("button:text('Send a test email')");
  await admin.waitForSelector(".email-answer:has-text('Sent: 250')", { timeout: 60000 });
  const files = readdirSync(smtpDir).filter((f) => f.endsWith(".json"));
  assert.equal(files.length, 1);
  const got = JSON.parse(readFileSync(join(smtpDir, files[0]), "utf8"));
  assert.deepEqual(got.rcpt_tos, ["me@example.com"]);
  assert.ok(got.headers.some(([k, v]) => k === "From" && v.includes("ACME Support")));

  // Per-agent notifications: the admin turns their own off.
  await admin.locator("label.check:has-text('admin@example.com') input").uncheck();
  await admin.click("#settings-body form:has(input[name=every_minutes]) button[type=submit]");
  await admin.waitForSelector("#settings-flash:has-text('Notifications saved.')");
  const me = (await server.api("GET", "/users?type=admin", undefined, server.token)).body.users[0].id;
  const n = (await server.api("GET", "/settings", undefined, server.token)).body.settings["email.notifications"];
  assert.deepEqual(n.agents_off, [me]);
  assert.equal(n.contacts, true);
});
