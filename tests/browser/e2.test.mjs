// Issue 11 (email in): a conversation that came in by email shows its
// subject and addresses, the quoted text folded behind a toggle, all as
// text (a subject or body with markup is never rendered as HTML).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startServer, launch, forbidDialogs, loginAgent } from "./harness.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const TARGET = process.env.CARGO_TARGET_DIR || "target";
const BIN = process.env.FRONTPORCH_BIN || (TARGET.startsWith("/") ? TARGET : ROOT + TARGET) + "/debug/frontporch";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Pipes one message into `frontporch mail-in`. */
function pipeMail(raw) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ["mail-in", "--data", server.data], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error("mail-in exited " + code))));
    p.stdin.end(raw);
  });
}

test("an email conversation shows subject, addresses and the quoted text behind a toggle", async () => {
  const raw = [
    "From: Ann <ann@customer.test>",
    "To: support@example.com",
    "Cc: boss@customer.test",
    "Subject: <img src=x onerror=window.pwned=1> Broken printer",
    "Message-ID: <b1@customer.test>",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "It prints <b>nothing</b>.",
    "",
    "On Mon, Support wrote:",
    "> Did you try turning it off?",
    "",
  ].join("\r\n");
  await pipeMail(raw);
  const list = await server.api("GET", "/conversations?source=em", undefined, server.token);
  const cid = list.body.conversations[0].id;

  const page = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.click(`#list li[data-id="${cid}"]`);
  const details = page.locator("#messages .email-details").first();
  await details.waitFor();
  assert.equal(await details.locator(".email-subject").textContent(), "<img src=x onerror=window.pwned=1> Broken printer");
  const lines = await details.locator(".email-line").allTextContents();
  assert.deepEqual(lines, ["From: Ann <ann@customer.test>", "To: support@example.com", "Cc: boss@customer.test"]);
  assert.equal(await page.locator("#messages .bubble").first().textContent(), "It prints <b>nothing</b>.");
  const full = details.locator(".email-full");
  assert.equal(await full.isVisible(), false, "quoted text folded");
  await details.locator(".email-toggle").click();
  assert.equal(await full.isVisible(), true);
  assert.match(await full.textContent(), /> Did you try turning it off\?/);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator("#messages img").count(), 0, "no markup rendered");
  assert.deepEqual(dialogs, []);
});
