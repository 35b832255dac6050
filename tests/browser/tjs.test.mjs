// Issue 14, part A: a conversation made through TalkJS's REST API (the
// seed's requests) shows in the inbox like any other, its row naming both
// participants, the participants panel listing them, and the message of the
// participant who is not the owner under that participant's own name, as a
// contact's (not staff's) message. Settings → TalkJS shows the app id.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, loginAgent, forbidDialogs } from "./harness.mjs";

let server, browser, appId;
before(async () => {
  server = await startServer();
  browser = await launch();
  const s = await server.api("GET", "/settings", undefined, server.token);
  appId = s.body.settings["talkjs.app_id"];
  assert.ok(appId, "talkjs.app_id is generated");
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A TalkJS REST call as the seed's curl makes it. */
async function talkjs(method, path, body) {
  const res = await fetch(`${server.base}/v1/${appId}${path}`, {
    method, headers: { "content-type": "application/json", authorization: "Bearer " + server.token }, body,
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${path}: ${text}`);
  return JSON.parse(text);
}

test("the inbox shows a TalkJS conversation with both participants named", async () => {
  await talkjs("PUT", "/users/12081", '{ "name":"Alice", "email": ["alice@example.com"], "welcomeMessage": "Hey there! :-)", "role": "buyer" }');
  await talkjs("PUT", "/users/8029", '{ "name":"Bob", "email": ["bob@example.com"], "role": "seller" }');
  await talkjs("PUT", "/conversations/order_391_fc", '{ "participants": ["12081", "8029"], "subject": "What a lovely day!", "custom": { "category": "order_inquiry" } }');
  await talkjs("POST", "/conversations/order_391_fc/messages", '[{ "text": "Hello Alice!", "sender": "8029", "type": "UserMessage" }]');
  // A conversation without messages is not in the inbox (the seed: "The
  // Inbox only shows a conversation that contains one or more messages").
  await talkjs("PUT", "/conversations/order_392_fc", '{ "participants": ["12081", "8029"], "subject": "Nothing said yet" }');

  const page = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(page, dialogs);
  const row = page.locator("#list li.row", { hasText: "Hello Alice!" });
  await row.waitFor({ timeout: 20000 });
  const name = await row.locator(".name").textContent();
  assert.match(name, /Alice, Bob/, "the row names both participants");
  assert.match(name, /What a lovely day!/, "and the subject");
  assert.equal(await page.locator("#list li.row", { hasText: "Nothing said yet" }).count(), 0, "no row for a conversation without messages");

  await row.click();
  await page.waitForSelector("#participants li .participant-name");
  const names = await page.$$eval("#participants .participant-name", (els) => els.map((e) => e.textContent));
  assert.ok(names.includes("Alice") && names.includes("Bob"), JSON.stringify(names));

  // Bob (not the owner) wrote: his name on the message, a contact's side.
  const msg = page.locator("#messages li.msg", { hasText: "Hello Alice!" });
  await msg.waitFor();
  assert.match(await msg.locator(".meta").textContent(), /^Bob/);
  assert.equal(await msg.evaluate((li) => li.classList.contains("staff")), false);
  assert.match(await page.textContent("#thread-title"), /Alice, Bob/);

  // Settings → TalkJS: the app id, read-only.
  await page.click("#settings-button");
  await page.click('#settings-tabs button:text-is("TalkJS")');
  const input = page.locator("#talkjs-app-id");
  await input.waitFor();
  assert.equal(await input.inputValue(), appId);
  assert.equal(await input.getAttribute("readonly"), "");
  assert.deepEqual(dialogs, []);
});
