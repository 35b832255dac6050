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

test("bug 6: every widget string is in Arabic, and the send arrow points the Arabic way", async () => {
  // No offline form: the composer shows while nobody is online.
  await server.api("PUT", "/settings", { "widget.offline_form": false }, server.token);
  const site = await startHostSite(server.base);
  const { page, frame } = await visitorPage(site, { locale: "ar" });
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  assert.equal(await frame.getAttribute("html", "dir"), "rtl");
  // Every table has every English key.
  const missing = await frame.evaluate(async () => {
    const m = await import("/assets/widget/i18n.js");
    const en = Object.keys(m.table("en"));
    return Object.fromEntries(m.languages.map((l) => [l, en.filter((k) => !(k in m.table(l)))]));
  });
  assert.deepEqual(missing, { en: [], fr: [], ar: [] });
  // No English left on the page: texts (the rating and transcript forms too) and labels.
  const latin = await frame.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll("#panel [data-i18n], #rating p, #transcript-form span")) if (/[A-Za-z]/.test(e.textContent)) out.push(e.textContent);
    for (const e of document.querySelectorAll("[aria-label]")) if (/[A-Za-z]/.test(e.getAttribute("aria-label"))) out.push(e.getAttribute("aria-label"));
    for (const e of document.querySelectorAll("[placeholder]")) if (/[A-Za-z]/.test(e.placeholder)) out.push(e.placeholder);
    return out;
  });
  assert.deepEqual(latin, []);
  // The arrow is mirrored: drawn pointing left.
  const transform = await frame.evaluate(() => getComputedStyle(document.querySelector("#send svg")).transform);
  assert.equal(transform, "matrix(-1, 0, 0, 1, 0, 0)");
  await page.context().close();
  site.close();
  await server.api("PUT", "/settings", { "widget.offline_form": null }, server.token);
});

test("bug 6: admins give the widget texts per language; visitors read their language's", async () => {
  const admin = await loginAgent(browser, server);
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text('Widget')");
  await admin.fill('#settings-body input[name="title"]', "Chat with ACME");
  await admin.fill('#settings-body input[name="away"]', "Back soon");
  await admin.click("#settings-body details[data-lang=fr] summary");
  await admin.fill('#settings-body input[name="text_fr_title"]', "Discutez avec ACME");
  await admin.fill('#settings-body input[name="text_fr_away_message"]', "De retour bientôt");
  await admin.click('#settings-body button[type="submit"]');
  await admin.waitForSelector("#settings-flash:text('Widget saved.')");
  const s = await server.api("GET", "/settings", undefined, server.token);
  assert.deepEqual(s.body.settings["widget.texts"], { fr: { title: "Discutez avec ACME", away_message: "De retour bientôt" } });
  // Shown again when the screen is opened again.
  await admin.click("#settings-tabs button:text('Agents')");
  await admin.click("#settings-tabs button:text('Widget')");
  assert.equal(await admin.inputValue('#settings-body input[name="text_fr_title"]'), "Discutez avec ACME");
  await admin.context().close();

  const site = await startHostSite(server.base);
  const fr = await visitorPage(site, { locale: "fr-FR" });
  await fr.frame.click("#launcher");
  await fr.frame.waitForSelector("#title:text('Discutez avec ACME')");
  assert.equal(await fr.frame.textContent("#subtitle"), "De retour bientôt");
  await fr.page.context().close();

  const en = await visitorPage(site, { locale: "en-GB" });
  await en.frame.click("#launcher");
  await en.frame.waitForSelector("#title:text('Chat with ACME')");
  assert.equal(await en.frame.textContent("#subtitle"), "Back soon");
  // Switching language from the host page brings that language's texts.
  await en.page.evaluate(() => window.frontporch("language", "fr"));
  await en.frame.waitForSelector("#title:text('Discutez avec ACME')");
  await en.frame.waitForSelector("#subtitle:text('De retour bientôt')");
  await en.page.context().close();
  site.close();
});

/** Menus narrower than their options (a clone without width limits measures them). */
function cutSelects(selector) {
  return [...document.querySelectorAll(selector)].flatMap((s) => {
    const probe = s.cloneNode(true);
    probe.style.cssText = "position:absolute;visibility:hidden;width:auto;min-width:0;max-width:none;flex:none";
    document.body.append(probe);
    const natural = probe.getBoundingClientRect().width;
    probe.remove();
    const width = s.getBoundingClientRect().width;
    return width + 0.5 < natural ? [`${s.id}: ${width} < ${natural}`] : [];
  });
}

// A 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

test("bug 7: an image alone has a preview in the list and no blank line above it", async () => {
  const site = await startHostSite(server.base);
  const { page, frame } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.setInputFiles("#file", { name: "photo.png", mimeType: "image/png", buffer: PNG });
  await frame.waitForSelector(".msg.mine .bubble img");
  const widgetGap = await frame.evaluate(() => {
    const img = document.querySelector(".msg.mine .bubble img");
    return img.getBoundingClientRect().top - img.closest(".bubble").getBoundingClientRect().top;
  });
  assert.ok(widgetGap <= 10, "widget: image " + widgetGap + "px below the bubble's top");

  const agent = await loginAgent(browser, server);
  const item = await agent.waitForSelector("#list li:has-text('photo.png')");
  assert.equal((await item.$eval(".preview", (e) => e.textContent)).trim(), "📎 photo.png");
  await item.click();
  await agent.waitForSelector("#messages .bubble img");
  const inboxGap = await agent.evaluate(() => {
    const img = document.querySelector("#messages .bubble img");
    const bubble = img.closest(".bubble");
    return img.getBoundingClientRect().top - bubble.getBoundingClientRect().top - parseFloat(getComputedStyle(bubble).paddingTop);
  });
  assert.ok(inboxGap <= 8, "inbox: image " + inboxGap + "px below the bubble's padding");
  // The thread's menus are not cut off either.
  assert.deepEqual(await agent.evaluate(cutSelects, ".actions select"), []);
  await agent.context().close();
  await page.context().close();
  site.close();
});

test("bug 7: the shortcut pattern is valid, the filters are not cut off, and there is a favicon", async () => {
  const agent = await loginAgent(browser, server);
  const errors = [];
  agent.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const missing = [];
  agent.on("response", (r) => { if (r.status() === 404) missing.push(r.url()); });
  await agent.reload();
  await agent.waitForSelector("#app:not([hidden])");
  // Every filter menu is as wide as its longest option.
  assert.deepEqual(await agent.evaluate(cutSelects, ".filters select"), []);
  // The saved-reply shortcut's pattern compiles (Chromium's v flag) and checks.
  await agent.click("#settings-button");
  await agent.click("#settings-tabs button:text('Saved replies')");
  const shortcut = await agent.waitForSelector('#settings-body input[name="shortcut"]');
  await shortcut.fill("bad shortcut!");
  assert.equal(await shortcut.evaluate((i) => i.validity.patternMismatch), true);
  await shortcut.fill("#opening-hours_2");
  assert.equal(await shortcut.evaluate((i) => i.checkValidity()), true);
  assert.deepEqual(errors.filter((e) => /pattern/i.test(e)), []);
  // The favicon: served, and linked from the inbox and the widget frame.
  const res = await fetch(server.base + "/favicon.ico");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "image/x-icon");
  assert.deepEqual([...new Uint8Array(await res.arrayBuffer()).slice(0, 4)], [0, 0, 1, 0]);
  assert.equal(await agent.getAttribute("link[rel=icon]", "href"), "/favicon.ico");
  assert.deepEqual(missing, []);
  await agent.context().close();
  const frame = await (await browser.newContext()).newPage();
  await frame.goto(server.base + "/widget/frame");
  assert.equal(await frame.getAttribute("link[rel=icon]", "href"), "/favicon.ico");
  await frame.context().close();
});

test("bug 7: the greeting bubble keeps its distance from the Start chat button", async () => {
  await server.api("PUT", "/settings", { "widget.offline_form": false, "widget.prechat": { enabled: true } }, server.token);
  const site = await startHostSite(server.base);
  const { page, frame } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.waitForSelector(".greeting .bubble");
  const gap = await frame.evaluate(() =>
    document.querySelector(".greeting .bubble").getBoundingClientRect().top - document.querySelector("#prechat button[type=submit]").getBoundingClientRect().bottom);
  assert.ok(gap >= 10, "gap " + gap + "px");
  await page.context().close();
  site.close();
  await server.api("PUT", "/settings", { "widget.offline_form": null, "widget.prechat": null }, server.token);
});
