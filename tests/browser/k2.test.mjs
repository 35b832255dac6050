// Issue 10, round k, part 2: message states (sent → delivered → read, both
// ways; failed → retry), timeline lines in both screens (live and after a
// reload), and the widget after a conversation is closed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, loginAgent, forbidDialogs } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  await server.presence(true);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function widgetIn(ctx, site) {
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.waitForSelector("#launcher");
  return { page, frame, dialogs };
}

async function say(frame, text) {
  await frame.fill("#input", text);
  await frame.press("#input", "Enter");
  await frame.waitForSelector(`.msg.mine[data-id] .bubble:text('${text}')`);
}

async function conversationWith(body) {
  const r = await server.api("GET", "/conversations?status=all&limit=50", undefined, server.token);
  const c = r.body.conversations.find((c) => c.last_message && c.last_message.body === body);
  assert.ok(c, "conversation with " + body);
  return c.id;
}

const ticksOf = (where, text) => where.locator(".msg", { hasText: text }).locator(".ticks");

test("visitor's ticks: sent, delivered when the inbox receives it, read when an agent opens it; failed → retry", async () => {
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  const { frame, dialogs } = await widgetIn(ctx, site);
  await frame.click("#launcher");
  // No inbox open: sent, one tick, with its words.
  await say(frame, "Nobody reads yet");
  const first = ticksOf(frame, "Nobody reads yet");
  await first.and(frame.locator(".ticks.sent")).waitFor();
  assert.equal(await first.textContent(), "✓");
  assert.equal(await first.getAttribute("aria-label"), "Sent");
  const cid = await conversationWith("Nobody reads yet");
  // An inbox is open (on the list): it receives the next one live and
  // acknowledges both.
  const agent = await loginAgent(browser, server);
  await agent.waitForSelector(`#list li[data-id="${cid}"]`);
  await say(frame, "Now the inbox is there");
  await first.and(frame.locator(".ticks.delivered")).waitFor();
  assert.equal(await first.getAttribute("aria-label"), "Delivered");
  let m = (await server.api("GET", `/conversations/${cid}`, undefined, server.token)).body.messages[0];
  assert.equal(m.delivered, true);
  assert.equal(m.read, false);
  // The agent opens it: read.
  await agent.click(`#list li[data-id="${cid}"]`);
  await first.and(frame.locator(".ticks.read")).waitFor();
  assert.equal(await first.getAttribute("title"), "Read");

  // A refused message: not sent, retry sends it.
  let refused = 0;
  await ctx.route(`**/api/v1/widget/conversations/${cid}/messages`, async (route) => {
    if (refused++ === 0) return route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: { code: "bad_request", message: "refused for the test" } }) });
    return route.continue();
  });
  await frame.fill("#input", "Refused once");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.failed .bubble:text('Refused once')");
  await frame.click(".msg.failed button.retry");
  await ticksOf(frame, "Refused once").waitFor();
  assert.deepEqual(dialogs, []);
  await agent.context().close();
  await ctx.close();
  site.close();
});

test("agent's ticks: sent while no widget listens, delivered when it loads, read when the visitor opens the panel", async () => {
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  let w = await widgetIn(ctx, site);
  await w.frame.click("#launcher");
  await say(w.frame, "Reply later please");
  const cid = await conversationWith("Reply later please");
  await w.page.close();
  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.fill("#input", "Here is the answer");
  await agent.press("#input", "Enter");
  const mine = ticksOf(agent.locator("#messages"), "Here is the answer");
  await mine.and(agent.locator(".ticks.sent")).waitFor();
  assert.equal(await mine.getAttribute("aria-label"), "sent");
  // The visitor comes back, panel closed: the widget received it.
  w = await widgetIn(ctx, site);
  await mine.and(agent.locator(".ticks.delivered")).waitFor();
  assert.equal(await mine.getAttribute("aria-label"), "delivered");
  // Opening the panel reads it.
  await w.frame.click("#launcher");
  await mine.and(agent.locator(".ticks.read")).waitFor();
  assert.match(await mine.textContent(), /read/);
  await agent.context().close();
  await ctx.close();
  site.close();
});

test("timeline lines live and after reload; a closed conversation offers a new one", async () => {
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  let w = await widgetIn(ctx, site);
  await w.frame.click("#launcher");
  await say(w.frame, "Timeline please");
  const cid = await conversationWith("Timeline please");
  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.waitForSelector("#messages .bubble:text('Timeline please')");
  const me = (await server.api("GET", "/users?search=admin&type=admin", undefined, server.token)).body.users[0];
  const dept = (await server.api("POST", "/departments", { name: "Billing K2" }, server.token)).body.department;
  const patch = async (p) => assert.equal((await server.api("PATCH", `/conversations/${cid}`, p, server.token)).status, 200);
  const lines = ["Assigned to", "Transferred to Billing K2", "Conversation closed", "Conversation reopened"];
  const line = (where, text) => where.locator(".event.timeline", { hasText: text });

  await patch({ agent_id: me.id });
  await patch({ department_id: dept.id });
  await patch({ status: 3 });
  for (const text of lines.slice(0, 3)) {
    await line(agent.locator("#messages"), text).waitFor();
    await line(w.frame.locator("#messages"), text).waitFor();
  }
  // Closed: the divider and the button, no composer; the thread stays.
  await w.frame.waitForSelector(".closed-divider button.new-conversation");
  assert.equal(await w.frame.isHidden("#composer"), true);
  assert.equal(await w.frame.textContent(".closed-divider span"), "Conversation closed");
  await patch({ status: 2 });
  await line(agent.locator("#messages"), lines[3]).waitFor();
  await line(w.frame.locator("#messages"), lines[3]).waitFor();
  await w.frame.waitForSelector(".closed-divider", { state: "detached" });
  assert.equal(await w.frame.isVisible("#composer"), true);

  // After a reload: every line, from the stored events, among the messages.
  await agent.reload();
  await agent.click(`#list li[data-id="${cid}"]`);
  await w.page.reload();
  w.frame = await (await w.page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await w.frame.click("#launcher");
  for (const text of lines) {
    await line(agent.locator("#messages"), text).waitFor();
    await line(w.frame.locator("#messages"), text).waitFor();
  }
  const assigned = await line(agent.locator("#messages"), "Assigned to").textContent();
  assert.ok(assigned.includes(me.first_name), assigned);
  assert.equal(await agent.locator("#messages .event.timeline").count(), 4);

  // Closed again, after a reload too: a new conversation from the button.
  await patch({ status: 3 });
  await w.page.reload();
  w.frame = await (await w.page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await w.frame.click("#launcher");
  // By keyboard: the button, Enter, and the composer is back with the focus.
  await w.frame.focus(".closed-divider button.new-conversation");
  await w.page.keyboard.press("Enter");
  await w.frame.waitForSelector("#composer:not([hidden])");
  assert.equal(await w.frame.evaluate(() => document.activeElement.id), "input");
  await w.frame.waitForSelector("#messages .bubble:text('Timeline please')", { state: "detached" });
  await say(w.frame, "A fresh start");
  const fresh = await conversationWith("A fresh start");
  assert.notEqual(fresh, cid);
  // The closed one is intact and still closed.
  const old = (await server.api("GET", `/conversations/${cid}`, undefined, server.token)).body;
  assert.equal(old.conversation.status, 3);
  assert.deepEqual(old.messages.map((m) => m.body), ["Timeline please"]);
  await agent.context().close();
  await ctx.close();
  site.close();
});

test("in Arabic: ticks' words, timeline lines and the closed divider, right to left", async () => {
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext({ locale: "ar" });
  const { frame } = await widgetIn(ctx, site);
  await frame.click("#launcher");
  assert.equal(await frame.getAttribute("html", "dir"), "rtl");
  await say(frame, "مرحبا");
  const t = ticksOf(frame, "مرحبا");
  assert.equal(await t.getAttribute("aria-label"), "أُرسلت");
  const cid = await conversationWith("مرحبا");
  await server.api("PATCH", `/conversations/${cid}`, { status: 3 }, server.token);
  await frame.locator(".event.timeline", { hasText: "أُغلقت المحادثة" }).waitFor();
  assert.equal(await frame.textContent(".closed-divider button.new-conversation"), "ابدأ محادثة جديدة");
  // Mirrored: the visitor's own message sits on the left.
  const box = await frame.locator(".msg.mine").boundingBox();
  const list = await frame.locator("#messages").boundingBox();
  assert.ok(box.x - list.x < list.x + list.width - (box.x + box.width), "own message on the left in RTL");
  await ctx.close();
  site.close();
});
