// Issue 12, Web Push in the inbox: the service worker registers with scope
// /admin/, the Profile dialog's switch subscribes this browser and the
// server lists the device, off removes it; a browser without the Push API
// is told so in words; a notification's deep link opens its conversation.
//
// Headless Chromium has no push service to subscribe with (subscribe()
// fails with "push service not available"), so the page's
// PushManager.prototype.subscribe / getSubscription are stubbed to return a
// subscription made here: a real P-256 key and auth secret (the server
// checks the point) and an endpoint on loopback (private addresses are
// allowed for this server). The encryption and delivery to such an
// endpoint are the Rust tests' (tests/integration/push.rs).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { startServer, launch, forbidDialogs, ADMIN_EMAIL, ADMIN_PASSWORD } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer({ FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS: "1" });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Polls `fn` until it returns something truthy (generous bound, no timing asserted). */
async function until(fn, what) {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail("timed out waiting for " + what);
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** The stub of a browser's push subscription (see the file's comment). */
function pushStub({ endpoint, p256dh, auth }) {
  const state = { sub: null, unsubscribed: 0 };
  window.__push = state;
  const make = (key) => ({
    endpoint,
    options: { userVisibleOnly: true, applicationServerKey: key },
    toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
    unsubscribe: async () => { state.sub = null; state.unsubscribed++; return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    state.key = Array.from(new Uint8Array(options.applicationServerKey));
    state.sub = make(options.applicationServerKey);
    return state.sub;
  };
  PushManager.prototype.getSubscription = async function () { return state.sub; };
}

async function inbox({ init, initArg, hash = "" } = {}) {
  const ctx = await browser.newContext();
  await ctx.grantPermissions(["notifications"], { origin: server.base });
  if (init) await ctx.addInitScript(init, initArg);
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(server.base + "/admin" + hash);
  await page.fill('input[name="email"]', ADMIN_EMAIL);
  await page.fill('input[name="password"]', ADMIN_PASSWORD);
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector("#app:not([hidden])");
  return { ctx, page, dialogs };
}

const devices = (page) => page.evaluate(async () => (await (await fetch("/api/v1/push/subscriptions")).json()).subscriptions);

test("the service worker registers for /admin/ and the Profile switch subscribes and unsubscribes", async () => {
  const ecdh = createECDH("prime256v1");
  const sub = { endpoint: "http://127.0.0.1:9/push/browser-device", p256dh: b64url(ecdh.generateKeys()), auth: b64url(randomBytes(16)) };
  const { ctx, page, dialogs } = await inbox({ init: pushStub, initArg: sub });

  const scope = await until(() => page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration("/admin/");
    return reg && reg.active ? reg.scope : null;
  }), "an active service worker");
  assert.equal(scope, server.base + "/admin/");
  const sw = await page.evaluate(async () => {
    const r = await fetch("/admin/sw.js");
    return { status: r.status, type: r.headers.get("content-type") };
  });
  assert.equal(sw.status, 200);
  assert.match(sw.type, /javascript/);

  await page.click("#profile-button");
  const box = page.locator('dialog.profile input[name="push"]');
  await until(() => box.isEnabled(), "the switch to be ready");
  assert.equal(await box.isChecked(), false);
  await box.check();
  await until(async () => /On/.test(await page.locator(".push-note").textContent()), "the switch to say On");
  const listed = await devices(page);
  assert.equal(listed.length, 1, JSON.stringify(listed));
  assert.equal(listed[0].push_service, "http://127.0.0.1:9");
  // It subscribed with the install's VAPID key.
  const key = await page.evaluate(async () => (await (await fetch("/api/v1/push/key")).json()).public_key);
  assert.deepEqual(await page.evaluate(() => window.__push.key), Array.from(Buffer.from(key, "base64url")));

  // Reopened, the dialog shows it on; off removes it on both sides.
  await page.keyboard.press("Escape");
  await page.click("#profile-button");
  await until(async () => (await box.isEnabled()) && (await box.isChecked()), "the switch shown on");
  await box.uncheck();
  await until(async () => /Off/.test(await page.locator(".push-note").textContent()), "the switch to say Off");
  assert.deepEqual(await devices(page), []);
  assert.equal(await page.evaluate(() => window.__push.unsubscribed), 1);
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test("signing out turns push off for that browser", async () => {
  const ecdh = createECDH("prime256v1");
  const sub = { endpoint: "http://127.0.0.1:9/push/shared-browser", p256dh: b64url(ecdh.generateKeys()), auth: b64url(randomBytes(16)) };
  const { ctx, page } = await inbox({ init: pushStub, initArg: sub });
  await page.click("#profile-button");
  const box = page.locator('dialog.profile input[name="push"]');
  await until(() => box.isEnabled(), "the switch to be ready");
  await box.check();
  await until(async () => /On/.test(await page.locator(".push-note").textContent()), "the switch to say On");
  assert.equal((await devices(page)).length, 1);
  await page.keyboard.press("Escape");
  await page.click("#logout");
  await page.waitForSelector("#login:not([hidden])");
  await page.fill('input[name="email"]', ADMIN_EMAIL);
  await page.fill('input[name="password"]', ADMIN_PASSWORD);
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector("#app:not([hidden])");
  assert.deepEqual(await devices(page), []);
  await ctx.close();
});

test("a browser without the Push API is told so in words", async () => {
  const { ctx, page } = await inbox({ init: () => { delete window.PushManager; } });
  await page.click("#profile-button");
  const box = page.locator('dialog.profile input[name="push"]');
  await box.waitFor();
  assert.equal(await box.isDisabled(), true);
  assert.equal(await page.locator(".push-note").textContent(), "This browser cannot receive push notifications.");
  await ctx.close();
});

test("a notification's deep link opens its conversation", async () => {
  const s = await server.api("POST", "/widget/session", { first_name: "Nina" });
  const c = await server.api("POST", "/widget/conversations", { message: { body: "Deep link me" } }, s.body.token);
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const id = c.body.conversation.id;
  const { ctx, page } = await inbox({ hash: "#conversation=" + id });
  await until(() => page.locator("#messages").getByText("Deep link me").count(), "the linked conversation");
  await ctx.close();
});
