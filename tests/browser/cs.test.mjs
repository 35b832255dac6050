// Issue 13, part cs: an agent sees a conversation assigned to them with
// ChatShipper's /assign in "Mine", marked "Invited", accepts it from the
// participants panel, and the panel shows the participants and their flags.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, forbidDialogs } from "./harness.mjs";

let server, browser, bob;
before(async () => {
  server = await startServer();
  browser = await launch();
  for (const name of ["Ann", "Bob"]) {
    const r = await server.api("POST", "/users", { type: "agent", first_name: name, email: `${name.toLowerCase()}@example.com`, password: "agentpass1" }, server.token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    if (name === "Bob") bob = r.body.user;
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** `POST /v2/conversations/{id}/messages` with the admin token. */
async function v2(id, body) {
  const res = await fetch(`${server.base}/v2/conversations/${id}/messages`, {
    method: "POST", headers: { "content-type": "application/json", authorization: "Bearer " + server.token }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function v2conversation(id) {
  const res = await fetch(`${server.base}/v2/conversations/${id}`, { headers: { authorization: "Bearer " + server.token } });
  return res.json();
}

/** Polls `fn` until it returns something truthy (generous bound, no timing asserted). */
async function until(fn, what) {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail("timed out waiting for " + what);
}

test("an invited conversation shows in Mine, is accepted from the participants panel", async () => {
  const s = await server.api("POST", "/widget/session", { first_name: "Vera <b>Visitor</b>" });
  const c = await server.api("POST", "/widget/conversations", { message: { body: "Can someone help?" } }, s.body.token);
  assert.equal(c.status, 201);
  const id = c.body.conversation.id;
  const other = await server.api("POST", "/widget/conversations", { message: { body: "Not for Bob" } }, s.body.token);
  const assigned = await v2(id, { type: "command", text: "/assign", meta: { users: [String(bob.id)] } });
  assert.equal(assigned.status, 201, JSON.stringify(assigned.body));

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(server.base + "/admin");
  await page.fill('input[name="email"]', "bob@example.com");
  await page.fill('input[name="password"]', "agentpass1");
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector("#app:not([hidden])");

  // Mine: the invited conversation, marked, and not the other one.
  await page.selectOption("#f-agent", "me");
  const row = `#list li[data-id="${id}"]`;
  await page.waitForSelector(row + " .invited-badge");
  assert.equal(await page.textContent(row + " .invited-badge"), "Invited");
  // (The badge may show on the "All" list before Mine's answer replaces it.)
  await until(async () => !(await page.$(`#list li[data-id="${other.body.conversation.id}"]`)), "Mine without the other conversation");
  assert.ok(await page.$(row + " .invited-badge"), "Mine keeps the invited row");

  // The participants panel: Bob, invited; Accept takes it.
  await page.click(row);
  const bobRow = `#participants li[data-user="${bob.id}"]`;
  await page.waitForSelector(bobRow + " .flag-invited");
  assert.equal(await page.textContent(bobRow + " .participant-name"), "Bob");
  await page.click("#participants .participant-accept");
  await page.waitForSelector(bobRow + " .flag-accepted");
  await until(async () => !(await page.$("#participants .participant-accept")), "the Accept button to go");
  assert.ok(await page.$("#participants .participant-leave"), "Leave is offered");
  assert.ok(!(await page.$(bobRow + " .flag-invited")), "no longer invited");

  const conv = await v2conversation(id);
  assert.equal(conv.status, "active");
  const p = conv.participants.find((x) => x.user === String(bob.id));
  assert.deepEqual([p.inbox, p.active, p.accepted], [false, true, true]);
  // Still in Mine (now his), no longer marked invited.
  await until(async () => !(await page.$(row + " .invited-badge")) && (await page.$(row)), "the row without its badge");
  assert.deepEqual(dialogs, []);
  await ctx.close();
});
