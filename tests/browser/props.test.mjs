// Issue 13, part "props" in the inbox: likes and comments under a message
// (`/action like`, `/action comment`), and "Merge another conversation into
// this one" (`/import`) showing the two threads interwoven by time.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const pause = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A visitor session: its token. */
async function visitor(name) {
  const s = await server.api("POST", "/widget/session", { first_name: name });
  assert.equal(s.status, 201);
  return s.body.token;
}

async function open(token, body) {
  const c = await server.api("POST", "/widget/conversations", { message: { body } }, token);
  assert.equal(c.status, 201, JSON.stringify(c.body));
  return c.body.conversation.id;
}

async function say(token, id, body) {
  const m = await server.api("POST", `/widget/conversations/${id}/messages`, { body }, token);
  assert.equal(m.status, 201, JSON.stringify(m.body));
  return m.body.message.id;
}

async function inbox(id) {
  const page = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(server.base + `/admin#conversation=${id}`);
  await page.waitForSelector("#thread:not([hidden])");
  return { page, dialogs };
}

test("a like and a comment from the inbox are shown under the message", async () => {
  const token = await visitor("Lina");
  const id = await open(token, "Do you ship to Norway?");
  const second = await say(token, id, "<img src=x onerror=alert(1)> and Sweden?");
  const { page, dialogs } = await inbox(id);
  const row = `#messages li[data-id="${second}"] .reactions`;
  await page.waitForSelector(row + " button.like");
  await page.click(row + " button.like");
  await page.waitForSelector(row + " button.like.liked");
  assert.match(await page.textContent(row + " button.like"), /Liked · 1/);

  // A comment, whose text stays text.
  await page.fill(row + ' input[aria-label="Comment on this message"]', "Ask <b>logistics</b> first");
  await page.click(row + " .reaction-bar button:not(.like)");
  await page.waitForSelector(row + " ul.comments li");
  assert.match(await page.textContent(row + " ul.comments li"), /Ask <b>logistics<\/b> first/);
  assert.equal(await page.$$eval(row + " ul.comments b", (b) => b.length), 0);

  // The server has them (what /v2 and REST read).
  const r = await server.api("GET", `/conversations/${id}/reactions`, undefined, server.token);
  const mine = r.body.reactions.find((x) => x.message_id === second);
  assert.equal(mine.likes.length, 1);
  assert.equal(mine.comments[0].text, "Ask <b>logistics</b> first");
  // And a second inbox sees them on opening.
  const other = await inbox(id);
  await other.page.waitForSelector(row + " ul.comments li");
  assert.match(await other.page.textContent(row + " button.like"), /· 1/);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(other.dialogs, []);
});

test("merging from the inbox shows the two threads interwoven by time", async () => {
  const token = await visitor("Mia");
  const a = await open(token, "A1 first question");
  await pause(20);
  const b = await open(token, "B1 another question");
  for (const [id, body] of [[a, "A2"], [b, "B2"], [a, "A3"], [b, "B3"]]) {
    await pause(20);
    await say(token, id, body);
  }
  const { page, dialogs } = await inbox(a);
  await page.waitForSelector("#messages li.msg");
  await page.click("#actions .merge-button");
  await page.waitForSelector("dialog.merge[open]");
  // The other conversation of this contact is offered.
  await page.selectOption("dialog.merge select", String(b));
  await page.click('dialog.merge button[type="submit"]');
  await page.waitForSelector("dialog.merge .merge-question");
  assert.match(await page.textContent("dialog.merge .merge-question"), new RegExp(`#${b}.*TRANSFERRED`));
  await page.click('dialog.merge button[type="submit"]');
  await page.waitForSelector("dialog.merge", { state: "detached" });

  // The thread, top to bottom: by time, the copies among the originals.
  const bodies = async () => page.$$eval("#messages li.msg:not(.private) .bubble", (l) => l.map((b) => b.textContent));
  for (let i = 0; i < 200; i++) {
    if ((await bodies()).length >= 6) break;
    await pause(100);
  }
  assert.deepEqual(await bodies(), ["A1 first question", "B1 another question", "A2", "B2", "A3", "B3"]);
  const o = await server.api("GET", `/conversations/${b}?limit=1`, undefined, server.token);
  assert.equal(o.body.conversation.title, "TRANSFERRED");
  assert.equal(o.body.conversation.status, 3);
  assert.deepEqual(dialogs, []);
});

test("the widget shows a merged thread interwoven by time, without reloading", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.fill("#input", "W1 from the widget");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('W1 from the widget')");
  const list = await server.api("GET", "/conversations?status=all&limit=50", undefined, server.token);
  const a = list.body.conversations.find((c) => c.last_message && c.last_message.body === "W1 from the widget");
  assert.ok(a);
  // The same contact wrote elsewhere too (an API conversation), in between.
  await pause(20);
  const b = await server.api("POST", "/conversations", { user_id: a.user_id, source: "api",
    message: { body: "E1 by email", user_id: a.user_id } }, server.token);
  assert.equal(b.status, 201, JSON.stringify(b.body));
  await pause(20);
  await frame.fill("#input", "W2 from the widget");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('W2 from the widget')");
  await pause(20);
  const e2 = await server.api("POST", `/conversations/${b.body.conversation.id}/messages`, { body: "E2 by email", user_id: a.user_id }, server.token);
  assert.equal(e2.status, 201, JSON.stringify(e2.body));

  const r = await server.api("POST", `/conversations/${a.id}/commands`, { text: `/import ${b.body.conversation.id}` }, server.token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await frame.waitForSelector(".msg .bubble:text('E2 by email')");
  const bodies = await frame.$$eval("#messages li.msg .bubble", (l) => l.map((b) => b.textContent));
  assert.deepEqual(bodies, ["W1 from the widget", "E1 by email", "W2 from the widget", "E2 by email"]);
  assert.deepEqual(dialogs, []);
});
