// Issue 13, forms: an admin defines a form in Settings → Forms, the agent
// opens it in a conversation from the Forms panel, the visitor fills it
// in the widget's form card, the agent sees it completed (live) and sends
// it (/send); the results appear in the inbox. Labels and answers stay
// text (a script-looking label never runs).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs, loginAgent } from "./harness.mjs";

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

test("agent opens a form, the visitor fills it in the widget, the agent sees it completed and sends it", async () => {
  // Settings → Forms: create one with three fields.
  const agent = await loginAgent(browser, server);
  const dialogs = [];
  forbidDialogs(agent, dialogs);
  await agent.click("#settings-button");
  await agent.click("#settings-tabs button:text('Forms')");
  await agent.click("#settings-body button:text('New form')");
  const editor = agent.locator(".form-editor");
  await editor.locator('input[name="name"]').fill("Test drive");
  await editor.locator('input[name="email_to"]').fill("sales@example.com");
  const rows = editor.locator(".field-row");
  await rows.nth(0).locator('input[name="key"]').fill("model");
  await rows.nth(0).locator('input[name="label"]').fill("Model <img src=x onerror=alert(1)>");
  await rows.nth(0).locator('select[name="type"]').selectOption("select");
  await rows.nth(0).locator('input[name="options"]').fill("Golf, Polo");
  await rows.nth(0).locator('input[name="required"]').check();
  await editor.locator("button:text('Add field')").click();
  await rows.nth(1).locator('input[name="key"]').fill("email");
  await rows.nth(1).locator('input[name="label"]').fill("Email");
  await rows.nth(1).locator('select[name="type"]').selectOption("email");
  await rows.nth(1).locator('input[name="required"]').check();
  await editor.locator("button:text('Add field')").click();
  await rows.nth(2).locator('input[name="key"]').fill("notes");
  await rows.nth(2).locator('input[name="label"]').fill("Notes");
  await rows.nth(2).locator('select[name="type"]').selectOption("textarea");
  await editor.locator("button:text('Save form')").click();
  await agent.waitForSelector("#settings-body li:has-text('Test drive · every department · 3 fields')");
  const forms = (await server.api("GET", "/forms", undefined, server.token)).body.forms;
  assert.equal(forms.length, 1);
  assert.deepEqual(forms[0].fields.map((f) => [f.name, f.type, f.required]), [["model", "select", true], ["email", "email", true], ["notes", "textarea", false]]);
  assert.deepEqual(forms[0].email_to, ["sales@example.com"]);

  // The visitor starts a conversation in the widget.
  const site = await startHostSite(server.base);
  const vctx = await browser.newContext();
  const page = await vctx.newPage();
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#panel:not([hidden])");
  await frame.fill("#input", "I would like a test drive");
  await frame.press("#input", "Enter");
  await frame.waitForSelector(".msg.mine[data-id] .bubble:text('I would like a test drive')");

  // The agent opens the conversation (a full reload shows Settings closed)
  // and opens the form from the Forms panel.
  await agent.goto(server.base + "/admin");
  await agent.click("#list li:has-text('I would like a test drive')");
  await agent.waitForSelector("#forms-panel .form-item:has-text('Test drive') .form-state:text('offered')");
  await agent.click("#forms-panel button:text('Open in conversation')");
  await agent.waitForSelector("#forms-panel .form-item .form-state:text('open')");
  assert.equal(await agent.isDisabled("#forms-send"), true);

  // The widget shows the form card: labelled inputs as text, required marks.
  const card = frame.locator(".form-card");
  await card.waitFor();
  assert.equal(await card.locator(".form-title").textContent(), "Test drive");
  assert.equal(await card.locator("label[for$='-model']").textContent(), "Model <img src=x onerror=alert(1)> *");
  assert.equal(await card.locator("img").count(), 0);
  assert.equal(await card.locator(".required").count(), 2);
  // Submitting without the required fields says what is missing, in words.
  await card.locator("button[type=submit]").click();
  await card.locator(".form-status:text('Please fill in: Model <img src=x onerror=alert(1)>, Email')").waitFor();
  await card.locator("select[name=model]").selectOption("Polo");
  await card.locator("input[name=email]").fill("vera@example.com");
  await card.locator("textarea[name=notes]").fill("Saturday morning");
  await card.locator("button[type=submit]").click();
  await card.locator(".form-status:text('Sent')").waitFor();
  assert.equal(await card.locator("input[name=email]").isDisabled(), true);
  // Read again after a reload: the answers and the sent state stay.
  await page.reload();
  const again = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await again.click("#launcher");
  const card2 = again.locator(".form-card");
  await card2.locator(".form-status:text('Sent')").waitFor();
  assert.equal(await card2.locator("input[name=email]").inputValue(), "vera@example.com");
  assert.equal(await card2.locator("textarea[name=notes]").inputValue(), "Saturday morning");

  // The agent sees the visitor's answers and the completed mark, live.
  const item = agent.locator("#forms-panel .form-item.completed");
  await item.waitFor();
  assert.equal(await item.locator(".form-state").textContent(), "✓ completed");
  assert.equal(await item.locator("input[name=email]").inputValue(), "vera@example.com");
  assert.equal(await item.locator("select[name=model]").inputValue(), "Polo");

  // Send: runs /send; the results are listed and a results note appears.
  await agent.click("#forms-send:text('Send completed (1)')");
  const result = agent.locator("#forms-panel .results .result");
  await result.waitFor();
  assert.equal(await result.locator("strong").textContent(), "Test drive");
  assert.deepEqual(await result.locator("dd").allTextContents(), ["Polo", "vera@example.com", "Saturday morning"]);
  await agent.waitForSelector("#messages .msg.private .bubble:has-text('Email: vera@example.com')");
  await agent.waitForSelector("#forms-panel .form-item .form-state:text('offered')");

  // The visitor never sees the results note.
  const conversations = (await server.api("GET", "/conversations?status=all", undefined, server.token)).body.conversations;
  assert.equal(conversations.length, 1);
  const id = conversations[0].id;
  const theirs = await again.evaluate(() => [...document.querySelectorAll(".msg .bubble")].map((b) => b.textContent));
  assert.ok(!theirs.some((t) => t.includes("Email: vera@example.com")), JSON.stringify(theirs));
  const state = (await server.api("GET", `/conversations/${id}/forms`, undefined, server.token)).body;
  assert.equal(state.results.length, 1);
  assert.deepEqual(state.results[0].values, { model: "Polo", email: "vera@example.com", notes: "Saturday morning" });
  assert.deepEqual(dialogs, []);
  await vctx.close();
  site.close();
});
