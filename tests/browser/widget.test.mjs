// The widget on a third-party site and the agent inbox, end to end in
// headless Chromium against the real server.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { startServer, startHostSite, launch, loginAgent, forbidDialogs } from "./harness.mjs";

const DOCS = new URL("../../docs/", import.meta.url).pathname;
const XSS = [
  `<img src=x onerror="window.__xss=1;alert(1)">`,
  `<svg onload="window.__xss=1;alert(2)">`,
  `"><script>window.__xss=1;alert(3)</script>`,
  `javascript:window.__xss=1;alert(4)`,
];

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  mkdirSync(DOCS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function visitorPage(site, viewport) {
  const ctx = await browser.newContext(viewport ? { viewport } : {});
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frameEl = await page.waitForSelector("iframe[title=Chat]");
  const frame = await frameEl.contentFrame();
  await frame.waitForSelector("#launcher");
  return { page, frame, dialogs };
}

test("a visitor on another origin chats live with an agent", async () => {
  const site = await startHostSite(server.base);
  const agent = await loginAgent(browser, server);
  await agent.check("#presence");
  await agent.waitForSelector("#presence-label:text('Online')");

  const { page, frame } = await visitorPage(site);
  // The widget lives in an iframe from the Frontporch origin, not the host's.
  assert.equal(new URL(frame.url()).origin, server.base);
  assert.notEqual(new URL(page.url()).origin, server.base);
  await page.screenshot({ path: DOCS + "widget-closed.png" });

  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  // The emoji picker inserts at the caret.
  await frame.fill("#input", "Hi ");
  await frame.click("#emoji-button");
  await frame.click("#emoji button[aria-label='👋']");
  assert.equal(await frame.inputValue("#input"), "Hi 👋");
  assert.equal(await frame.getAttribute("#emoji-button", "aria-expanded"), "true");
  await frame.click("#emoji-button");
  await frame.fill("#input", "Hello, do you ship to Norway?");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine .bubble:text('Hello, do you ship to Norway?')");

  // The agent sees it arrive without reloading, opens it and replies.
  await agent.click("#list li:has-text('Hello, do you ship to Norway?')");
  await agent.waitForSelector("#messages .bubble:text('Hello, do you ship to Norway?')");
  // The inbox has the same picker.
  await agent.click("#emoji-button");
  await agent.click("#emoji button[aria-label='👍']");
  assert.equal(await agent.inputValue("#input"), "👍");
  await agent.click("#emoji-button");
  await agent.fill("#input", "");
  // Typing shows up in the widget. It is an event for whoever listens at
  // that moment (a poll between two waits misses it), sent again every few
  // seconds while the agent types: so keep typing until it lands.
  for (let i = 0; i < 8 && !(await frame.isVisible("#typing")); i++) {
    await agent.type("#input", "Y");
    await frame.waitForSelector("#typing:not([hidden])", { timeout: 3500 }).catch(() => {});
  }
  assert.ok(await frame.isVisible("#typing"), "the agent's typing reached the widget");
  await agent.fill("#input", "Yes, we ship to Norway in 3 days.");
  await agent.press("#input", "Enter");

  await frame.waitForSelector(".msg:not(.mine) .bubble:text('Yes, we ship to Norway in 3 days.')");
  await page.screenshot({ path: DOCS + "widget-open.png" });
  await agent.screenshot({ path: DOCS + "inbox.png" });

  // The conversation survives a page load.
  await page.reload();
  const frame2 = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame2.click("#launcher");
  await frame2.waitForSelector(".bubble:text('Yes, we ship to Norway in 3 days.')");

  // The visitor typing shows up in the inbox.
  await frame2.type("#input", "ok");
  await agent.waitForSelector("#typing:not([hidden])");

  // The visitor reads the reply: the inbox shows it as read, live.
  await agent.waitForSelector("#messages .msg.staff .meta:has-text('read')");

  // A dropped connection: what the agent sends meanwhile arrives after it.
  await page.context().setOffline(true);
  await page.waitForTimeout(1500);
  await agent.fill("#input", "Sent while you were offline 😊");
  await agent.press("#input", "Enter");
  await page.waitForTimeout(500);
  await page.context().setOffline(false);
  await frame2.waitForSelector(".bubble:text('Sent while you were offline 😊')", { timeout: 40000 });

  // Read-only embed (Chat2Desk minifiedView=3): history, no composer, no actions.
  const cid = Number(await agent.getAttribute("#list li[aria-current=true]", "data-id"));
  const ro = await agent.context().newPage();
  await ro.goto(`${server.base}/admin/chat?dialogID=${cid}&minifiedView=3`);
  await ro.waitForSelector("#messages .bubble:text('Hello, do you ship to Norway?')");
  assert.equal(await ro.isVisible("#composer"), false);
  assert.equal(await ro.isVisible("#actions"), false);
  assert.equal(await ro.isVisible("#sidebar"), false);

  await server.presence(false);
  site.close();
});

test("an attachment goes from the widget to the inbox", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const { frame } = await visitorPage(site);
  await frame.click("#launcher");
  const png = Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000a49444154789c6300010000050001" + "0d0a2db40000000049454e44ae426082", "hex");
  await frame.setInputFiles("#file", { name: "receipt.png", mimeType: "image/png", buffer: png });
  const img = await frame.waitForSelector(".msg.mine .bubble img");
  assert.equal(await img.getAttribute("alt"), "receipt.png");
  await frame.waitForFunction(() => document.querySelector(".msg.mine .bubble img").naturalWidth === 1);

  const agent = await loginAgent(browser, server);
  await agent.click("#list li:has-text('receipt.png'), #list li >> nth=0");
  const shown = await agent.waitForSelector("#messages img[alt='receipt.png']");
  const src = await shown.getAttribute("src");
  const res = await fetch(server.base + src);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("content-type"), "image/png");
  // The frames get signed links that expire; the bare URL is no capability.
  assert.match(src, /^\/uploads\/\w+\/receipt\.png\?exp=\d+&sig=/);
  assert.equal((await fetch(server.base + src.split("?")[0])).status, 403);
  // The agent answers with a file of their own.
  await agent.setInputFiles("#file", { name: "manual.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 test") });
  await frame.waitForSelector(".msg:not(.mine) .attachment:has-text('manual.pdf')");
  await server.presence(false);
  site.close();
});

test("dead attachment links recover: the widget with its token, the inbox with its cookie", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const { page, frame } = await visitorPage(site);
  // Every signed link is refused, as it would be once expired (a chat open
  // longer than the links live).
  const dead = (url) => url.pathname.startsWith("/uploads/") && url.searchParams.has("sig");
  const refuse = (route) => route.fulfill({ status: 403, contentType: "application/json", body: '{"error":{"code":"invalid_link","message":"expired"}}' });
  await page.context().route(dead, refuse);
  await frame.click("#launcher");
  const png = Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000a49444154789c6300010000050001" + "0d0a2db40000000049454e44ae426082", "hex");
  await frame.setInputFiles("#file", { name: "late.png", mimeType: "image/png", buffer: png });
  await frame.waitForFunction(() => {
    const img = document.querySelector(".msg.mine .bubble img[alt='late.png']");
    return img && img.naturalWidth === 1 && img.src.startsWith("blob:");
  }, null, { timeout: 20000 });

  const agent = await loginAgent(browser, server);
  await agent.context().route(dead, refuse);
  await agent.click("#list li:has-text('late.png'), #list li >> nth=0");
  await agent.waitForFunction(() => {
    const img = document.querySelector("#messages img[alt='late.png']");
    return img && img.naturalWidth === 1 && !img.src.includes("sig=");
  }, null, { timeout: 20000 });

  // A download drawn long ago: its link has expired when clicked.
  await agent.setInputFiles("#file", { name: "old.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 test") });
  const link = await frame.waitForSelector(".msg:not(.mine) .attachment:has-text('old.pdf')");
  await link.evaluate((a) => { a.href = a.href.replace(/exp=\d+/, "exp=1000"); });
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 20000 }), link.click()]);
  assert.equal(download.suggestedFilename(), "old.pdf");
  await agent.context().close();
  await page.context().close();
  await server.presence(false);
  site.close();
});

test("the visitor rates a closed conversation and asks for the transcript", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const { frame } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.fill("#input", "Thanks, that solved it");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine");
  const convs = await server.api("GET", "/conversations?search=solved", undefined, server.token);
  const cid = convs.body.conversations[0].id;
  // The agent archives it: the widget asks for a rating.
  await server.api("PATCH", `/conversations/${cid}`, { status: 3 }, server.token);
  await frame.waitForSelector("#rating:not([hidden])");
  await frame.click('.rate[data-rating="1"]');
  await frame.fill('#rating textarea[name="comment"]', "Quick and kind <b>really</b>");
  await frame.click('#rating button[type="submit"]');
  await frame.waitForSelector("#rating", { state: "hidden" });
  const c = await server.api("GET", `/conversations/${cid}`, undefined, server.token);
  assert.equal(c.body.conversation.extra.rating.rating, 1);
  assert.equal(c.body.conversation.extra.rating.comment, "Quick and kind <b>really</b>");
  // Transcript by email: queued for delivery.
  await frame.click("#transcript");
  await frame.fill('#transcript-form input[name="email"]', "rater@example.com");
  await frame.click('#transcript-form button[type="submit"]');
  await frame.waitForSelector(".done:has-text('rater@example.com')");
  const ev = await server.api("GET", "/events?after=0", undefined, server.token);
  const req = ev.body.events.find((e) => e.kind === "conversation.transcript_requested" && e.conversation_id === cid);
  assert.equal(req.data.to, "rater@example.com");
  await server.presence(false);
  site.close();
});

test("inbox: assign an agent and a department, filter, see past conversations", async () => {
  const dept = await server.api("POST", "/departments", { name: "Billing" }, server.token);
  const contact = await server.api("POST", "/users", { first_name: "Filter", last_name: "Fiona" }, server.token);
  const uid = contact.body.user.id;
  const c1 = await server.api("POST", "/conversations", { user_id: uid, title: "Old question" }, server.token);
  await server.api("PATCH", `/conversations/${c1.body.conversation.id}`, { status: 3 }, server.token);
  const c2 = await server.api("POST", "/conversations", { user_id: uid, title: "Invoice wrong", message: { body: "My invoice is wrong", user_id: uid } }, server.token);
  const cid = c2.body.conversation.id;
  const agent = await loginAgent(browser, server);
  await agent.click(`#list li[data-id="${cid}"]`);
  await agent.waitForSelector("#contact-history li:has-text('Old question')");
  const me = (await server.api("GET", "/users?search=admin&type=admin", undefined, server.token)).body.users[0];
  await agent.selectOption("#assign-agent", String(me.id));
  await agent.selectOption("#assign-dept", String(dept.body.department.id));
  for (let i = 0; i < 50; i++) {
    const c = await server.api("GET", `/conversations/${cid}`, undefined, server.token);
    if (c.body.conversation.department_id === dept.body.department.id && c.body.conversation.agent_id === me.id) break;
    await agent.waitForTimeout(100);
  }
  const c = await server.api("GET", `/conversations/${cid}`, undefined, server.token);
  assert.equal(c.body.conversation.agent_id, me.id);
  assert.equal(c.body.conversation.department_id, dept.body.department.id);
  await agent.selectOption("#f-agent", "none");
  await agent.waitForSelector(`#list li[data-id="${cid}"]`, { state: "detached" });
  await agent.selectOption("#f-agent", "me");
  await agent.waitForSelector(`#list li[data-id="${cid}"]`);
  await agent.selectOption("#f-dept", String(dept.body.department.id));
  await agent.waitForSelector(`#list li[data-id="${cid}"]`);
});

test("admin settings: agents, saved replies, widget colour, API token shown once", async () => {
  try {
    await adminSettings();
  } finally {
    // The widget goes back to its defaults for the other tests.
    await server.api("PUT", "/settings", { "widget.color": null, "widget.title": null }, server.token);
  }
});

async function adminSettings() {
  const admin = await loginAgent(browser, server);
  await admin.click("#settings-button");
  await admin.waitForSelector("#settings-body table");
  // Add an agent, who can then log in.
  await admin.fill('#settings-body input[name="name"]', "Sam Support");
  await admin.fill('#settings-body input[name="email"]', "sam@example.com");
  await admin.fill('#settings-body input[name="password"]', "sam-password-1");
  await admin.click('#settings-body button[type="submit"]');
  await admin.waitForSelector("#settings-body td:text('sam@example.com')");
  const login = await fetch(server.base + "/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "sam@example.com", password: "sam-password-1" }) });
  assert.equal(login.status, 200);
  // A saved reply, then used from the composer with '#'.
  await admin.click("#settings-tabs button:text('Saved replies')");
  await admin.fill('#settings-body input[name="shortcut"]', "hours");
  await admin.fill('#settings-body textarea[name="text"]', "We are open 9 to 5, Monday to Friday.");
  await admin.click('#settings-body button[type="submit"]');
  await admin.waitForSelector("#settings-body code:text('#hours')");
  // Widget colour.
  await admin.click("#settings-tabs button:text('Widget')");
  await admin.fill('#settings-body input[name="title"]', "Talk to ACME");
  await admin.fill('#settings-body input[name="color"]', "#aa3300");
  await admin.click('#settings-body button[type="submit"]');
  await admin.waitForSelector("#settings-flash:text('Widget saved.')");
  const cfg = await server.api("GET", "/widget/config");
  assert.equal(cfg.body.config.color, "#aa3300");
  assert.equal(cfg.body.config.title, "Talk to ACME");
  const preview = await (await admin.waitForSelector("iframe.widget-preview")).contentFrame();
  await preview.waitForSelector("#title:text('Talk to ACME')");
  await admin.screenshot({ path: DOCS + "settings.png" });
  // API token: the secret appears once.
  await admin.click("#settings-tabs button:text('API tokens')");
  await admin.fill('#settings-body input[name="name"]', "zapier");
  await admin.click('#settings-body button[type="submit"]');
  const secret = await (await admin.waitForSelector(".once input")).inputValue();
  assert.ok(secret.startsWith("fp_"));
  const ok = await server.api("GET", "/conversations", undefined, secret);
  assert.equal(ok.status, 200);
  // A Support Board-format webhook with its own key and a few names.
  await admin.click("#settings-tabs button:text('Webhooks')");
  await admin.fill('#settings-body input[name="url"]', "https://hooks.example.com/sb");
  await admin.selectOption('#settings-body select[name="format"]', "support_board");
  await admin.fill('#settings-body input[name="key"]', "sb-key-123");
  await admin.fill('#settings-body input[name="events"]', "message-sent, login");
  await admin.click('#settings-body button[type="submit"]');
  assert.equal(await (await admin.waitForSelector(".once input")).inputValue(), "sb-key-123");
  await admin.waitForSelector("#settings-body .card:has-text('Support Board · message-sent, login')");
  const hooks = (await server.api("GET", "/webhooks", undefined, server.token)).body.webhooks;
  const hook = hooks.find((w) => w.url === "https://hooks.example.com/sb");
  assert.deepEqual([hook.format, hook.events], ["support_board", ["message-sent", "login"]]);
  await server.api("DELETE", `/webhooks/${hook.id}`, undefined, server.token);

  // Back in the inbox, '#hours' suggests the saved reply.
  await admin.click("#settings-button");
  const conv = await server.api("POST", "/conversations", { user_id: (await server.api("POST", "/users", { first_name: "Q" }, server.token)).body.user.id, title: "Hours?" }, server.token);
  await admin.click(`#list li[data-id="${conv.body.conversation.id}"]`);
  await admin.waitForSelector("#thread-title:text('Hours?')");
  await admin.waitForTimeout(300);
  await admin.fill("#input", "");
  await admin.type("#input", "#hou", { delay: 30 });
  assert.equal(await admin.inputValue("#input"), "#hou");
  await admin.waitForSelector("#suggest li:has-text('#hours')");
  await admin.press("#input", "Enter");
  assert.equal(await admin.inputValue("#input"), "We are open 9 to 5, Monday to Friday.");
}

test("admin: knowledge base (category, translation), an automation, and reports", async () => {
  const admin = await loginAgent(browser, server);
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text('Knowledge base')");
  await admin.fill('#settings-body input[name="cat"]', "Shipping");
  await admin.click('#settings-body form:has(input[name="cat"]) button[type="submit"]');
  await admin.waitForSelector("#settings-body ul[aria-label=Categories] li:has-text('Shipping')");
  await admin.fill('#settings-body input[name="title"]', "Where is my parcel?");
  await admin.fill('#settings-body textarea[name="content"]', "Parcels arrive within three days of your order.");
  await admin.check('#settings-body label.check:has-text("Shipping") input');
  await admin.click('#settings-body form:has(input[name="title"]) button[type="submit"]');
  await admin.waitForSelector("#settings-body ul[aria-label=Articles] li:has-text('Where is my parcel? · Shipping')");
  const id = await admin.getAttribute("#settings-body ul[aria-label=Articles] li", "data-id");
  // A French translation of it.
  await admin.selectOption('#settings-body select[name="of"]', id);
  await admin.fill('#settings-body input[name="language"]', "fr");
  await admin.fill('#settings-body input[name="title"]', "Où est mon colis ?");
  await admin.fill('#settings-body textarea[name="content"]', "Les colis arrivent en trois jours.");
  await admin.click('#settings-body form:has(input[name="title"]) button[type="submit"]');
  await admin.waitForSelector("#settings-body ul[aria-label=Articles] li:has-text('Où est mon colis ? [fr]')");
  const fr = await server.api("GET", "/articles?language=fr");
  assert.deepEqual(fr.body.articles.map((a) => [a.id, a.title, a.categories.length]), [[id, "Où est mon colis ?", 0]]);
  const en = await server.api("GET", "/articles");
  assert.equal(en.body.articles[0].categories.length, 1);

  // An automation: a pop-up on pricing pages for returning visitors.
  await admin.click("#settings-tabs button:text('Automations')");
  await admin.selectOption('#settings-body select[name="type"]', "popups");
  await admin.fill('#settings-body input[name="name"]', "Pricing offer");
  await admin.fill('#settings-body input[name="title"]', "10% off today");
  await admin.fill('#settings-body textarea[name="message"]', "Use code TEN at checkout.");
  await admin.click("#settings-body button:text('Add a condition')");
  await admin.fill('#settings-body .condition input[name="cond-value"]', "/pricing");
  await admin.click("#settings-body button:text('Add a condition')");
  await admin.selectOption('#settings-body .condition >> nth=1 >> select[name="cond-name"]', "returning_visitor");
  await admin.click('#settings-body form:has(input[name="name"]) button[type="submit"]');
  await admin.waitForSelector("#settings-body ul[aria-label=Automations] li:has-text('Pop-up: Pricing offer')");
  const autos = (await server.api("GET", "/automations", undefined, server.token)).body.automations;
  assert.equal(autos.popups.length, 1);
  assert.equal(autos.popups[0].title, "10% off today");
  assert.deepEqual(autos.popups[0].conditions, [["include_urls", "contains", "/pricing"], ["returning_visitor", "returning-visitor"]]);
  await admin.click("#settings-body ul[aria-label=Automations] li button:text('Edit')");
  await admin.fill('#settings-body input[name="title"]', "15% off today");
  await admin.click('#settings-body form:has(input[name="name"]) button[type="submit"]');
  await admin.waitForSelector("#settings-flash:text('Automations saved.')");
  // The first save's flash may still be showing: wait (bounded) for the edit itself.
  let again;
  for (let i = 0; i < 50; i++) {
    again = (await server.api("GET", "/automations", undefined, server.token)).body.automations;
    if (again.popups[0]?.title === "15% off today") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual([again.popups.length, again.popups[0].title, again.popups[0].id], [1, "15% off today", autos.popups[0].id]);
  await server.api("PUT", "/automations", { automations: {} }, server.token);

  // Someone searches the articles; the report shows it.
  await server.api("GET", "/articles/search?q=parcel");
  await admin.click("#settings-tabs button:text('Reports')");
  await admin.waitForSelector("#settings-body .report h3");
  await admin.selectOption('#settings-body select[name="name"]', "articles-searches");
  await admin.click('#settings-body button[type="submit"]');
  await admin.waitForSelector("#settings-body .report td:text('parcel')");
  await admin.selectOption('#settings-body select[name="name"]', "conversations");
  await admin.click('#settings-body button[type="submit"]');
  await admin.waitForSelector("#settings-body .report h3:text('Conversations count')");
  assert.ok((await admin.$$("#settings-body .report tr")).length >= 30);
  await admin.screenshot({ path: DOCS + "reports.png" });
  await server.api("PUT", "/articles", { articles: [] }, server.token);
  await admin.context().close();
});

test("the widget's help panel searches, shows and rates articles, as inert text", async () => {
  const put = await server.api("PUT", "/articles", {
    articles: [
      { id: "parcel", title: "Where is my parcel?", content: `Parcels arrive in three days.\n${XSS[0]}`, link: "https://example.com/shipping" },
      { id: "refund", title: "Refunds", content: "We refund within 14 days." },
    ],
    translations: { fr: [{ id: "parcel", title: "Où est mon colis ?", content: "Les colis arrivent en trois jours." }] },
  }, server.token);
  assert.equal(put.status, 200);
  try {
    const site = await startHostSite(server.base);
    const { page, frame, dialogs } = await visitorPage(site);
    await frame.click("#launcher");
    await frame.click("#help-button");
    await frame.waitForSelector("#help-results button:text('Refunds')");
    await frame.type("#help-search", "parcels", { delay: 40 });
    await frame.waitForSelector("#help-results li >> nth=0");
    await frame.waitForFunction(() => document.querySelectorAll("#help-results li").length === 1);
    await frame.click("#help-results button:text('Where is my parcel?')");
    await frame.waitForSelector("#help-content:has-text('Parcels arrive in three days.')");
    // The article's text is text: the markup in it shows, never runs.
    assert.ok((await frame.textContent("#help-content")).includes(XSS[0]));
    assert.equal(await frame.evaluate(() => window.__xss), undefined);
    assert.equal(await frame.getAttribute("#help-link", "href"), "https://example.com/shipping");
    assert.equal(await frame.getAttribute("#help-link", "rel"), "noopener noreferrer");
    await frame.click("#help-article .rate[data-helpful=true]");
    await frame.waitForSelector("#help-thanks:not([hidden])");
    await page.screenshot({ path: DOCS + "widget-help.png" });
    const views = await server.api("GET", "/reports?name=articles-ratings", undefined, server.token);
    assert.deepEqual(views.body.report.data["Where is my parcel?"], [1, 0]);
    // Only the words the visitor settled on count as a search.
    let searches;
    for (let i = 0; i < 30; i++) {
      searches = (await server.api("GET", "/reports?name=articles-searches", undefined, server.token)).body.report.data;
      if (searches.parcels) break;
      await page.waitForTimeout(200);
    }
    assert.deepEqual(searches.parcels, [1]);
    for (const partial of ["p", "pa", "par", "parc", "parce"]) assert.equal(searches[partial], undefined, partial);
    // Back to the chat, and the same panel in French.
    await frame.click("#help-chat");
    await frame.waitForFunction(() => document.getElementById("help").hidden && !document.getElementById("panel").classList.contains("helping"));
    await page.evaluate(() => window.frontporch("language", "fr"));
    await frame.click("#help-button");
    await frame.waitForSelector("#help-results button:text('Où est mon colis ?')");
    assert.deepEqual(dialogs, []);
    await page.context().close();
    site.close();
  } finally {
    await server.api("PUT", "/articles", { articles: [] }, server.token);
  }
});

test("automations: a pop-up once, a design, and a bot message after a second on the page", async () => {
  const put = await server.api("PUT", "/automations", { automations: {
    popups: [{ id: "pp1", name: "Shipping", title: "Free shipping today", message: `${XSS[1]} on orders over $50`,
      conditions: [["include_urls", "contains", "localhost"], ["scroll_position", "0"]] }],
    messages: [{ id: "mm1", name: "Nudge", message: "Can I help you find something?", conditions: [["browsing_time", "1"]] }],
    design: [{ id: "dd1", name: "Green", color_1: "rgb(0, 128, 0)", title: "ACME help" }],
  } }, server.token);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  try {
    const site = await startHostSite(server.base);
    const { page, frame, dialogs } = await visitorPage(site);
    await frame.waitForSelector("#popup:not([hidden]) #popup-title:text('Free shipping today')");
    // Text, not markup; and the frame grew to show it.
    assert.equal(await frame.textContent("#popup-message"), `${XSS[1]} on orders over $50`);
    assert.equal(await frame.evaluate(() => window.__xss), undefined);
    const box = await (await page.$("iframe[title=Chat]")).boundingBox();
    assert.ok(box.height >= 250, `iframe ${box.width}x${box.height}`);
    await page.screenshot({ path: DOCS + "widget-popup.png" });
    // The bot's message arrives after a second on the page.
    await frame.waitForSelector("#badge:not([hidden]):text('1')");
    await frame.click("#popup-open");
    await frame.waitForSelector("#panel:not([hidden]) .bubble:text('Can I help you find something?')");
    assert.equal(await frame.textContent("#title"), "ACME help");
    const accent = await frame.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim());
    assert.equal(accent, "rgb(0, 128, 0)");
    // Next page load: the pop-up was shown once, the message went once.
    await page.reload();
    const frame2 = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
    await frame2.waitForSelector("#launcher");
    await page.waitForTimeout(2500);
    assert.equal(await frame2.isVisible("#popup"), false);
    const convs = await server.api("GET", "/conversations?limit=5", undefined, server.token);
    const nudges = [];
    for (const c of convs.body.conversations) {
      const m = await server.api("GET", `/conversations/${c.id}/messages`, undefined, server.token);
      nudges.push(...m.body.messages.filter((x) => x.body === "Can I help you find something?"));
    }
    assert.equal(nudges.length, 1);
    assert.deepEqual(dialogs, []);
    await page.context().close();
    site.close();
  } finally {
    await server.api("PUT", "/automations", { automations: {} }, server.token);
  }
});

test("opening hours, the required pre-chat form and the unread badge", async () => {
  await server.presence(true);
  // Closed every day: the offline form, with the away message, although an agent is online.
  await server.api("PUT", "/settings", { "widget.hours": { timezone: "Europe/Oslo", days: {} }, "widget.away_message": "Back on Monday" }, server.token);
  const site = await startHostSite(server.base);
  let v = await visitorPage(site);
  await v.frame.click("#launcher");
  await v.frame.waitForSelector("#offline:not([hidden])");
  assert.equal(await v.frame.textContent("#subtitle"), "Back on Monday");
  await server.api("PUT", "/settings", { "widget.hours": null, "widget.prechat": { enabled: true, required: true } }, server.token);

  // A required pre-chat form: nothing to type into until it is filled.
  v = await visitorPage(site);
  await v.frame.click("#launcher");
  await v.frame.waitForSelector("#prechat:not([hidden])");
  assert.equal(await v.frame.isVisible("#composer"), false);
  await v.frame.click('#prechat button[type="submit"]');
  assert.equal(await v.frame.isVisible("#composer"), false);
  await v.frame.fill('#prechat input[name="first_name"]', "Petra");
  await v.frame.fill('#prechat input[name="email"]', "petra@example.com");
  await v.frame.click('#prechat button[type="submit"]');
  await v.frame.waitForSelector("#composer:not([hidden])");
  await v.frame.fill("#input", "Pre-chat done");
  await v.frame.press("#input", "Enter");
  await v.frame.waitForSelector(".msg.mine");
  const petra = await server.api("GET", "/users?search=petra", undefined, server.token);
  assert.equal(petra.body.users[0].first_name, "Petra");
  await server.api("PUT", "/settings", { "widget.prechat": null, "widget.away_message": null }, server.token);

  // Closed panel + agent reply = unread badge on the launcher, and an event for the host page.
  await v.page.evaluate(() => { window.__unread = []; frontporch("on", "unread", (d) => window.__unread.push(d.count)); });
  await v.frame.click("#close");
  const conv = (await server.api("GET", "/conversations?search=petra", undefined, server.token)).body.conversations[0];
  await server.api("POST", `/conversations/${conv.id}/messages`, { body: "Welcome Petra" }, server.token);
  await v.frame.waitForSelector("#badge:not([hidden]):text('1')");
  await v.page.waitForFunction(() => window.__unread.includes(1));
  await v.frame.click("#launcher");
  await v.frame.waitForSelector("#badge", { state: "hidden" });
  await server.presence(false);
  site.close();
});

test("the widget only loads on allowed sites, and the embed modes", async () => {
  await server.api("PUT", "/settings", { "widget.allowed_domains": ["https://shop.example.com"] }, server.token);
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await page.waitForTimeout(1000);
  // Chromium refuses to render it here (frame-ancestors).
  assert.equal(await frame.$("#launcher"), null);
  const res = await fetch(server.base + "/widget/frame");
  assert.match(res.headers.get("content-security-policy"), /frame-ancestors 'self' https:\/\/shop\.example\.com/);
  await server.api("PUT", "/settings", { "widget.allowed_domains": null }, server.token);

  // minifiedView=2: one conversation with a reply box, no menus.
  const c = await server.api("POST", "/conversations", { user_id: (await server.api("POST", "/users", { first_name: "E" }, server.token)).body.user.id, message: { body: "embedded hello" } }, server.token);
  const agent = await loginAgent(browser, server);
  await agent.goto(`${server.base}/admin/chat?dialogID=${c.body.conversation.id}&minifiedView=2`);
  await agent.waitForSelector("#messages .bubble:text('embedded hello')");
  assert.equal(await agent.isVisible("#composer"), true);
  assert.equal(await agent.isVisible("#sidebar"), false);
  // minifiedView=1: the list, no top menu.
  await agent.goto(`${server.base}/admin/chat?minifiedView=1`);
  await agent.waitForSelector("#sidebar");
  assert.equal(await agent.isVisible(".top"), false);
  const embed = await fetch(`${server.base}/admin/chat?minifiedView=1`);
  assert.match(embed.headers.get("content-security-policy"), /frame-ancestors 'none'/);
  site.close();
});

test("the offline form appears when no agent is online, and its message arrives", async () => {
  await server.presence(false);
  const site = await startHostSite(server.base);
  const { frame } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.waitForSelector("#offline:not([hidden])");
  assert.equal(await frame.isVisible("#composer"), false);
  await frame.fill('#offline input[name="email"]', "nora@example.com");
  await frame.fill('#offline textarea[name="message"]', "Please call me back tomorrow");
  await frame.click('#offline button[type="submit"]');
  await frame.waitForSelector("#offline-done:not([hidden])");
  const found = await server.api("GET", "/search?q=tomorrow", undefined, server.token);
  assert.equal(found.body.messages.length, 1);
  const users = await server.api("GET", "/users?search=nora", undefined, server.token);
  assert.equal(users.body.users[0].email, "nora@example.com");
  site.close();
});

test("visitor-supplied names and messages render as inert text everywhere", async () => {
  const site = await startHostSite(server.base);
  await server.presence(true);
  // A visitor with a hostile name, through the widget API itself.
  const s = await server.api("POST", "/widget/session", { first_name: XSS[0], last_name: XSS[1] });
  const vt = s.body.token;
  const conv = await server.api("POST", "/widget/conversations", { title: XSS[2], message: { body: XSS.join("\n") } }, vt);
  assert.equal(conv.status, 201);

  const agent = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(agent, dialogs);
  await agent.click(`#list li[data-id="${conv.body.conversation.id}"]`);
  await agent.waitForSelector("#messages .bubble");
  const text = await agent.textContent("#messages .bubble");
  for (const p of XSS) assert.ok(text.includes(p), "payload shown literally: " + p);
  assert.equal(await agent.textContent("#contact-name"), `${XSS[0]} ${XSS[1]}`);
  assert.equal(await agent.locator("#messages img, #messages svg, #messages script, #list img").count(), 0);

  // The same payloads typed into the widget (one a line: on one line the
  // "_" of one payload and the next would make an _italic_ span).
  const { page, frame, dialogs: vdialogs } = await visitorPage(site);
  await frame.click("#launcher");
  await frame.fill("#input", XSS.join("\n"));
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine .bubble");
  assert.ok((await frame.textContent(".msg.mine .bubble")).includes(XSS[2]));
  assert.equal(await frame.locator(".messages img, .messages svg, .messages script").count(), 0);
  // Agent reply with a javascript: "link" is not a link.
  await agent.fill("#input", "see javascript:alert(5) and https://example.com/help");
  await agent.press("#input", "Enter");
  // (that reply goes to the first conversation; check the inbox rendering)
  await agent.waitForSelector("#messages .bubble:text('see javascript:alert(5)')", { timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await agent.evaluate(() => window.__xss), undefined);
  assert.equal(await frame.evaluate(() => window.__xss), undefined);
  assert.deepEqual([...dialogs, ...vdialogs], []);
  await server.presence(false);
  site.close();
});

test("identity verification refuses a wrong hash and never merges", async () => {
  const secret = "s3cret-identity-key-at-least-32-characters";
  await server.api("PUT", "/settings", { "identity.secret": secret, "identity.required": true }, server.token);
  // A known contact the attacker would like to become.
  const victim = await server.api("POST", "/users", { first_name: "Victoria", email: "victoria@example.com", external_id: "cust-42" }, server.token);
  assert.equal(victim.status, 201);
  const good = createHmac("sha256", secret).update("cust-42").digest("hex");

  const wrong = await startHostSite(server.base,
    `<script>window.frontporch = function () { (frontporch.q = frontporch.q || []).push(arguments) };
     frontporch('identify', { id: 'cust-42', name: 'Mallory', hash: '${"0".repeat(64)}' });</script>`);
  const { frame } = await visitorPage(wrong);
  // The widget tried, was refused, and changed nobody.
  await frame.waitForTimeout(1500);
  const mallory = await server.api("GET", "/users?search=Mallory", undefined, server.token);
  assert.equal(mallory.body.users.length, 0);
  let v = await server.api("GET", "/users/" + victim.body.user.id, undefined, server.token);
  assert.equal(v.body.user.last_name, "");
  // Directly through the API, a wrong hash is a 403 and a missing one too (required).
  const s1 = await server.api("POST", "/widget/session", {});
  const bad = await server.api("POST", "/widget/identify", { id: "cust-42", hash: "0".repeat(64) }, s1.body.token);
  assert.equal(bad.status, 403);
  assert.equal(bad.body.error.code, "identity_invalid");
  const none = await server.api("POST", "/widget/identify", { id: "cust-42" }, s1.body.token);
  assert.equal(none.body.error.code, "identity_required");

  // The right hash identifies the visitor as the contact.
  const right = await startHostSite(server.base,
    `<script>window.frontporch = function () { (frontporch.q = frontporch.q || []).push(arguments) };
     frontporch('identify', { id: 'cust-42', name: 'Victoria V', hash: '${good}' });</script>`);
  await visitorPage(right);
  for (let i = 0; i < 50; i++) {
    v = await server.api("GET", "/users/" + victim.body.user.id, undefined, server.token);
    if (v.body.user.last_name === "V") break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.equal(v.body.user.last_name, "V");
  await server.api("PUT", "/settings", { "identity.required": null }, server.token);
  wrong.close();
  right.close();
});

test("mobile: the open widget fills the screen", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const { page, frame } = await visitorPage(site, { width: 390, height: 780 });
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  await page.waitForFunction(() => document.querySelector("iframe[title=Chat]").getBoundingClientRect().width >= 380);
  const box = await (await page.$("iframe[title=Chat]")).boundingBox();
  assert.ok(box.width >= 380 && box.height >= 700, JSON.stringify(box));
  await page.screenshot({ path: DOCS + "widget-mobile.png" });
  // Another language from the host page, right to left.
  await page.evaluate(() => frontporch("language", "ar"));
  await frame.waitForFunction(() => document.documentElement.dir === "rtl");
  assert.equal(await frame.textContent("#title"), "تحدث معنا");
  await server.presence(false);
  site.close();
});
