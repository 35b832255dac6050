// Issue 10, bugs 1, 2 and 4: a returning visitor's own messages, presence
// reaching an open widget, and the rating shown to agents.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, loginAgent, forbidDialogs } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function visitorPage(site) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.waitForSelector("#launcher");
  return { page, frame, dialogs };
}

/** The conversation whose last message is `body` (admin API). */
async function conversationWith(body) {
  const r = await server.api("GET", "/conversations?status=all&limit=50", undefined, server.token);
  const c = r.body.conversations.find((c) => c.last_message && c.last_message.body === body);
  assert.ok(c, "conversation with " + body);
  return c.id;
}

test("bug 1: a returning visitor's own messages stay theirs after a reload", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const { page, frame, dialogs } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.fill("#input", "Mine before the reload");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine .bubble:text('Mine before the reload')");
  const cid = await conversationWith("Mine before the reload");
  const conv = await server.api("GET", `/conversations/${cid}`, undefined, server.token);
  const mid = conv.body.messages.find((m) => m.body === "Mine before the reload").id;
  // An agent reads it, and answers.
  assert.equal((await server.api("POST", `/conversations/${cid}/read`, { message_id: mid }, server.token)).status, 200);
  await frame.waitForSelector(".msg.mine[data-id] .meta:has-text('Read')");
  await server.api("POST", `/conversations/${cid}/messages`, { body: "An answer" }, server.token);
  await frame.waitForSelector(".msg:not(.mine) .bubble:text('An answer')");

  await page.reload();
  const frame2 = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame2.click("#launcher");
  await frame2.waitForSelector(".bubble:text('An answer')");
  // Still the visitor's own: right-hand, no avatar, with its read label.
  const before = frame2.locator(".msg", { hasText: "Mine before the reload" });
  assert.match(await before.getAttribute("class"), /\bmine\b/);
  assert.equal(await before.locator(".avatar").count(), 0);
  assert.match(await before.locator(".meta").textContent(), /Read/);
  assert.doesNotMatch(await frame2.locator(".msg", { hasText: "An answer" }).getAttribute("class"), /\bmine\b/);
  // And what they send after the reload too.
  await frame2.fill("#input", "Mine after the reload");
  await frame2.press("#input", "Enter");
  await frame2.waitForSelector(".msg.mine .bubble:text('Mine after the reload')");
  assert.equal(await frame2.locator(".msg:not(.mine)", { hasText: "Mine after the reload" }).count(), 0);
  assert.deepEqual(dialogs, []);
  site.close();
});

test("bug 2: an agent coming online (and going away) reaches an open widget", async () => {
  await server.presence(false);
  const site = await startHostSite(server.base);
  const { frame } = await visitorPage(site);
  await frame.click("#launcher");
  // Everyone away: the offline form.
  await frame.waitForSelector("#offline:not([hidden])");
  assert.equal(await frame.textContent("#subtitle"), "We are away right now — leave a message");
  await frame.fill("#offline input[name=email]", "away@example.com");
  await frame.fill("#offline textarea", "Anyone there?");
  await frame.click("#offline button[type=submit]");
  await frame.waitForSelector("#offline-done:not([hidden])");
  await frame.waitForSelector(".msg.mine .bubble:text('Anyone there?')");

  // An agent comes online: the widget says so without a reload.
  await server.presence(true);
  await frame.waitForFunction(() => document.getElementById("subtitle").textContent === "We are online", null, { timeout: 10000 });
  assert.equal(await frame.isVisible("#offline-done"), false, "no 'we will reply by email' under a live chat");
  assert.equal(await frame.isVisible("#composer"), true);

  // And goes away again.
  await server.presence(false);
  await frame.waitForFunction(() => document.getElementById("subtitle").textContent === "We are away right now — leave a message", null, { timeout: 10000 });
  site.close();
});

test("bug 4: the visitor's rating is shown to agents: thread, list and contact panel", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const { frame, dialogs } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.fill("#input", "Please rate me");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine .bubble:text('Please rate me')");
  const cid = await conversationWith("Please rate me");

  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.waitForSelector("#messages .bubble:text('Please rate me')");
  await agent.click('[data-action="archive"]');

  // The visitor rates, with a comment that must stay text.
  await frame.waitForSelector("#rating:not([hidden])");
  await frame.click(".rate[data-rating='1']");
  const comment = `Quick and kind <img src=x onerror="window.__xss=1;alert(1)">`;
  await frame.fill("#rating [name=comment]", comment);
  await frame.click("#rating button[type=submit]");
  await frame.waitForSelector("#rating[hidden]", { state: "attached" });

  // The open thread gets it live, as a timeline event.
  const ev = await agent.waitForSelector("#messages .event.rating", { timeout: 10000 });
  const text = await ev.textContent();
  assert.match(text, /Good/);
  assert.ok(text.includes(comment), "the comment, as text");
  assert.equal(await agent.locator("#messages .event.rating img").count(), 0);
  // The contact panel.
  assert.match(await agent.textContent("#contact"), /Rating[\s\S]*Good[\s\S]*Quick and kind/);
  // The list (the Archive tab).
  await agent.click("[data-tab='3']");
  const row = agent.locator(`#list li[data-id="${cid}"]`);
  await row.waitFor();
  assert.match(await row.locator(".rating").textContent(), /Good/);
  // After a reload of the inbox too.
  await agent.reload();
  await agent.waitForSelector("#app:not([hidden])");
  await agent.click("[data-tab='3']");
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.waitForSelector("#messages .event.rating:has-text('Quick and kind')");
  assert.equal(await agent.evaluate(() => window.__xss), undefined);
  assert.deepEqual(dialogs, []);
  site.close();
});
