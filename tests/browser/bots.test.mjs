// Issue 14, part D: the inbox's ☆ Macros button runs a macro whose POST
// answers {"url": ...} and the browser opens it in a new tab; Settings →
// Keyword bots makes a bot that answers in the widget; the self-service
// menu's buttons in the widget send a choice that is answered and routed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

let server, browser, crm, site;
const posted = [];

before(async () => {
  server = await startServer({ FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS: "1" });
  browser = await launch();
  await server.presence(true);
  // The CRM a macro exports to: answers the POST with the lead's page.
  crm = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.method === "POST") {
        posted.push({ path: req.url, auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ url: `http://127.0.0.1:${crm.address().port}/leads/7` }));
      } else {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<!doctype html><title>Lead 7</title><h1>Lead 7</h1>");
      }
    });
  });
  await new Promise((ok) => crm.listen(0, "127.0.0.1", ok));
  crm.unref();
  site = await startHostSite(server.base);
});
after(async () => {
  site?.close();
  crm?.close();
  await browser?.close();
  await server?.stop();
});

async function openWidget() {
  const ctx = await browser.newContext();
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
  await frame.waitForSelector(`.msg.mine[data-id] .bubble:text('${text}')`);
}

test("the star button runs a macro and opens the URL its POST answered in a new tab", async () => {
  const tag = await server.api("POST", "/tags", { label: "Exported" }, server.token);
  assert.equal(tag.status, 201);
  const steps = [
    { type: "add_tag", tag_id: tag.body.tag.id, to: "request" },
    { type: "post", url: `http://127.0.0.1:${crm.address().port}/export`, token: "Bearer crm-key" },
  ];
  const m = await server.api("POST", "/macros", { name: "Export to CRM", steps }, server.token);
  assert.equal(m.status, 201, JSON.stringify(m.body));
  const user = await server.api("POST", "/users", { first_name: "Carla" }, server.token);
  const conv = await server.api("POST", "/conversations", { user_id: user.body.user.id, message: { body: "I want to buy", user_id: user.body.user.id } }, server.token);
  const cid = conv.body.conversation.id;

  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.waitForSelector(".msg .bubble:text('I want to buy')");
  await agent.click("button.macro-button");
  const dialog = agent.locator("dialog.macros");
  await dialog.waitFor();
  const opened = agent.context().waitForEvent("page", { timeout: 30000 });
  await dialog.locator("button.macro-run:text-is('Export to CRM')").click();
  const tab = await opened;
  await tab.waitForLoadState();
  assert.equal(tab.url(), `http://127.0.0.1:${crm.address().port}/leads/7`);
  assert.equal(await tab.title(), "Lead 7");
  // No way back to the inbox from the new tab (noopener).
  assert.equal(await tab.evaluate(() => window.opener), null);
  await dialog.locator(".macro-results li.ok:has-text('POST to a URL')").waitFor();
  assert.equal(await dialog.locator(".macro-results li.error").count(), 0);

  assert.equal(posted.length, 1);
  assert.equal(posted[0].auth, "Bearer crm-key");
  assert.equal(posted[0].body.client.name, "Carla");
  assert.equal(posted[0].body.request.id, cid);
  assert.deepEqual(posted[0].body.request.tags.map((t) => t.label), ["Exported"]);
  assert.equal(posted[0].body.macro.name, "Export to CRM");
  await agent.context().close();
});

test("Settings → Keyword bots: a bot made there answers a client's keyword in the widget, once", async () => {
  const admin = await loginAgent(browser, server);
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text-is('Keyword bots')");
  const add = admin.locator("#settings-body form.settings-form").last();
  await add.locator("input[name=name]").fill("Prices");
  await add.locator("input[name=keywords]").fill("price, цена");
  await add.locator(".steps select[name=type]").first().selectOption("send_text");
  await add.locator(".steps textarea[name=text]").fill("Our prices: example.com/prices");
  await add.locator("button[type=submit]").click();
  await admin.waitForSelector("#settings-flash:has-text('Bot added.')");
  const bots = (await server.api("GET", "/keyword-bots", undefined, server.token)).body.keyword_bots;
  assert.deepEqual(bots.map((b) => [b.name, b.keywords, b.steps]), [["Prices", ["price", "цена"], [{ type: "send_text", text: "Our prices: example.com/prices" }]]]);

  const v = await openWidget();
  await say(v.frame, "That was priceless");
  await say(v.frame, "What is the PRICE?");
  await v.frame.waitForSelector(".msg:not(.mine) .bubble:text('Our prices: example.com/prices')", { timeout: 30000 });
  await say(v.frame, "and the price of two?");
  await v.frame.waitForTimeout(1500);
  assert.equal(await v.frame.locator(".msg:not(.mine) .bubble:text('Our prices: example.com/prices')").count(), 1);
  assert.deepEqual(v.dialogs, []);
  await v.ctx.close();
  await admin.context().close();
  await server.api("PATCH", `/keyword-bots/${bots[0].id}`, { enabled: false }, server.token);
});

test("the menu's buttons in the widget send a choice that is answered and routed", async () => {
  const dept = await server.api("POST", "/departments", { name: "Billing" }, server.token);
  const menu = {
    enabled: true,
    text: "How can we help?",
    items: [
      { key: "1", label: "Billing", reply: "Billing it is.", steps: [{ type: "department", department_id: dept.body.department.id }] },
      { key: "2", label: "Talk to a person", steps: [{ type: "handover" }] },
    ],
  };
  const saved = await server.api("PUT", "/settings", { menu }, server.token);
  assert.equal(saved.status, 200, JSON.stringify(saved.body));

  const v = await openWidget();
  const opened = v.page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/conversations") && r.request().method() === "POST");
  await say(v.frame, "hello");
  const cid = (await (await opened).json()).conversation.id;
  const buttons = v.frame.locator(".msg:not(.mine) .menu-buttons button.menu-button");
  await buttons.first().waitFor({ timeout: 30000 });
  assert.deepEqual(await buttons.allTextContents(), ["Billing", "Talk to a person"]);
  await v.frame.locator(".msg:not(.mine) .bubble:has-text('How can we help?')").waitFor();
  await buttons.first().click();
  await v.frame.waitForSelector(".msg.mine[data-id] .bubble:text-is('1')");
  await v.frame.waitForSelector(".msg:not(.mine) .bubble:text('Billing it is.')", { timeout: 30000 });
  assert.ok(await buttons.first().isDisabled(), "a menu is answered once");
  const routed = await server.api("GET", `/conversations/${cid}`, undefined, server.token);
  assert.equal(routed.body.conversation.department_id, dept.body.department.id);
  assert.deepEqual(v.dialogs, []);
  await v.ctx.close();
  // The agent reads the menu the visitor was offered, items included.
  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.waitForSelector(".msg .bubble:has-text('How can we help?') .menu-shown li:text-is('1. Billing')");
  await agent.context().close();
});

test("Settings → Macros and Menu: steps are edited as rows and saved as the API has them", async () => {
  const admin = await loginAgent(browser, server);
  admin.on("dialog", async (d) => { await d.accept(); });
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text-is('Macros')");
  const body = admin.locator("#settings-body");
  await body.locator("h3:text-is('Add a macro')").waitFor();
  const add = body.locator("form.settings-form").last();
  await add.locator("input[name=name]").fill("Close politely");
  await add.locator(".steps textarea[name=text]").fill("Thanks, closing this now.");
  await add.locator("button:text-is('Add a step')").click();
  await add.locator(".steps li").nth(1).locator("select[name=type]").selectOption("close");
  await add.locator("button[type=submit]").click();
  await admin.waitForSelector("#settings-flash:has-text('Macro added.')");
  const macros = (await server.api("GET", "/macros", undefined, server.token)).body.macros;
  const made = macros.find((m) => m.name === "Close politely");
  assert.deepEqual(made.steps, [{ type: "send_text", text: "Thanks, closing this now." }, { type: "close" }]);

  await admin.click("#settings-tabs button:text-is('Menu')");
  const menu = body.locator("form.settings-form");
  await menu.locator("textarea[name=text]").waitFor();
  assert.equal(await menu.locator("textarea[name=text]").inputValue(), "How can we help?");
  assert.equal(await menu.locator(".menu-item").count(), 2);
  await menu.locator("textarea[name=text]").fill("Pick one, please");
  await menu.locator(".menu-item").nth(1).locator("button:text-is('Remove item')").click();
  await menu.locator("input[name=handover]").fill("Someone will answer soon.");
  await menu.locator("button[type=submit]").last().click();
  await admin.waitForSelector("#settings-flash:has-text('Menu saved.')");
  const saved = (await server.api("GET", "/settings", undefined, server.token)).body.settings.menu;
  assert.equal(saved.text, "Pick one, please");
  assert.equal(saved.handover_text, "Someone will answer soon.");
  assert.deepEqual(saved.items.map((i) => [i.key, i.label, i.reply, i.steps.map((s) => s.type)]), [["1", "Billing", "Billing it is.", ["department"]]]);
  await admin.context().close();
});
