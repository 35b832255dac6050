// Issue 10: host-page shims. A site switching from Talkus, Crisp, Intercom or
// Chatwoot keeps its calls (including the ones queued before the script
// loaded); they reach the widget through frontporch(...), and a call with no
// equivalent gives one console warning naming it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, forbidDialogs } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A host page with `head` before the widget script; its console warnings are collected. */
async function hostPage(head) {
  const site = await startHostSite(server.base, head);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  const warnings = [];
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.waitForSelector("#launcher", { state: "attached" });
  const done = async () => { assert.deepEqual(dialogs, []); await ctx.close(); site.close(); };
  return { page, frame, warnings, done };
}

const isOpen = (frame) => frame.evaluate(() => !document.querySelector("#panel").hidden);
async function waitOpen(frame, open) {
  await frame.waitForSelector(open ? "#panel:not([hidden])" : "#panel[hidden]", { state: "attached" });
}

/** The contact with this email, once the widget's identify reached the server. */
async function contact(email) {
  for (let i = 0; i < 50; i++) {
    const r = await server.api("GET", "/users?search=" + encodeURIComponent(email), undefined, server.token);
    const u = (r.body.users || []).find((x) => x.email === email);
    if (u) return u;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error("no contact " + email);
}
async function customOf(email, key) {
  for (let i = 0; i < 50; i++) {
    const u = await contact(email);
    const custom = u.custom || u.custom_fields || u.extra || {};
    if (custom[key] !== undefined) return custom[key];
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error("no custom " + key + " on " + email + ": " + JSON.stringify(await contact(email)));
}
async function warned(warnings, word) {
  for (let i = 0; i < 30 && !warnings.some((w) => w.includes(word)); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.equal(warnings.filter((w) => w.includes(word)).length, 1, `one warning naming ${word}: ${JSON.stringify(warnings)}`);
}

test("Intercom: the stub queue and intercomSettings boot, then show/hide/onShow/showNewMessage/shutdown", async () => {
  const { page, frame, warnings, done } = await hostPage(`<script>
    window.intercomSettings = { app_id: "abc123", name: "Ivy Intercom", email: "ivy@example.com", plan: "pro" };
    (function () { var i = function () { i.c(arguments); }; i.q = []; i.c = function (a) { i.q.push(a); }; window.Intercom = i; })();
    window.shown = 0;
    Intercom("onShow", function () { window.shown++; });
    Intercom("show");
    Intercom("startTour", 42);
  </script>`);
  await waitOpen(frame, true);
  const u = await contact("ivy@example.com");
  assert.equal(u.first_name, "Ivy");
  assert.equal(await customOf("ivy@example.com", "plan"), "pro");
  assert.equal(await page.evaluate(() => window.shown), 1);
  await warned(warnings, "startTour");

  await page.evaluate(() => Intercom("hide"));
  await waitOpen(frame, false);
  await page.evaluate(() => Intercom("showNewMessage", "Hello from Intercom code"));
  await waitOpen(frame, true);
  assert.equal(await frame.inputValue("#input"), "Hello from Intercom code");
  await page.evaluate(() => Intercom("update", { email: "ivy2@example.com" }));
  await contact("ivy2@example.com");
  await done();
});

test("Crisp: pushes queued on window.$crisp = [] replay, later pushes run, $crisp.is and events work", async () => {
  const { page, frame, warnings, done } = await hostPage(`<script>
    window.$crisp = []; window.CRISP_WEBSITE_ID = "0000";
    window.opened = 0;
    $crisp.push(["on", "chat:opened", function () { window.opened++; }]);
    $crisp.push(["set", "user:email", ["cara@example.com"]]);
    $crisp.push(["set", "user:nickname", ["Cara Crisp"]]);
    $crisp.push(["set", "session:data", [[["plan", "gold"], ["seats", 3]]]]);
    $crisp.push(["do", "chat:open"]);
    $crisp.push(["do", "trigger:run", ["growth"]]);
  </script>`);
  await waitOpen(frame, true);
  const u = await contact("cara@example.com");
  assert.equal(u.first_name, "Cara");
  assert.equal(await customOf("cara@example.com", "plan"), "gold");
  assert.equal(await page.evaluate(() => window.opened), 1);
  assert.equal(await page.evaluate(() => $crisp.is("chat:opened")), true);
  await warned(warnings, "trigger:run");

  await page.evaluate(() => $crisp.push(["do", "chat:close"]));
  await waitOpen(frame, false);
  assert.equal(await page.evaluate(() => $crisp.is("chat:opened")), false);
  await page.evaluate(() => $crisp.push(["set", "message:text", ["Typed by Crisp code"]]));
  await waitOpen(frame, true);
  assert.equal(await frame.inputValue("#input"), "Typed by Crisp code");
  await page.evaluate(() => $crisp.push(["do", "chat:hide"]));
  await page.waitForFunction(() => document.querySelector("iframe[title=Chat]").style.display === "none");
  await page.evaluate(() => $crisp.push(["do", "chat:show"]));
  await page.waitForFunction(() => document.querySelector("iframe[title=Chat]").style.display === "block");
  await done();
});

test("Chatwoot: chatwootSettings locale, chatwoot:ready, then $chatwoot.toggle/setUser/setCustomAttributes/setLocale", async () => {
  const { page, frame, warnings, done } = await hostPage(`<script>
    window.chatwootSettings = { locale: "fr", position: "right" };
    window.readyFired = 0;
    window.addEventListener("chatwoot:ready", function () {
      window.readyFired++;
      window.$chatwoot.setUser("cw-7", { email: "chloe@example.com", name: "Chloé Woot" });
      window.$chatwoot.setCustomAttributes({ plan: "team" });
      window.$chatwoot.setLabel("vip");
      window.$chatwoot.toggle("open");
    });
  </script>`);
  await waitOpen(frame, true);
  assert.equal(await page.evaluate(() => window.readyFired), 1);
  assert.equal(await frame.getAttribute("html", "lang"), "fr");
  const u = await contact("chloe@example.com");
  assert.equal(u.first_name, "Chloé");
  assert.equal(await customOf("chloe@example.com", "plan"), "team");
  await warned(warnings, "setLabel");

  await page.evaluate(() => window.$chatwoot.toggle());
  await waitOpen(frame, false);
  await page.evaluate(() => window.$chatwoot.setLocale("ar"));
  await frame.waitForSelector("html[dir=rtl]", { state: "attached" });
  await done();
});

test("Talkus: talkus('init', appId, user) queued before load identifies, talkus('open'/'close') work", async () => {
  const { page, frame, warnings, done } = await hostPage(`<script>
    window.talkus = window.talkus || function () { (talkus.q = talkus.q || []).push(arguments); };
    talkus("init", "APP_ID", { id: "tk-1", email: "tom@example.com", name: "Tom Talkus" });
    talkus("open");
    talkus("slackEmoji");
  </script>`);
  await waitOpen(frame, true);
  const u = await contact("tom@example.com");
  assert.equal(u.first_name, "Tom");
  await warned(warnings, "slackEmoji");
  await page.evaluate(() => talkus("close"));
  await waitOpen(frame, false);
  assert.equal(await isOpen(frame), false);
  await done();
});

test("a page without those globals does not load the shims", async () => {
  const { page, done } = await hostPage("");
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => [...document.scripts].some((s) => s.src.includes("shims.js"))), false);
  assert.equal(await page.evaluate(() => typeof window.Intercom), "undefined");
  await done();
});

test("frontporch identify then set land on one visitor (commands run in order)", async () => {
  for (let n = 0; n < 5; n++) {
    const email = `ordered${n}@example.com`;
    const { frame, done } = await hostPage(`<script>
      window.frontporch = function () { (frontporch.q = frontporch.q || []).push(arguments) };
      frontporch("on", "ready", function () {
        frontporch("language", "fr");
        frontporch("identify", { id: "ord-${n}", email: "${email}", name: "Ora Order" });
        frontporch("set", { plan: "first" });
        frontporch("open");
      });
    </script>`);
    await waitOpen(frame, true);
    assert.equal(await customOf(email, "plan"), "first");
    await done();
  }
});
