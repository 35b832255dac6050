// Review of issue 10's last round (r10): the inbox's single-key shortcuts
// must not act on the conversation behind a dialog (lightbox, profile), and
// the contact panel lists each of the contact's conversations once, however
// many events arrive while it loads.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, loginAgent } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function visitor(name) {
  const s = await server.api("POST", "/widget/session", { first_name: name });
  assert.equal(s.status, 201);
  return s.body.token;
}

async function conversation(token, message) {
  const c = await server.api("POST", "/widget/conversations", { message }, token);
  assert.equal(c.status, 201, JSON.stringify(c.body));
  return c.body.conversation.id;
}

/** Polls `fn` until it returns something truthy (generous bound, no timing asserted). */
async function until(fn, what) {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail("timed out waiting for " + what);
}

const status = async (id) => (await server.api("GET", `/conversations/${id}?limit=1`, undefined, server.token)).body.conversation.status;

test("inbox: shortcut keys pressed in the image lightbox do not archive or leave the conversation", async () => {
  const token = await visitor("Lena Lightbox");
  const id = await conversation(token, {
    body: "see picture",
    attachments: [{ name: "pic.png", url: "https://example.invalid/pic.png", type: "image/png" }],
  });
  const page = await loginAgent(browser, server);
  await page.click(`#list li[data-id="${id}"]`);
  await page.waitForSelector("#messages a.attachment img");
  await page.click("#messages a.attachment");
  await page.waitForSelector(".lightbox[role=dialog]");
  for (const key of ["e", "j", "a"]) await page.keyboard.press(key);
  // The lightbox is still the thing in front, the conversation unchanged.
  assert.ok(await page.$(".lightbox[role=dialog]"), "the lightbox stays open");
  await page.keyboard.press("Escape");
  await page.waitForSelector(".lightbox", { state: "detached" });
  // A shortcut outside the dialog does act (the check above can fail).
  const before = await status(id);
  assert.notEqual(before, 3);
  await page.keyboard.press("e");
  await until(async () => (await status(id)) === 3, "archive by e outside the lightbox");
  await page.context().close();
});

test("inbox: the contact panel lists each of the contact's conversations once while messages stream in", async () => {
  const token = await visitor("Hanna History");
  await conversation(token, { body: "first question" });
  const second = await conversation(token, { body: "second question" });
  const page = await loginAgent(browser, server);
  await page.click(`#list li[data-id="${second}"]`);
  await page.waitForSelector("#contact-history li");
  // A burst of messages: each one refreshes the open conversation's panel.
  await Promise.all([1, 2, 3, 4, 5, 6].map((n) => server.api("POST", `/widget/conversations/${second}/messages`, { body: "more " + n }, token)));
  await page.waitForFunction(() => document.querySelectorAll("#messages .msg").length >= 7);
  // Let the refreshes settle, then count what the panel shows.
  await until(async () => (await page.evaluate(() => document.querySelectorAll("#messages .msg").length)) >= 7, "messages");
  await new Promise((ok) => setTimeout(ok, 1500));
  const rows = await page.$$eval("#contact-history li", (lis) => lis.map((li) => li.textContent));
  assert.equal(rows.length, 2, "one row per conversation: " + JSON.stringify(rows));
  await page.context().close();
});

test("widget in Arabic: the launcher stays in its corner when the chat opens (it is the close button)", async () => {
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext({ locale: "ar", viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(site.url);
  const iframe = await page.waitForSelector("iframe[title=Chat]");
  const frame = await iframe.contentFrame();
  await frame.waitForSelector("#launcher");
  // Where the launcher is on the host page's screen.
  const spot = async () => {
    const f = await iframe.boundingBox();
    const l = await frame.$eval("#launcher", (b) => { const r = b.getBoundingClientRect(); return { x: r.x, y: r.y }; });
    return { x: Math.round(f.x + l.x), y: Math.round(f.y + l.y) };
  };
  const closed = await spot();
  await frame.click("#launcher");
  await frame.waitForSelector(".panel:not([hidden])");
  assert.equal(await frame.getAttribute("html", "dir"), "rtl");
  await frame.waitForFunction(() => document.body.classList.contains("open"));
  await until(async () => (await iframe.boundingBox()).width > 200, "the open frame");
  const open = await spot();
  assert.deepEqual(open, closed, "the launcher did not move");
  // The card sits above it, not over it.
  const card = await frame.$eval(".panel", (p) => p.getBoundingClientRect().bottom);
  const top = await frame.$eval("#launcher", (b) => b.getBoundingClientRect().top);
  assert.ok(card <= top, `card bottom ${card} above launcher top ${top}`);
  await ctx.close();
  site.close();
});
