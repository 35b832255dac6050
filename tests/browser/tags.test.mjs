// Issue 14, part C: tags in the inbox (add one from the thread header, it
// appears as a coloured chip there and in the list row, the tag filter
// lists the conversation and not another), and quality scores in the
// widget (the agent archives the conversation, the widget shows the scale
// as buttons, the visitor's click is recorded and the inbox shows it).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

/** The selects narrower than their longest option (i10c's check). */
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

test("tags show and filter in the inbox; the widget shows score buttons after the agent closes", async () => {
  const label = "Needs <b>care</b>";
  const made = await server.api("POST", "/tags", { label, bg_color: "#dc2626", text_color: "#ffffff" }, server.token);
  assert.equal(made.status, 201);
  const tagId = made.body.tag.id;
  const s = await server.api("PUT", "/settings", { scores: { enabled: true, scale: 5, question: "How did we do?" } }, server.token);
  assert.equal(s.status, 200);
  // Another conversation, never tagged.
  const other = await server.api("POST", "/widget/session", { first_name: "Otto" });
  await server.api("POST", "/widget/conversations", { message: { body: "Unrelated question" } }, other.body.token);

  // The visitor writes in the widget.
  const dialogs = [];
  const site = await startHostSite(server.base);
  const vctx = await browser.newContext();
  const page = await vctx.newPage();
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  await frame.fill("#input", "My order is late");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('My order is late')");

  // The agent opens it and tags the request from the thread header.
  const agent = await loginAgent(browser, server);
  forbidDialogs(agent, dialogs);
  await agent.click("#list li:has-text('My order is late')");
  await agent.waitForSelector("#thread-tags select.tag-add");
  await agent.selectOption("#thread-tags select.tag-add", String(tagId));
  const chip = agent.locator("#thread-tags .tag-chip");
  await chip.waitFor();
  assert.equal(await chip.locator("span").textContent(), label);
  assert.equal(await chip.locator("b").count(), 0, "the label is text, not markup");
  assert.equal(await chip.evaluate((e) => getComputedStyle(e).backgroundColor), "rgb(220, 38, 38)");
  // The list row shows the request's tag.
  await agent.waitForSelector("#list li:has-text('My order is late') .tag-chip");
  // Taken off with its ×, and put on again.
  await chip.locator("button.tag-x").click();
  await agent.waitForSelector("#thread-tags .tag-chip", { state: "detached" });
  await agent.waitForSelector("#list li:has-text('My order is late') .tag-chip", { state: "detached" });
  await agent.selectOption("#thread-tags select.tag-add", String(tagId));
  await agent.waitForSelector("#list li:has-text('My order is late') .tag-chip");
  // The contact's own tags, in the sidebar.
  await agent.selectOption("#contact-tags select.tag-add", String(tagId));
  await agent.waitForSelector("#contact-tags .tag-chip");

  // The filter lists the tagged conversation only.
  await agent.waitForSelector("#list li:has-text('Unrelated question')");
  await agent.selectOption("#f-tag", String(tagId));
  // The tag menu is as wide as its longest option, as the other filters.
  assert.deepEqual(await agent.evaluate(cutSelects, ".filters select"), []);
  await agent.waitForSelector("#list li:has-text('Unrelated question')", { state: "detached" });
  await agent.waitForSelector("#list li:has-text('My order is late')");
  const convs = (await server.api("GET", `/conversations?tag=${tagId}`, undefined, server.token)).body.conversations;
  assert.equal(convs.length, 1);
  const cid = convs[0].id;
  assert.deepEqual(convs[0].tags.map((t) => t.label), [label]);

  // The agent archives it: the widget shows the scale; the visitor clicks 4.
  await agent.click('[data-action="archive"]');
  const card = frame.locator(".score-card");
  await card.locator(".score-question:text('How did we do?')").waitFor();
  assert.equal(await card.locator(".score-button").count(), 5);
  assert.equal(await frame.isHidden("#rating"), true, "one question at a time: no thumbs rating beside the scale");
  await card.locator(".score-button:text('4')").click();
  await card.locator(".score-thanks").waitFor();
  const score = (await server.api("GET", `/conversations/${cid}/score`, undefined, server.token)).body.score;
  assert.equal(score.score, 4);
  assert.equal(score.scale, 5);
  // The inbox shows it, live.
  await agent.waitForSelector("#thread-score:text('Score 4/5')");
  await agent.waitForSelector("#messages .event.timeline:has-text('Scored 4/5')");
  // Opened again, the thread keeps the line among its messages.
  await agent.goto(server.base + "/admin#conversation=" + cid);
  await agent.reload();
  await agent.waitForSelector("#messages .event.timeline:has-text('Scored 4/5')");
  // A reload of the widget thanks again instead of asking twice.
  await page.reload();
  const frame2 = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame2.click("#launcher");
  await frame2.locator(".score-card .score-thanks").waitFor();
  assert.equal(await frame2.locator(".score-button").count(), 0);
  assert.deepEqual(dialogs, []);
  site.close();
});

test("Settings → Tags and Quality scores save what the admin chose", async () => {
  const agent = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(agent, dialogs);
  await agent.click("#settings-button");
  await agent.click("#settings-tabs button:text-is('Tags')");
  const add = agent.locator("#settings-body form").first();
  await add.locator('input[name="label"]').fill("Refund");
  await add.locator('input[name="bg_color"]').fill("#00aa00");
  await add.locator("button[type=submit]").click();
  const row = agent.locator("#settings-body .tag-rows li", { has: agent.locator(".tag-chip:has-text('Refund')") });
  await row.waitFor();
  assert.equal(await row.locator(".tag-chip").evaluate((e) => getComputedStyle(e).backgroundColor), "rgb(0, 170, 0)");
  await row.locator('input[name="group_name"]').fill("Billing");
  await row.locator("button[type=submit]").click();
  await agent.waitForSelector("#settings-flash:text('Tag saved.')");
  const tags = (await server.api("GET", "/tags", undefined, server.token)).body.tags;
  const refund = tags.find((t) => t.label === "Refund");
  assert.equal(refund.group_name, "Billing");
  assert.equal(refund.bg_color, "#00aa00");

  await agent.click("#settings-tabs button:text-is('Quality scores')");
  const f = agent.locator("#settings-body form");
  await f.locator('input[name="scale"]').fill("3");
  await f.locator('select[name="tag-1"]').selectOption(String(refund.id));
  await f.locator("button[type=submit]").click();
  await agent.waitForSelector("#settings-flash:text('Quality scores saved.')");
  const s = (await server.api("GET", "/settings", undefined, server.token)).body.settings.scores;
  assert.equal(s.scale, 3);
  assert.deepEqual(s.tags, { 1: refund.id });
  assert.deepEqual(dialogs, []);
});
