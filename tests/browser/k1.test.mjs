// Agents as people: an agent sets their name, picture and colour in the
// inbox's Profile dialog; the widget header then shows who answers, and
// every agent message shows their name and avatar (widget and inbox). The
// header says how soon the team typically replies, from real reply times,
// in the visitor's language (en, fr, ar).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

// The smallest valid PNG (1x1).
const PNG = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
  1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
  0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
  0x44, 0xae, 0x42, 0x60, 0x82,
]);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openWidget(site, lang) {
  const ctx = await browser.newContext(lang ? { locale: lang } : {});
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  return { ctx, page, frame, dialogs };
}

/** Whether an <img> matching `selector` has loaded a real picture. */
async function loaded(where, selector) {
  await where.waitForFunction((s) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; }, selector, { timeout: 15000 });
  return true;
}

test("the agent's profile shows in the widget header and on their messages", async () => {
  const server = await startServer();
  const site = await startHostSite(server.base);
  try {
    await server.presence(true);
    const agent = await loginAgent(browser, server);
    // The profile dialog: name, a picture, a colour.
    await agent.click("#profile-button");
    await agent.waitForSelector("dialog.profile[open]");
    await agent.fill('dialog.profile input[name="first_name"]', "Rosa");
    await agent.fill('dialog.profile input[name="last_name"]', "Díaz <b>x</b>");
    const uploaded = agent.waitForResponse((r) => r.url().includes("/api/v1/uploads") && r.status() === 201);
    await agent.setInputFiles('dialog.profile input[type="file"]', { name: "rosa.png", mimeType: "image/png", buffer: PNG });
    await uploaded;
    await loaded(agent, "dialog.profile img.profile-avatar");
    await agent.click('dialog.profile button[type="submit"]');
    await agent.waitForSelector("dialog.profile", { state: "detached" });
    assert.equal(await agent.textContent("#me"), "Rosa Díaz <b>x</b>");

    // The widget header: her picture and first name.
    const { frame, dialogs } = await openWidget(site);
    await frame.waitForSelector("#team:not([hidden])");
    assert.equal(await frame.textContent("#team .team-names"), "Rosa");
    await loaded(frame, "#team img.team-avatar");

    // She answers from the inbox: her name and picture on the message, both sides.
    await frame.fill("#input", "Hello, anyone?");
    await frame.press("#input", "Enter");
    await frame.waitForSelector(".msg.mine[data-id]");
    await agent.waitForSelector("#list li[data-id]", { timeout: 15000 });
    await agent.click("#list li[data-id]");
    await agent.fill("#input", "Hi, Rosa here");
    await agent.press("#input", "Enter");
    await frame.waitForSelector(".msg:not(.mine) .bubble:text('Hi, Rosa here')", { timeout: 15000 });
    assert.match(await frame.textContent(".msg:not(.mine) .meta"), /^Rosa Díaz <b>x<\/b>/);
    await loaded(frame, ".msg:not(.mine) img.avatar");
    await agent.waitForSelector("#messages .msg.staff[data-id]");
    await loaded(agent, "#messages .msg.staff[data-id] > img.avatar");
    assert.match(await agent.textContent("#messages .msg.staff[data-id] .meta"), /^Rosa Díaz <b>x<\/b>/);
    // The visitor's message shows their initials in the inbox.
    assert.ok(await agent.$("#messages .msg:not(.staff)[data-id] > .avatar.initials"));

    // Removing the picture: initials on the colour she picks, everywhere new.
    await agent.click("#profile-button");
    await agent.click("dialog.profile >> text=Remove picture");
    await agent.fill('dialog.profile input[name="last_name"]', "Díaz");
    await agent.$eval('dialog.profile input[type="color"]', (i) => { i.value = "#aa0011"; i.dispatchEvent(new Event("input")); });
    await agent.click('dialog.profile button[type="submit"]');
    await agent.waitForSelector("dialog.profile", { state: "detached" });
    await agent.fill("#input", "Now with initials");
    await agent.press("#input", "Enter");
    const last = ".msg:not(.mine):last-child";
    await frame.waitForSelector(`${last} .bubble:text('Now with initials')`, { timeout: 15000 });
    assert.equal(await frame.textContent(`${last} .avatar.initials`), "RD");
    assert.equal(await frame.$eval(`${last} .avatar.initials`, (e) => getComputedStyle(e).backgroundColor), "rgb(170, 0, 17)");
    assert.equal(await frame.$$eval("b", (els) => els.length), 0, "a name is never HTML");
    assert.deepEqual(dialogs, []);
  } finally {
    site.close();
    await server.stop();
  }
});

test("the header says how soon the team typically replies, from real reply times, in en, fr and ar", async () => {
  const server = await startServer();
  const site = await startHostSite(server.base);
  try {
    await server.presence(true);
    // One answered conversation: the first reply came within seconds.
    const v = await server.api("POST", "/widget/session", { first_name: "Vic" });
    const cid = (await server.api("POST", "/widget/conversations", { message: { body: "Hi?" } }, v.body.token)).body.conversation.id;
    const r = await server.api("POST", `/conversations/${cid}/messages`, { body: "Hello!" }, server.token);
    // API tokens send as the bot, which is no agent: ask as the admin instead.
    assert.equal(r.status, 201);
    const admin = await loginAgent(browser, server);
    await admin.click(`#list li[data-id="${cid}"]`);
    await admin.fill("#input", "An agent's answer");
    await admin.press("#input", "Enter");
    await admin.waitForSelector("#messages .msg.staff[data-id] .bubble:text(\"An agent's answer\")");

    const expected = {
      en: "Typically replies in a few minutes",
      fr: "Répond généralement en quelques minutes",
      ar: "يرد عادةً خلال بضع دقائق",
    };
    for (const [lang, text] of Object.entries(expected)) {
      const { ctx, frame } = await openWidget(site, lang);
      await frame.waitForFunction((t) => document.getElementById("subtitle").textContent === t, text, { timeout: 15000 });
      if (lang === "ar") assert.equal(await frame.getAttribute("html", "dir"), "rtl");
      await ctx.close();
    }
    // Each bucket has its words (the computation itself is tested in Rust).
    const { ctx, page } = await (async () => {
      const ctx = await browser.newContext();
      await ctx.route("**/api/v1/widget/config*", async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        body.reply_time = { median_seconds: 3 * 3600, bucket: "hours" };
        await route.fulfill({ response: res, json: body });
      });
      return { ctx, page: await ctx.newPage() };
    })();
    await page.goto(site.url);
    const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
    await frame.click("#launcher");
    await frame.waitForFunction(() => document.getElementById("subtitle").textContent === "Typically replies in a few hours", null, { timeout: 15000 });
    await ctx.close();
  } finally {
    site.close();
    await server.stop();
  }
});
