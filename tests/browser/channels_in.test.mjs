// Issue 12 (messaging platforms in): a Telegram conversation shows its
// channel in the list row and the thread's header, its text as text (never
// HTML), and a photo that arrives after the message appears live.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launch, forbidDialogs, loginAgent } from "./harness.mjs";

const SECRET = "browser-secret-token";
const BOT = "42:browser";
// The smallest file the server takes as a JPEG (SOI, JFIF APP0, EOI).
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);

let server, browser, telegram;
let filesUp = false;
before(async () => {
  // Telegram's Bot API for files (getFile, then the file), answering 503
  // until the test lets it.
  telegram = createServer((req, res) => {
    if (!filesUp) { res.writeHead(503, { "content-type": "application/json" }); return res.end('{"ok":false}'); }
    if (req.url.startsWith(`/bot${BOT}/getFile`)) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ ok: true, result: { file_id: "big", file_path: "photos/p.jpg" } }));
    }
    res.writeHead(200, { "content-type": "image/jpeg" });
    res.end(JPEG);
  });
  await new Promise((ok) => telegram.listen(0, "127.0.0.1", ok));
  telegram.unref();
  server = await startServer({ FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS: "1", FRONTPORCH_RETRY_BASE_MS: "200" });
  browser = await launch();
  const saved = await server.api("PUT", "/settings", { "channels.telegram": {
    bot_token: BOT, secret_token: SECRET, api_base: `http://127.0.0.1:${telegram.address().port}` } }, server.token);
  assert.equal(saved.status, 200);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  telegram?.close();
});

/** Posts a Telegram update to the server as the Bot API does. */
async function deliver(update) {
  const res = await fetch(server.base + "/channels/telegram", {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    body: JSON.stringify(update),
  });
  assert.equal(res.status, 200, await res.text());
}

test("a Telegram conversation shows its channel, its text as text, and a photo arriving live", async () => {
  const text = "<b>x</b> <img src=x onerror=window.pwned=1> ¿Qué tal? 🚲";
  await deliver({ update_id: 1, message: { message_id: 1, date: 1, text,
    from: { id: 9001, first_name: "<i>Zoë</i>", last_name: "Ünal" }, chat: { id: 9001, type: "private" } } });
  const list = await server.api("GET", "/conversations?source=tg", undefined, server.token);
  const cid = list.body.conversations[0].id;

  const page = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(page, dialogs);
  const row = page.locator(`#list li[data-id="${cid}"]`);
  await row.waitFor();
  assert.equal(await row.locator(".channel-badge").textContent(), "Telegram");
  await row.click();
  const badge = page.locator("#thread-channel");
  await badge.waitFor({ state: "visible" });
  assert.equal(await badge.textContent(), "Telegram");
  const bubble = page.locator("#messages .bubble").first();
  await bubble.waitFor();
  assert.equal(await bubble.textContent(), text);
  assert.equal(await page.locator("#messages b, #messages i, #messages img").count(), 0, "no markup rendered");

  // A photo: the message shows it pending, then the file once fetched.
  await deliver({ update_id: 2, message: { message_id: 2, date: 2, caption: "voilà",
    from: { id: 9001, first_name: "Zoë" }, chat: { id: 9001, type: "private" },
    photo: [{ file_id: "small" }, { file_id: "big" }] } });
  const pending = page.locator("#messages .channel-line.pending");
  await pending.waitFor({ timeout: 30000 });
  assert.match(await pending.textContent(), /arriving/);
  filesUp = true;
  await page.locator("#messages img").first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator("#messages .channel-line.pending").count(), 0);
  // Still in its place: the photo's message is the last one, the first text first.
  const bubbles = await page.locator("#messages .msg .bubble").allTextContents();
  assert.equal(bubbles[0], text);
  assert.match(bubbles[bubbles.length - 1], /voilà/);

  // A conversation opened in the widget says "Web".
  const session = await fetch(server.base + "/api/v1/widget/session", { method: "POST",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "Web" }) }).then((r) => r.json());
  const web = await server.api("POST", "/conversations", { user_id: session.user.id, message: { body: "hello from the site", user_id: session.user.id } }, server.token);
  assert.equal(web.status, 201, JSON.stringify(web.body));
  const webRow = page.locator(`#list li[data-id="${web.body.conversation.id}"]`);
  await webRow.waitFor({ timeout: 30000 });
  assert.equal(await webRow.locator(".channel-badge").textContent(), "Web");
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(dialogs, []);
});
