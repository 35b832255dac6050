// Issue 10, delivery of the assets: compressed, content-hashed and cached
// assets, no knowledge-base request without articles, and the numbers of a
// first and a repeat visit (docs/PERFORMANCE.md). `J1_REPORT=1` prints them.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Visits the host page and waits for the launcher; records every request
 * to the widget's server and what it cost on the wire. */
async function visit(page, site) {
  const seen = [];
  const onResponse = (res) => {
    if (!res.url().startsWith(server.base)) return;
    seen.push((async () => {
      const sizes = await res.request().sizes().catch(() => null);
      const headers = await res.allHeaders().catch(() => ({}));
      const bytes = sizes ? sizes.responseBodySize + sizes.responseHeadersSize : 0;
      return { url: res.url().slice(server.base.length), status: res.status(), fromCache: res.fromServiceWorker() ? false : bytes === 0, bytes, encoding: headers["content-encoding"] || "" };
    })());
  };
  page.on("response", onResponse);
  const t0 = Date.now();
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.waitForSelector("#launcher", { state: "visible" });
  const ms = Date.now() - t0;
  // Let the widget's start-up requests settle (config, status, automations).
  await page.waitForTimeout(1500);
  page.off("response", onResponse);
  const rows = await Promise.all(seen);
  return { ms, rows, requests: rows.filter((r) => !r.fromCache).length, bytes: rows.reduce((a, r) => a + r.bytes, 0) };
}

test("assets: gzip, hashed URLs cached for good, a repeat visit downloads (almost) nothing, no articles request", async () => {
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const first = await visit(page, site);
  const second = await visit(page, site);
  if (process.env.J1_REPORT) {
    console.log(JSON.stringify({ first: { ms: first.ms, requests: first.requests, bytes: first.bytes }, second: { ms: second.ms, requests: second.requests, bytes: second.bytes } }));
    for (const r of [...first.rows, ...second.rows]) console.log(JSON.stringify(r));
  }
  await ctx.close();
  site.close();

  // The knowledge base is empty: the widget does not ask for it.
  assert.deepEqual(first.rows.filter((r) => r.url.startsWith("/api/v1/articles")).map((r) => r.url), []);
  // The frame's scripts and styles come gzipped, under content-hashed URLs.
  const assets = first.rows.filter((r) => r.url.startsWith("/assets/"));
  assert.ok(assets.length >= 5, JSON.stringify(first.rows));
  for (const r of assets) assert.equal(r.encoding, "gzip", r.url);
  assert.ok(assets.some((r) => /^\/assets\/widget\/frame\.js\?v=[0-9a-f]{16}$/.test(r.url)), JSON.stringify(assets));
  // ...and so do the modules it imports.
  for (const r of assets) assert.match(r.url, /\?v=[0-9a-f]{16}$/);
  // The repeat visit: every asset comes from the cache; the frame page is
  // revalidated (a 304: Chromium reports the cached 200, with only the
  // headers on the wire), so it moves a small part of the first visit's bytes.
  const again = second.rows.filter((r) => r.url.startsWith("/assets/"));
  assert.ok(again.length >= 5);
  for (const r of again) assert.ok(r.fromCache, JSON.stringify(r));
  const frame = second.rows.find((r) => r.url === "/widget/frame");
  assert.ok(frame.bytes < 1000, JSON.stringify(frame));
  assert.ok(second.bytes < first.bytes / 3, `repeat ${second.bytes} B vs first ${first.bytes} B`);
});

test("assets: the help button still shows, and articles load, when there are articles", async () => {
  const r = await server.api("PUT", "/articles", { articles: [{ id: "a1", title: "Where is my parcel?", content: "It is on its way." }] }, server.token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.click("#launcher");
  await frame.waitForSelector("#help-button:not([hidden])");
  await frame.click("#help-button");
  await frame.waitForSelector("#help-results :text('Where is my parcel?')");
  await ctx.close();
  site.close();
});
