// Issue 10, bugs 5–7: emoji fonts and icon buttons, languages, and the
// smaller inbox and widget fixes.

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

async function visitorPage(site, options = {}) {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.waitForSelector("#launcher");
  return { page, frame };
}

const EMOJI_FONTS = ["Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"];

/** Buttons whose whole content is emoji or symbols, with no SVG icon and no word. */
function emojiOnly(selector) {
  return [...document.querySelectorAll(selector)]
    .filter((b) => !b.closest("#emoji") && (b.getClientRects().length > 0 || b.matches(".icon, .tool, .rate, .send")))
    .filter((b) => !b.querySelector("svg") && !/[\p{L}\p{N}?]/u.test(b.textContent))
    .map((b) => b.id || b.getAttribute("aria-label") || b.textContent);
}

test("bug 5: emoji fonts are named, and icon buttons are legible without one", async () => {
  const site = await startHostSite(server.base);
  const { page, frame } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  const font = await frame.evaluate(() => getComputedStyle(document.querySelector("#input")).fontFamily);
  for (const f of EMOJI_FONTS) assert.ok(font.includes(f), `widget font stack names ${f}: ${font}`);
  assert.deepEqual(await frame.evaluate(emojiOnly, "button"), []);
  for (const id of ["#emoji-button", "#attach", "#send", "#close", "#transcript"]) {
    assert.ok(await frame.getAttribute(id, "aria-label"), id + " has a label");
  }
  await page.context().close();
  site.close();

  const agent = await loginAgent(browser, server);
  const inboxFont = await agent.evaluate(() => getComputedStyle(document.body).fontFamily);
  for (const f of EMOJI_FONTS) assert.ok(inboxFont.includes(f), `inbox font stack names ${f}: ${inboxFont}`);
  assert.deepEqual(await agent.evaluate(emojiOnly, "button"), []);
  await agent.context().close();
});
