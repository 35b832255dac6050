// Issue 13, Talkus dot commands in the browser: the composer's command
// list; a server command's Slack-format answer drawn as text in the
// widget and the inbox; a client command running only in its own
// visitor's host page, and only where the site allows it; a redirect.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

let server, browser, commandServer, plain, allowing;
before(async () => {
  server = await startServer({ FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS: "1" });
  browser = await launch();
  await server.presence(true);
  // The admin's server: answers every server command with a Slack message.
  commandServer = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        text: "<b>Order</b> status <img src=x onerror=alert(1)>",
        attachments: [{ title: "Order 42", title_link: "https://shop.example/orders/42", text: "Shipped", color: "good",
          fields: [{ title: "Carrier", value: "<i>UPS</i>", short: true }] }],
      }));
    });
  });
  await new Promise((ok) => commandServer.listen(0, "127.0.0.1", ok));
  commandServer.unref();
  plain = await startHostSite(server.base);
  allowing = await startHostSite(server.base, "<script>window.frontporchSettings = { allowClientCommands: true };</script>");
  const define = async (name, kind, value, description = "") => {
    const r = await server.api("POST", "/commands", { name, kind, value, description }, server.token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  await define("hello", "message", "Hello {contact_first_name}, how can I help?", "Greets the visitor");
  await define("order", "server", `http://127.0.0.1:${commandServer.address().port}/order`);
  await define("party", "client", "document.body.dataset.party = 'yes';");
  await define("go", "redirect", allowing.url + "?moved=1");
  await define("docs", "open_url", "https://docs.example/start");
});
after(async () => {
  await browser?.close();
  await server?.stop();
  plain?.close();
  allowing?.close();
  commandServer?.close();
});

/** A visitor on `site` who said hello: their page, frame and conversation. */
async function visitor(site) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  const opened = page.waitForResponse((r) => r.url().endsWith("/api/v1/widget/conversations") && r.request().method() === "POST");
  await frame.fill("#input", "Hi there");
  await frame.press("#input", "Enter");
  const cid = (await (await opened).json()).conversation.id;
  // Every client command the frame hands to the host page, as the page sees it.
  await page.evaluate(() => {
    window.__handed = 0;
    window.addEventListener("message", (e) => { if (e.data && e.data.type === "frontporch:client-command") window.__handed += 1; });
  });
  return { ctx, page, frame, cid, dialogs };
}

async function run(cid, text) {
  const r = await server.api("POST", `/conversations/${cid}/commands`, { text }, server.token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Runs a client command until the visitor's page got it (a realtime
 * event reaches the widgets listening at that moment, so a poll being
 * renewed can miss one). */
async function runUntilHanded(cid, text, v) {
  for (let i = 0; i < 5; i++) {
    const before = await v.page.evaluate(() => window.__handed);
    await run(cid, text);
    try {
      await v.page.waitForFunction((n) => window.__handed > n, before, { timeout: 8000 });
      return;
    } catch { /* missed: again */ }
  }
  assert.fail(`${text} never reached the visitor's page`);
}

test("the agent types . in the composer and picks a command from the list", async () => {
  const v = await visitor(plain);
  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${v.cid}"]`);
  // The thread is drawn (opening it resets the composer) before typing.
  await agent.waitForSelector(".msg .bubble:text('Hi there')");
  await agent.focus("#input");
  await agent.keyboard.type(".");
  const menu = agent.locator("#command-menu");
  await menu.waitFor({ state: "visible" });
  const options = await menu.locator("[role=option]").allTextContents();
  assert.ok(options.some((o) => o.startsWith(".hello — Greets the visitor")), options.join(" | "));
  assert.ok(options.some((o) => o.startsWith(".end")), options.join(" | "));
  assert.equal(await agent.getAttribute("#input", "aria-expanded"), "true");
  await agent.keyboard.type("he");
  assert.deepEqual(await menu.locator("[role=option] strong").allTextContents(), [".hello"]);
  assert.equal(await agent.getAttribute("#input", "aria-activedescendant"), "command-option-0");
  await agent.keyboard.press("Enter");
  assert.equal(await agent.inputValue("#input"), ".hello ");
  assert.ok(await menu.isHidden());
  await agent.keyboard.press("Enter");
  // The visitor gets the text, never the command; the agent sees the note.
  await v.frame.waitForSelector(".msg:not(.mine) .bubble:has-text('how can I help?')");
  await agent.waitForSelector(".msg.private .bubble:text('.hello')");
  const shown = await v.frame.$$eval(".bubble", (els) => els.map((e) => e.textContent));
  assert.ok(!shown.some((t) => t.startsWith(".hello")), shown.join(" | "));

  // Slash commands are listed too, with a line each.
  await agent.fill("#input", "");
  await agent.keyboard.type("/as");
  assert.deepEqual(await menu.locator("[role=option] strong").allTextContents(), ["/assign"]);
  await agent.keyboard.press("Escape");
  assert.ok(await menu.isHidden());
  assert.equal(await agent.inputValue("#input"), "/as");
  assert.deepEqual(v.dialogs, []);
  await agent.context().close();
  await v.ctx.close();
});

test("a server command's Slack answer is drawn as text in the widget and the inbox", async () => {
  const v = await visitor(plain);
  const out = await run(v.cid, ".order 42");
  assert.equal(out.result.ok, true, JSON.stringify(out));
  const card = v.frame.locator(".msg .bubble .rich");
  await card.waitFor();
  assert.equal(await card.locator(".rich-text").first().textContent(), "<b>Order</b> status <img src=x onerror=alert(1)>");
  assert.equal(await card.locator("b, img, i").count(), 0, "no markup from the answer");
  const title = card.locator("a.rich-link");
  assert.equal(await title.textContent(), "Order 42");
  assert.equal(await title.getAttribute("href"), "https://shop.example/orders/42");
  assert.equal(await title.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await card.locator("dd").textContent(), "<i>UPS</i>");

  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${v.cid}"]`);
  const inInbox = agent.locator("#messages .rich");
  await inInbox.waitFor();
  assert.equal(await inInbox.locator("b, img, i").count(), 0);
  assert.equal(await inInbox.locator("dt").textContent(), "Carrier");
  assert.deepEqual(v.dialogs, []);
  await agent.context().close();
  await v.ctx.close();
});

test("a client command runs in its own visitor's page, only where the site allows it; a redirect moves the page", async () => {
  const mine = await visitor(allowing);
  const other = await visitor(allowing);
  const optedOut = await visitor(plain);

  await runUntilHanded(mine.cid, ".party", mine);
  await mine.page.waitForFunction(() => document.body.dataset.party === "yes");

  // The page without the setting gets the command and does not run it.
  await runUntilHanded(optedOut.cid, ".party", optedOut);
  assert.equal(await optedOut.page.evaluate(() => document.body.dataset.party), undefined);

  // Another visitor on an allowing page never got either.
  assert.equal(await other.page.evaluate(() => window.__handed), 0);
  assert.equal(await other.page.evaluate(() => document.body.dataset.party), undefined);

  // open_url: a link the visitor clicks, opening a new tab; no opt-in.
  for (let i = 0; i < 5 && !(await other.frame.locator("a.open-url").count()); i++) {
    await run(other.cid, ".docs");
    await other.frame.locator("a.open-url").waitFor({ timeout: 8000 }).catch(() => {});
  }
  const link = other.frame.locator("a.open-url");
  assert.equal(await link.getAttribute("href"), "https://docs.example/start");
  assert.equal(await link.getAttribute("target"), "_blank");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await mine.frame.locator("a.open-url").count(), 0, "only in its own visitor's widget");

  // A redirect needs no opt-in: the host page goes there.
  const moved = optedOut.page.waitForURL(/moved=1/, { timeout: 60000 });
  for (let i = 0; i < 5 && !optedOut.page.url().includes("moved=1"); i++) {
    await run(optedOut.cid, ".go");
    await Promise.race([moved, new Promise((ok) => setTimeout(ok, 8000))]);
  }
  await moved;
  assert.ok(!other.page.url().includes("moved=1"));
  for (const v of [mine, other, optedOut]) {
    assert.deepEqual(v.dialogs, []);
    await v.ctx.close();
  }
});

test("Settings → Commands: an admin adds a server command, sees its secret once, edits and deletes commands", async () => {
  const admin = await loginAgent(browser, server);
  const dialogs = [];
  admin.on("dialog", async (d) => { dialogs.push(d.message()); await d.accept(); });
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text-is('Commands')");
  const body = admin.locator("#settings-body");
  await body.locator("code:text-is('.hello')").waitFor();
  const add = body.locator("form.settings-form").last();
  await add.locator("input[name=name]").fill("lookup");
  await add.locator("select[name=kind]").selectOption("server");
  await add.locator("textarea[name=value]").fill(`http://127.0.0.1:${commandServer.address().port}/lookup`);
  await add.locator("input[name=description]").fill("Looks the order up");
  await add.locator("button[type=submit]").click();
  const secret = body.locator(".once input.secret");
  await secret.waitFor();
  assert.match(await secret.inputValue(), /^whsec_/);
  const listed = await server.api("GET", "/commands", undefined, server.token);
  const made = listed.body.commands.find((c) => c.name === "lookup");
  assert.equal(made.kind, "server");
  assert.equal(made.description, "Looks the order up");
  assert.equal(JSON.stringify(listed.body).includes("whsec_"), false, "the secret is never listed");

  // Edit: the message's text.
  const row = body.locator("li", { has: admin.locator("code:text-is('.hello')") });
  await row.locator("button:text-is('Edit')").click();
  await row.locator("textarea[name=value]").fill("Hi {contact_first_name}!");
  await row.locator("button[type=submit]").click();
  for (let i = 0; i < 50; i++) {
    const r = await server.api("GET", "/commands", undefined, server.token);
    if (r.body.commands.find((c) => c.name === "hello").value === "Hi {contact_first_name}!") break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const after = await server.api("GET", "/commands", undefined, server.token);
  assert.equal(after.body.commands.find((c) => c.name === "hello").value, "Hi {contact_first_name}!");

  // Delete: confirmed, gone.
  const lookupRow = body.locator("li", { has: admin.locator("code:text-is('.lookup')") });
  await lookupRow.locator("button:text-is('Delete')").click();
  await body.locator("code:text-is('.lookup')").waitFor({ state: "detached" });
  assert.ok(!(await server.api("GET", "/commands", undefined, server.token)).body.commands.some((c) => c.name === "lookup"));
  assert.deepEqual(dialogs, ["Delete .lookup?"]);
  await admin.context().close();
});
