// Settings → Channels: an admin saves Telegram (its bot token is never
// shown again), sees the inbound URL to paste into the platform, and "Send
// a test message" reaches a loopback stand-in for the Bot API and shows its
// reply.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launch, loginAgent } from "./harness.mjs";

const TOKEN = "123456:ABC-browser_token";
let server, browser, fake, fakeBase;
const calls = [];

before(async () => {
  fake = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      calls.push({ method: req.method, url: req.url, body });
      const sent = JSON.parse(body || "{}");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, result: { message_id: 2030, chat: { id: Number(sent.chat_id) }, text: sent.text } }));
    });
  });
  await new Promise((r) => fake.listen(0, "127.0.0.1", r));
  fakeBase = `http://127.0.0.1:${fake.address().port}`;
  server = await startServer({ FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS: "1" });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  fake?.close();
});

test("Settings → Channels saves Telegram with a write-only token and sends a test message", async () => {
  const admin = await loginAgent(browser, server);
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text-is('Channels')");
  const tg = admin.locator('details[data-platform="telegram"]');
  await tg.locator("summary").click();
  const f = tg.locator("form").first();
  await f.locator('input[name="bot_token"]').fill(TOKEN);
  await f.locator('input[name="secret_token"]').fill("browser-secret");
  await f.locator('input[name="api_base"]').fill(fakeBase);
  await f.locator('button[type="submit"]').click();
  await admin.waitForSelector("#settings-flash:has-text('Telegram saved.')");

  // Shown again: configured, the secret fields empty and marked set.
  await admin.waitForSelector('details[data-platform="telegram"] summary:has-text("configured")');
  const token = admin.locator('details[data-platform="telegram"] input[name="bot_token"]');
  assert.equal(await token.getAttribute("type"), "password");
  assert.equal(await token.inputValue(), "");
  assert.match(await token.getAttribute("placeholder"), /set/);
  assert.ok(!(await admin.content()).includes(TOKEN), "the token is never in the page");
  const stored = (await server.api("GET", "/settings", undefined, server.token)).body.settings["channels.telegram"];
  assert.equal(stored.bot_token, undefined);
  assert.equal(stored.bot_token_set, true);

  // The inbound URL to paste into the platform.
  const inbound = admin.locator('input[aria-label="Telegram inbound URL"]');
  assert.equal(await inbound.inputValue(), server.base + "/channels/telegram");

  // The test send reaches the fake and shows its reply.
  await admin.fill('input[aria-label="Telegram test recipient"]', "42");
  await admin.fill('input[aria-label="Telegram test text"]', "Hello from the settings ✓");
  await admin.locator('details[data-platform="telegram"] button:text("Send a test message")').click();
  await admin.waitForSelector('details[data-platform="telegram"] .channel-answer:has-text("Sent:")', { timeout: 60000 });
  const answer = await admin.locator('details[data-platform="telegram"] .channel-answer').textContent();
  assert.match(answer, /"message_id":2030/);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, `/bot${TOKEN}/sendMessage`);
  assert.deepEqual(JSON.parse(calls[0].body), { chat_id: "42", text: "Hello from the settings ✓" });

  // Register: this server was started without a public URL, so it says
  // how to give it one rather than telling Telegram a wrong address.
  await admin.locator('details[data-platform="telegram"] button:text("Register the inbound URL with Telegram")').click();
  await admin.waitForSelector('details[data-platform="telegram"] .register-answer:has-text("FRONTPORCH_PUBLIC_URL")', { timeout: 60000 });
  assert.equal(calls.length, 1);
  // Meta takes its URL in its console only: no button.
  assert.equal(await admin.locator('details[data-platform="whatsapp"] button:text("Register")').count(), 0);
});

test("a WhatsApp conversation outside the reply window offers the templates", async () => {
  const t = server.token;
  const sb = async (pairs) => {
    const r = await fetch(server.base + "/script/include/api.php", {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: t, ...pairs }).toString(),
    });
    const v = await r.json();
    assert.equal(v.success, true, JSON.stringify(v));
    return v.response;
  };
  const uid = await sb({ function: "add-user", first_name: "Ana", user_type: "user" });
  const c = await sb({ function: "new-conversation", user_id: String(uid), source: "wa", extra: JSON.stringify({ phone_number_id: "1055" }) });
  const cid = Number(c.details.id);
  const put = await server.api("PUT", "/settings", { "channels.whatsapp.templates": [
    { name: "order_update", language: "en_US", text: "Hello {{1}}, your order shipped." }] }, t);
  assert.equal(put.status, 200, JSON.stringify(put.body));

  const admin = await loginAgent(browser, server);
  await admin.click(`#list li[data-id="${cid}"]`);
  await admin.waitForSelector("#channel-window", { timeout: 30000 });
  assert.match(await admin.locator("#channel-window").textContent(), /24-hour reply window is closed/);
  await admin.fill('#channel-window input[aria-label="Template parameters"]', "Ana");
  await admin.click("#channel-window button:text('Send template')");
  await admin.waitForSelector("#messages :text('Hello Ana, your order shipped.')", { timeout: 30000 });
  const rows = (await server.api("GET", "/channels/deliveries", undefined, t)).body.deliveries;
  assert.equal(rows[0].payload.template.name, "order_update");
});
