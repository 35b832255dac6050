// Issue 10, k3: files (drop, paste, progress, errors, lightbox, file cards)
// in the widget and the inbox, and the widget's look (a floating card on
// desktop, full screen on phones, the launcher as its close button).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

let server, browser, site;
before(async () => {
  server = await startServer();
  browser = await launch();
  await server.presence(true);
  site = await startHostSite(server.base);
});
after(async () => {
  site?.close();
  await browser?.close();
  await server?.stop();
});

// A 1×1 PNG, and a 2048-byte PDF (the server checks magic bytes).
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = { name: "report Q3 (final).pdf", type: "application/pdf", text: "%PDF-1.4\n" + "x".repeat(2048 - 15) + "\n%%EOF\n" };

async function openWidget(viewport) {
  const ctx = await browser.newContext(viewport ? { viewport } : {});
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  return { ctx, page, frame, dialogs };
}

/** Builds files in the frame and hands them over as a drop on `selector`
 * or a paste into it, the way a browser would. */
async function give(frame, how, selector, files) {
  await frame.evaluate(({ how, selector, files }) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bytes = f.base64 ? Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0)) : new TextEncoder().encode(f.text);
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    const target = document.querySelector(selector);
    if (how === "drop") {
      target.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: dt }));
      target.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt }));
    } else {
      target.dispatchEvent(new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt }));
    }
  }, { how, selector, files });
}

/** Holds uploads matching `pattern` until `release()`. */
async function holdUploads(ctx, pattern) {
  let release;
  const gate = new Promise((ok) => { release = ok; });
  await ctx.route(pattern, async (route) => {
    await gate;
    await route.continue().catch(() => {});
  });
  return () => release();
}

test("widget: a dropped image uploads with a progress bar and opens in a lightbox that Esc closes", async () => {
  const { ctx, page, frame, dialogs } = await openWidget();
  const release = await holdUploads(ctx, "**/api/v1/widget/uploads*");
  await give(frame, "drop", "#messages", [{ name: "shot.png", type: "image/png", base64: PNG }]);
  // While the bytes are on their way: a progress bar and a cancel button.
  await frame.waitForSelector(".upload-progress progress", { timeout: 15000 });
  assert.ok(await frame.isVisible(".upload-progress .upload-cancel"));
  release();
  await frame.waitForSelector(".msg.mine[data-id] .attachment img", { timeout: 20000 });
  await frame.waitForSelector(".upload-progress", { state: "detached" });

  // Keyboard: focus the thumbnail, Enter opens the lightbox, Esc closes it.
  await frame.focus(".msg.mine[data-id] .attachment");
  await page.keyboard.press("Enter");
  await frame.waitForSelector(".lightbox[role=dialog] img");
  assert.equal(await frame.getAttribute(".lightbox", "aria-label"), "shot.png");
  assert.equal(await frame.evaluate(() => document.activeElement.className), "lightbox-close");
  await page.keyboard.press("Escape");
  await frame.waitForSelector(".lightbox", { state: "detached" });
  // Esc closed the image, not the chat; focus is back on the thumbnail.
  assert.ok(await frame.isVisible("#panel"));
  assert.equal(await frame.evaluate(() => document.activeElement.classList.contains("attachment")), true);

  // The close button closes it too.
  await frame.click(".msg.mine[data-id] .attachment");
  await frame.click(".lightbox-close");
  await frame.waitForSelector(".lightbox", { state: "detached" });
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test("widget: a pasted PDF shows as a file card (name as text, size, type); a cancelled upload sends nothing; a refused type is explained", async () => {
  const { ctx, frame, dialogs } = await openWidget();
  await give(frame, "paste", "#input", [PDF]);
  const card = await frame.waitForSelector(".msg.mine[data-id] .file-card", { timeout: 20000 });
  assert.equal(await card.$eval(".file-name", (e) => e.textContent), PDF.name);
  assert.equal(await card.$eval(".file-meta", (e) => e.textContent), "2.0 KB · PDF");
  assert.equal(await frame.$$eval(".msg b, .msg iframe, .msg embed, .msg object", (els) => els.length), 0);

  // Cancel while uploading: the row goes, nothing is sent.
  const release = await holdUploads(ctx, "**/api/v1/widget/uploads*");
  await give(frame, "paste", "#input", [{ ...PDF, name: "never.pdf" }]);
  await frame.click(".upload-progress .upload-cancel", { timeout: 15000 });
  await frame.waitForSelector(".upload-progress", { state: "detached" });
  release();
  await ctx.unroute("**/api/v1/widget/uploads*");

  // Bytes that are not what they claim: 415, said in words.
  await give(frame, "drop", "#messages", [{ name: "fake.png", type: "image/png", text: "not a png at all" }]);
  await frame.waitForSelector(".error-note:text('This type of file cannot be sent.')", { timeout: 20000 });
  assert.equal(await frame.locator(".file-name:text('never.pdf')").count(), 0);
  // The other refusals, as the server words them by status.
  const said = {
    413: "This file is too large.", 429: "Too many uploads right now; try again in a moment.",
    503: "Too many uploads right now; try again in a moment.", 507: "The server has no room for files right now.",
  };
  for (const [status, text] of Object.entries(said)) {
    const refuse = (route) => route.fulfill({ status: Number(status), contentType: "application/json", body: '{"error":{"code":"x","message":"x"}}' });
    await ctx.route("**/api/v1/widget/uploads*", refuse);
    await frame.evaluate(() => document.querySelectorAll(".error-note").forEach((e) => e.remove()));
    await give(frame, "paste", "#input", [{ ...PDF, name: "refused.pdf" }]);
    await frame.waitForSelector(`.error-note[role=alert]:text('${text}')`, { timeout: 20000 });
    await ctx.unroute("**/api/v1/widget/uploads*", refuse);
  }
  assert.equal(await frame.locator(".msg.mine[data-id]").count(), 1);
  assert.deepEqual(dialogs, []);
  await ctx.close();

  // The inbox: the visitor's PDF is a card there too; a file dropped on the
  // thread is uploaded and sent.
  const agent = await loginAgent(browser, server);
  await agent.click(`#list li:has-text('${PDF.name}')`);
  const inCard = await agent.waitForSelector("#messages .file-card");
  assert.equal(await inCard.$eval(".file-name", (e) => e.textContent), PDF.name);
  assert.equal(await inCard.$eval(".file-meta", (e) => e.textContent), "2.0 KB · PDF");
  await give(agent.mainFrame(), "drop", "#thread", [{ name: "answer.png", type: "image/png", base64: PNG }]);
  await agent.waitForSelector("#messages .msg.staff[data-id] .attachment img", { timeout: 20000 });
  await agent.click("#messages .msg.staff[data-id] .attachment");
  await agent.waitForSelector(".lightbox img");
  await agent.keyboard.press("Escape");
  await agent.waitForSelector(".lightbox", { state: "detached" });
  await agent.context().close();
});

/** The chat card's box in the host page's coordinates, and its look. */
async function card(page, frame) {
  const box = await (await page.$("iframe[title=Chat]")).boundingBox();
  const inner = await frame.$eval("#panel", (p) => {
    const r = p.getBoundingClientRect();
    const s = getComputedStyle(p);
    return { x: r.x, y: r.y, w: r.width, h: r.height, radius: parseFloat(s.borderTopLeftRadius), shadow: s.boxShadow };
  });
  return { left: box.x + inner.x, top: box.y + inner.y, right: box.x + inner.x + inner.w, bottom: box.y + inner.y + inner.h, ...inner };
}

test("widget look: a floating card with margins and rounded corners on desktop; the launcher stays as its close button", async () => {
  const { ctx, page, frame } = await openWidget({ width: 1280, height: 800 });
  await frame.waitForTimeout(400); // the opening fade
  const c = await card(page, frame);
  assert.ok(c.left >= 8 && c.top >= 8, JSON.stringify(c));
  assert.ok(1280 - c.right >= 8 && 800 - c.bottom >= 8, JSON.stringify(c));
  assert.ok(c.radius >= 8, "rounded corners");
  assert.notEqual(c.shadow, "none");
  // The launcher is still there, now closing the chat.
  assert.ok(await frame.isVisible("#launcher"));
  assert.equal(await frame.getAttribute("#launcher", "aria-expanded"), "true");
  assert.equal(await frame.getAttribute("#launcher", "aria-label"), "Close chat");
  // Focus went into the chat.
  assert.equal(await frame.evaluate(() => document.activeElement.id), "input");
  await frame.click("#launcher");
  await frame.waitForSelector("#panel", { state: "hidden" });
  assert.equal(await frame.getAttribute("#launcher", "aria-expanded"), "false");
  assert.equal(await frame.getAttribute("#launcher", "aria-label"), "Open chat");
  assert.equal(await frame.evaluate(() => document.activeElement.id), "launcher");
  // And opens it again; Esc closes it and focus returns to the launcher.
  await page.keyboard.press("Enter");
  await frame.waitForSelector("#panel:not([hidden])");
  assert.equal(await frame.getAttribute("#launcher", "aria-expanded"), "true");
  await page.keyboard.press("Escape");
  await frame.waitForSelector("#panel", { state: "hidden" });
  assert.equal(await frame.evaluate(() => document.activeElement.id), "launcher");
  await ctx.close();
});

test("widget look: full screen on a phone", async () => {
  const { ctx, page, frame } = await openWidget({ width: 375, height: 667 });
  await frame.waitForTimeout(400);
  const c = await card(page, frame);
  assert.deepEqual([c.left, c.top, c.right, c.bottom].map(Math.round), [0, 0, 375, 667]);
  assert.equal(c.radius, 0);
  // Its own close button closes it.
  await frame.click("#close");
  await frame.waitForSelector("#panel", { state: "hidden" });
  assert.equal(await frame.getAttribute("#launcher", "aria-expanded"), "false");
  await ctx.close();
});

test("widget look: no motion under prefers-reduced-motion", async () => {
  const ctx = await browser.newContext({ reducedMotion: "reduce" });
  const page = await ctx.newPage();
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  assert.equal(await frame.$eval("#panel", (p) => getComputedStyle(p).animationName), "none");
  // Closing hides the panel at once (no fade to wait for).
  await frame.evaluate(() => { document.getElementById("launcher").click(); window.__hidden = document.getElementById("panel").hidden; });
  assert.equal(await frame.evaluate(() => window.__hidden), true);
  await ctx.close();
});
