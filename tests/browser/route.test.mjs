// Issue 13, part "route": `/block` as the visitor sees it (a plain notice
// where the composer was, for their next message and for a new session
// from the same address) and as the admin lifts it (Settings → Blocks).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

let server, browser;
before(async () => {
  // Visitors' addresses come from X-Forwarded-For (loopback is never blocked).
  server = await startServer({ FRONTPORCH_TRUST_PROXY: "1" });
  browser = await launch();
  await server.presence(true);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const HOME = "203.0.113.9";

async function openWidget(site, ip = HOME) {
  const ctx = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": ip } });
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

const NOTICE = "You cannot start a chat here. If you think this is a mistake, contact the site owner.";

/** The notice as shown: its text, that it holds no elements, the composer gone. */
async function notice(frame) {
  await frame.waitForSelector("#blocked-notice");
  return frame.evaluate(() => {
    const p = document.getElementById("blocked-notice");
    return { text: p.textContent, elements: p.children.length, visible: p.getClientRects().length > 0,
      composer: document.getElementById("composer").getClientRects().length > 0 };
  });
}

test("a blocked visitor sees a plain notice; an admin lifts the block in Settings", async () => {
  const site = await startHostSite(server.base);
  const v = await openWidget(site);
  const opened = v.page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/conversations") && r.request().method() === "POST");
  await say(v.frame, "Hello, I am trouble");
  const cid = (await (await opened).json()).conversation.id;

  const r = await server.api("POST", `/conversations/${cid}/commands`, { text: "/block abusive" }, server.token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.result.block.ip, HOME);

  // The conversation closed; starting another one is refused, plainly.
  await v.frame.click(".new-conversation");
  await say(v.frame, "Let me back in");
  assert.deepEqual(await notice(v.frame), { text: NOTICE, elements: 0, visible: true, composer: false });

  // A new visitor from the same address: refused at the session.
  const w = await openWidget(site);
  await say(w.frame, "I am someone else");
  assert.deepEqual(await notice(w.frame), { text: NOTICE, elements: 0, visible: true, composer: false });

  // Settings → Blocks: the block is listed and lifted.
  const admin = await loginAgent(browser, server);
  const adminDialogs = [];
  forbidDialogs(admin, adminDialogs);
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text('Blocks')");
  const row = admin.locator(`table.blocks tr[data-id="${r.body.result.block.id}"]`);
  await row.waitFor();
  assert.ok((await row.textContent()).includes(HOME));
  assert.match(await row.textContent(), /abusive/);
  await row.locator("button:text('Lift')").click();
  await admin.waitForSelector("#settings-flash:has-text('Block lifted.')");
  await admin.waitForSelector("text=No one is blocked");
  const left = await server.api("GET", "/blocks", undefined, server.token);
  assert.deepEqual(left.body.blocks, []);

  // Lifted: the new visitor chats after a reload.
  await w.page.reload();
  const frame = await (await w.page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await say(frame, "Hello again");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('Hello again')");
  assert.equal(await frame.$("#blocked-notice"), null);

  assert.deepEqual([...v.dialogs, ...w.dialogs, ...adminDialogs], []);
  await v.ctx.close();
  await w.ctx.close();
  site.close();
});
