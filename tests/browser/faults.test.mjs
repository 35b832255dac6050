// A webhook receiver that is gone for good: the inbox tells the admin live,
// Settings → Webhooks says why, and one button revives the endpoint and
// resends what failed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launch, loginAgent } from "./harness.mjs";

let server, browser, receiver;
let status = 500;
const delivered = [];
before(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    if (status < 300) delivered.push(req.headers["webhook-id"]);
    res.writeHead(status).end();
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  server = await startServer({
    FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS: "1",
    FRONTPORCH_RETRY_BASE_MS: "100",
    FRONTPORCH_RETRY_WINDOW_MS: "1500",
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

test("a dead webhook endpoint is disabled, the admin is told, and can revive it", async () => {
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const hook = await server.api("POST", "/webhooks", { url, events: ["message.created"] }, server.token);
  assert.equal(hook.status, 201);
  const admin = await loginAgent(browser, server);
  const user = await server.api("POST", "/users", { first_name: "Nell" }, server.token);
  const conv = await server.api("POST", "/conversations", { user_id: user.body.user.id, title: "Hook?" }, server.token);
  const id = conv.body.conversation.id;
  assert.equal((await server.api("POST", `/conversations/${id}/messages`, { body: "hello" }, server.token)).status, 201);

  // Live, in the inbox: the endpoint was turned off, and why.
  const notice = await admin.waitForSelector("#notice:not([hidden])", { timeout: 60000 });
  const text = await notice.textContent();
  assert.match(text, /was disabled: every delivery failed .*retry window.*HTTP 500/);

  // Settings → Webhooks says so too; the receiver is back; one click revives it.
  status = 204;
  await admin.click("#settings-button");
  await admin.click("#settings-tabs button:text('Webhooks')");
  await admin.waitForSelector(".webhook-disabled:has-text('retry window')");
  await admin.click("button:text('Enable and resend failed')");
  await admin.waitForSelector("#settings-flash:has-text('1 failed deliveries queued again')");
  const hooks = (await server.api("GET", "/webhooks", undefined, server.token)).body.webhooks;
  assert.equal(hooks[0].active, true);
  for (let i = 0; i < 300 && delivered.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(delivered.length, 1);
});
