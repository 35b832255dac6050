// Issue 10, bug 3: messages sent while the connection is down are queued
// in the page, shown as sending, and sent once each, in order, when it
// returns; a message the server refuses is shown as not sent, with a retry.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

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

async function openWidget(site, setup) {
  const ctx = await browser.newContext();
  if (setup) await setup(ctx);
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  return { ctx, page, frame, dialogs };
}

async function say(frame, text) {
  await frame.fill("#input", text);
  await frame.press("#input", "Enter");
}

/** The bodies of a conversation's messages, as the server has them. */
async function stored(cid) {
  const r = await server.api("GET", `/conversations/${cid}/messages?limit=50`, undefined, server.token);
  assert.equal(r.status, 200);
  return r.body.messages.map((m) => m.body);
}

/** Says the first message and returns the conversation it opened. */
async function opening(page, frame, text) {
  const opened = page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/conversations") && r.request().method() === "POST");
  await say(frame, text);
  await frame.waitForSelector(`.msg.mine[data-id] .bubble:text('${text}')`);
  return (await (await opened).json()).conversation.id;
}

test("messages typed offline are queued, shown as sending, and arrive once each, in order", async () => {
  const site = await startHostSite(server.base);
  const { ctx, page, frame, dialogs } = await openWidget(site);
  const cid = await opening(page, frame, "Before the tunnel");
  assert.ok(cid > 0);

  await ctx.setOffline(true);
  await say(frame, "Typed offline, one");
  await say(frame, "Typed offline, two");
  // Not lost, not left in the box: queued and shown as sending.
  assert.equal(await frame.inputValue("#input"), "");
  await frame.waitForSelector(".msg.pending .bubble:text('Typed offline, two')");
  const pending = await frame.$$eval(".msg.pending", (els) => els.map((e) => [e.querySelector(".bubble").textContent, e.querySelector(".meta").textContent]));
  assert.deepEqual(pending, [["Typed offline, one", "Sending…"], ["Typed offline, two", "Sending…"]]);
  await frame.waitForTimeout(2500);
  assert.equal(await frame.locator(".msg.pending").count(), 2, "still queued while offline");

  await ctx.setOffline(false);
  await frame.waitForSelector(".msg.pending", { state: "detached", timeout: 40000 });
  const shown = await frame.$$eval(".msg.mine .bubble", (els) => els.map((e) => e.textContent));
  assert.deepEqual(shown, ["Before the tunnel", "Typed offline, one", "Typed offline, two"]);
  assert.deepEqual(await stored(cid), ["Before the tunnel", "Typed offline, one", "Typed offline, two"]);
  assert.deepEqual(dialogs, []);
  site.close();
  await ctx.close();
});

test("a new visitor's first messages, typed offline, open one conversation when the connection returns", async () => {
  const site = await startHostSite(server.base);
  const { ctx, page, frame } = await openWidget(site);
  await ctx.setOffline(true);
  await say(frame, "First ever, offline");
  await say(frame, "Second ever, offline");
  await frame.waitForSelector(".msg.pending .bubble:text('Second ever, offline')");
  const opened = page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/conversations") && r.request().method() === "POST");
  await ctx.setOffline(false);
  const cid = (await (await opened).json()).conversation.id;
  await frame.waitForSelector(".msg.pending", { state: "detached", timeout: 40000 });
  assert.deepEqual(await frame.$$eval(".msg.mine .bubble", (els) => els.map((e) => e.textContent)), ["First ever, offline", "Second ever, offline"]);
  assert.deepEqual(await stored(cid), ["First ever, offline", "Second ever, offline"]);
  site.close();
  await ctx.close();
});

test("a send whose answer is lost is retried without posting twice", async () => {
  const site = await startHostSite(server.base);
  // The event stream can be held back, so the message can only come back
  // by the answer to its POST.
  let release = null;
  let held = Promise.resolve();
  const { ctx, page, frame } = await openWidget(site, (c) => c.route("**/api/v1/events?*", async (route) => {
    const res = await route.fetch({ timeout: 60000 }).catch(() => null);
    await held;
    return res ? route.fulfill({ response: res }) : route.abort("failed").catch(() => {});
  }));
  const cid = await opening(page, frame, "Hello there");

  held = new Promise((ok) => { release = ok; });
  // The request reaches the server, but the page never hears the answer.
  let lost = 0;
  await ctx.route(`**/api/v1/widget/conversations/${cid}/messages`, async (route) => {
    if (lost++ === 0) {
      await route.fetch();
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  await say(frame, "Only once, please");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('Only once, please')", { timeout: 20000 });
  await frame.waitForSelector(".msg.pending", { state: "detached" });
  assert.ok(lost >= 2, "the widget retried");
  release();
  // The event of the first attempt, let through now, adds no second bubble.
  await frame.waitForTimeout(1500);
  assert.deepEqual(await stored(cid), ["Hello there", "Only once, please"]);
  assert.equal(await frame.locator(".msg.mine .bubble:text('Only once, please')").count(), 1);
  site.close();
  await ctx.close();
});

test("a refused message is shown as not sent, with a retry button that sends it", async () => {
  const site = await startHostSite(server.base);
  const { ctx, page, frame } = await openWidget(site);
  const cid = await opening(page, frame, "First words");

  let refused = 0;
  await ctx.route(`**/api/v1/widget/conversations/${cid}/messages`, async (route) => {
    if (refused++ === 0) {
      return route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: { code: "bad_request", message: "refused for the test" } }) });
    }
    return route.continue();
  });
  await say(frame, "Refused once");
  await frame.waitForSelector(".msg.failed .bubble:text('Refused once')");
  assert.match(await frame.textContent(".msg.failed .meta"), /Not sent/);
  assert.deepEqual(await stored(cid), ["First words"]);
  await frame.click(".msg.failed button.retry");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('Refused once')");
  assert.equal(await frame.locator(".msg.failed, .msg.pending").count(), 0);
  assert.deepEqual(await stored(cid), ["First words", "Refused once"]);
  site.close();
  await ctx.close();
});

/** A visitor's conversation made through the API; returns its id. */
async function visitorConversation(text) {
  const session = await server.api("POST", "/widget/session", { first_name: "Queue" });
  const r = await server.api("POST", "/widget/conversations", { message: { body: text } }, session.body.token);
  assert.equal(r.status, 201);
  return r.body.conversation.id;
}

test("inbox: replies typed offline are queued and arrive once each, in order; a refused one can be retried", async () => {
  const cid = await visitorConversation("Inbox queue, please answer");
  const agent = await loginAgent(browser, server);
  const ctx = agent.context();
  await agent.click("#list li:has-text('Inbox queue, please answer')");
  await agent.waitForSelector("#messages .bubble:text('Inbox queue, please answer')");

  await ctx.setOffline(true);
  for (const text of ["Agent offline, one", "Agent offline, two"]) {
    await agent.fill("#input", text);
    await agent.press("#input", "Enter");
  }
  assert.equal(await agent.inputValue("#input"), "");
  await agent.waitForSelector("#messages .msg.pending .bubble:text('Agent offline, two')");
  assert.deepEqual(await agent.$$eval("#messages .msg.pending .meta", (els) => els.map((e) => e.textContent)), ["sending…", "sending…"]);
  await agent.waitForTimeout(2500);
  await ctx.setOffline(false);
  await agent.waitForSelector("#messages .msg.pending", { state: "detached", timeout: 40000 });
  assert.deepEqual(await agent.$$eval("#messages .msg.staff .bubble", (els) => els.map((e) => e.textContent)), ["Agent offline, one", "Agent offline, two"]);
  assert.deepEqual(await stored(cid), ["Inbox queue, please answer", "Agent offline, one", "Agent offline, two"]);

  // Refused once (a 4xx): shown as not sent; Retry sends it.
  let refused = 0;
  await ctx.route(`**/api/v1/conversations/${cid}/messages`, async (route) => {
    if (route.request().method() === "POST" && refused++ === 0) {
      return route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: { code: "bad_request", message: "refused for the test" } }) });
    }
    return route.continue();
  });
  await agent.fill("#input", "Refused reply");
  await agent.press("#input", "Enter");
  await agent.waitForSelector("#messages .msg.failed .bubble:text('Refused reply')");
  assert.match(await agent.textContent("#messages .msg.failed .meta"), /not sent/);
  await agent.click("#messages .msg.failed button.retry");
  await agent.waitForSelector("#messages .msg.staff[data-id] .bubble:text('Refused reply')");
  assert.equal(await agent.locator("#messages .msg.failed, #messages .msg.pending").count(), 0);
  assert.deepEqual(await stored(cid), ["Inbox queue, please answer", "Agent offline, one", "Agent offline, two", "Refused reply"]);
  await ctx.close();
});
