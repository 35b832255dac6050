// Issue 14, part E: the embedded inbox framed by a page of ANOTHER site
// (localhost vs 127.0.0.1): `/chat/all?dialogID=N&minifiedView=2` logs in
// with an embed token or a password and replies; mode 3 is read-only; a
// bad or foreign dialogID says so; blocked storage says so, not a blank frame.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launch, forbidDialogs, ADMIN_EMAIL, ADMIN_PASSWORD } from "./harness.mjs";

let server, browser, host;

/** The host application's page: it frames the URL it is given. */
async function startHost() {
  const srv = createServer((req, res) => {
    const src = new URL(req.url, "http://x").searchParams.get("src") || "";
    const attr = src.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><title>CRM</title></head><body><h1>ACME CRM</h1>
<iframe id="inbox" title="Inbox" src="${attr}" style="width: 900px; height: 600px"></iframe></body></html>`);
  });
  await new Promise((ok) => srv.listen(0, "127.0.0.1", ok));
  srv.unref();
  return { origin: `http://localhost:${srv.address().port}`, close: () => srv.close() };
}

before(async () => {
  server = await startServer();
  browser = await launch();
  host = await startHost();
  const r = await server.api("PUT", "/settings", { "inbox.embed_origins": [host.origin] }, server.token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
});
after(async () => {
  await browser?.close();
  await server?.stop();
  host?.close();
});

/** A visitor's conversation with one message; its id. */
async function conversation(text) {
  const s = await server.api("POST", "/widget/session", { first_name: "Vera" });
  const c = await server.api("POST", "/widget/conversations", { message: { body: text } }, s.body.token);
  assert.equal(c.status, 201, JSON.stringify(c.body));
  return c.body.conversation.id;
}

/** An embed token's URL (made server-side with the admin API token). */
async function embedUrl(body) {
  const r = await server.api("POST", "/embed-tokens", { email: ADMIN_EMAIL, ...body }, server.token);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { url: server.base + r.body.url, token: r.body.token };
}

/** The host page framing `src`; the frame. */
async function framed(src, setup) {
  const ctx = await browser.newContext();
  if (setup) await setup(ctx);
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(host.origin + "/?src=" + encodeURIComponent(src));
  const frame = await (await page.waitForSelector("iframe#inbox")).contentFrame();
  return { ctx, page, frame, dialogs };
}

/** Every message body of a conversation, as the server has it. */
async function bodies(cid) {
  const r = await server.api("GET", `/conversations/${cid}/messages?limit=50`, undefined, server.token);
  return r.body.messages.map((m) => m.body);
}

async function reaches(cid, text) {
  for (let i = 0; i < 100 && !(await bodies(cid)).includes(text); i++) await new Promise((ok) => setTimeout(ok, 200));
  assert.ok((await bodies(cid)).includes(text), `${text} in ${await bodies(cid)}`);
}

async function reply(frame, text) {
  await frame.fill("#input", text);
  await frame.press("#input", "Enter");
}

test("mode 2 from another site: an embed token logs in, the reply reaches the conversation", async () => {
  const cid = await conversation("Where is my parcel?");
  const { url } = await embedUrl({ dialog_id: cid });
  assert.match(url, new RegExp(`/chat/all\\?dialogID=${cid}&minifiedView=2&embed_token=fpe_`));
  const { ctx, frame, dialogs } = await framed(url);
  await frame.waitForSelector("#messages :text('Where is my parcel?')", { timeout: 20000 });
  // Only the conversation: no menu, no list, no contact panel; a reply box.
  assert.equal(await frame.isVisible(".top"), false);
  assert.equal(await frame.isVisible("#sidebar"), false);
  assert.equal(await frame.isVisible("#composer"), true);
  // The single-use token left the address at once.
  assert.ok(!frame.url().includes("embed_token"), frame.url());
  // This Chromium blocks a third-party frame's storage by default: the
  // frame says so when (and only when) it is blocked, and works all the same.
  const blocked = await frame.evaluate(() => { try { localStorage.getItem("x"); return false; } catch { return true; } });
  assert.equal(await frame.isVisible("#embed-storage"), blocked);
  await reply(frame, "It ships today");
  await reaches(cid, "It ships today");
  assert.deepEqual(dialogs, []);
  await ctx.close();
});

test("mode 2 from another site: a password login works in the frame", async () => {
  const cid = await conversation("Can I change my order?");
  const { ctx, frame } = await framed(`${server.base}/chat/all?dialogID=${cid}&minifiedView=2`);
  await frame.waitForSelector("#login-form", { timeout: 20000 });
  await frame.fill('input[name="email"]', ADMIN_EMAIL);
  await frame.fill('input[name="password"]', ADMIN_PASSWORD);
  await frame.click('#login-form button[type="submit"]');
  await frame.waitForSelector("#messages :text('Can I change my order?')", { timeout: 20000 });
  assert.equal(await frame.isVisible("#login-error"), false);
  await reply(frame, "Yes, until it ships");
  await reaches(cid, "Yes, until it ships");
  // The session cookie the frame keeps: partitioned under the host site,
  // SameSite=None, Secure (Chromium takes Secure from http://127.0.0.1).
  const cookies = (await ctx.cookies()).filter((c) => c.name === "fp_session");
  assert.equal(cookies.length, 1, JSON.stringify(cookies));
  assert.equal(cookies[0].sameSite, "None");
  assert.equal(cookies[0].secure, true);
  assert.equal(cookies[0].partitionKey, "http://localhost"); // the host site (no port)
  // So the frame, loaded again, is still logged in; the top level is not.
  await frame.goto(`${server.base}/chat/all?dialogID=${cid}&minifiedView=2`);
  await frame.waitForSelector("#messages :text('Yes, until it ships')", { timeout: 20000 });
  const top = await ctx.newPage();
  await top.goto(server.base + "/admin");
  await top.waitForSelector("#login-form", { timeout: 20000 });
  await ctx.close();
});

test("mode 1 is the inbox without its menu: the list, and the dialogID opened", async () => {
  const cid = await conversation("Mode one here");
  const { url } = await embedUrl({ dialog_id: cid, minified_view: 1 });
  const { ctx, frame } = await framed(url);
  await frame.waitForSelector("#messages :text('Mode one here')", { timeout: 20000 });
  assert.equal(await frame.isVisible(".top"), false);
  assert.equal(await frame.isVisible("#sidebar"), true);
  assert.equal(await frame.isVisible(`#list li[data-id="${cid}"]`), true);
  assert.equal(await frame.isVisible("#composer"), true);
  await ctx.close();
});

test("mode 3 is read-only: the conversation and nothing to act with", async () => {
  const cid = await conversation("Just reading");
  const { url } = await embedUrl({ dialog_id: cid, minified_view: 3 });
  const { ctx, frame } = await framed(url);
  await frame.waitForSelector("#messages :text('Just reading')", { timeout: 20000 });
  assert.equal(await frame.isVisible("#composer"), false);
  assert.equal(await frame.isVisible("#actions"), false);
  const controls = await frame.$$eval("#conversation button, #conversation textarea, #conversation input, #conversation select",
    (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.outerHTML.slice(0, 80)));
  assert.deepEqual(controls, []);
  await ctx.close();
});

test("modes 2 and 3 with a missing, non-numeric or foreign dialogID say so in the frame", async () => {
  for (const [query, words] of [
    ["dialogID=999999&minifiedView=2", /Conversation 999999 was not found, or you cannot see it/],
    ["dialogID=abc&minifiedView=3", /is not a conversation number/],
    ["minifiedView=2", /needs dialogID=/],
  ]) {
    const { token } = await embedUrl({});
    const { ctx, frame } = await framed(`${server.base}/chat/all?${query}&embed_token=${token}`);
    const problem = await frame.waitForSelector("#embed-problem", { timeout: 20000 });
    assert.match(await problem.textContent(), words, query);
    assert.equal(await problem.isVisible(), true);
    await ctx.close();
  }
});

test("a frame whose storage the browser blocks says so and still works", async () => {
  const cid = await conversation("Storage is blocked here");
  const { url } = await embedUrl({ dialog_id: cid });
  const origin = new URL(server.base).origin;
  // What Chromium does to a third-party frame when it blocks its storage.
  const block = (ctx) => ctx.addInitScript((inbox) => {
    if (location.origin !== inbox) return;
    for (const name of ["localStorage", "sessionStorage"]) {
      Object.defineProperty(window, name, { get() { throw new DOMException("The operation is insecure.", "SecurityError"); } });
    }
  }, origin);
  const { ctx, frame } = await framed(url, block);
  const note = await frame.waitForSelector("#embed-storage", { timeout: 20000 });
  assert.match(await note.textContent(), /This browser blocks storage in embedded pages: open the inbox in a new tab/);
  const link = await note.$("a");
  assert.equal(await link.getAttribute("target"), "_blank");
  assert.ok(!(await link.getAttribute("href")).includes("embed_token"));
  await frame.waitForSelector("#messages :text('Storage is blocked here')", { timeout: 20000 });
  await reply(frame, "Answered without storage");
  await reaches(cid, "Answered without storage");
  await ctx.close();
});
