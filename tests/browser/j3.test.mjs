// Issue 10: chat formatting and links rendered safely, in the widget and
// the inbox (assets/shared/format.js, the rules of src/text_format.rs).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startHostSite, launch, loginAgent, forbidDialogs } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const XSS = `<img src=x onerror="window.pwned=1;alert(1)"><script>window.pwned=1</script>`;
const TEXT = [
  "Hello *bold* and _italic_ and ~gone~ and `co*d*e`",
  "see https://example.com/a_b?q=1. or mailto:help@example.com",
  "javascript:alert(1) data:text/html,<b>x</b> " + XSS,
  "*[x](javascript:alert(1))* _<b>not bold</b>_",
].join("\n");

/** What a bubble shows: its elements (tag, text, link attributes) in order. */
function describe(sel) {
  const b = [...document.querySelectorAll(sel)].find((e) => e.textContent.startsWith("Hello "));
  if (!b) return null;
  return {
    text: b.textContent,
    els: [...b.querySelectorAll("*")].filter((e) => !e.closest(".attachment")).map((e) => [e.tagName.toLowerCase(), e.textContent]),
    links: [...b.querySelectorAll("a")].map((a) => ({ href: a.getAttribute("href"), rel: a.rel, target: a.target })),
    handlers: [...b.querySelectorAll("*")].flatMap((e) => [...e.attributes].map((x) => x.name)).filter((n) => /^on/.test(n)),
    xss: window.pwned || 0,
  };
}

const EXPECTED_ELS = [
  ["strong", "bold"], ["em", "italic"], ["del", "gone"], ["code", "co*d*e"],
  ["a", "https://example.com/a_b?q=1"], ["a", "mailto:help@example.com"],
  ["strong", "[x](javascript:alert(1))"], ["em", "<b>not bold</b>"],
];
const EXPECTED_LINKS = [
  { href: "https://example.com/a_b?q=1", rel: "noopener noreferrer", target: "_blank" },
  { href: "mailto:help@example.com", rel: "noopener noreferrer", target: "_blank" },
];
const SHOWN = TEXT.replace("*bold*", "bold").replace("_italic_", "italic").replace("~gone~", "gone").replace("`co*d*e`", "co*d*e")
  .replace("*[x](javascript:alert(1))*", "[x](javascript:alert(1))").replace("_<b>not bold</b>_", "<b>not bold</b>");

function check(got, where) {
  assert.ok(got, where + ": the message is shown");
  assert.equal(got.text, SHOWN, where + ": the text is shown as written, less the markers");
  assert.deepEqual(got.els, EXPECTED_ELS, where + ": formatting and links are elements, nothing else");
  assert.deepEqual(got.links, EXPECTED_LINKS, where + ": only http(s)/mailto links, new tab, no opener or referrer");
  assert.deepEqual(got.handlers, [], where + ": no event handler attributes");
  assert.equal(got.xss, 0, where + ": no script ran");
}

test("formatting, links and inert payloads: widget and inbox", async () => {
  await server.presence(true);
  const site = await startHostSite(server.base);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs = [];
  forbidDialogs(page, dialogs);
  await page.goto(site.url);
  const frame = await (await page.waitForSelector("iframe[title=Chat]")).contentFrame();
  await frame.waitForSelector("#launcher");
  await frame.click("#launcher");
  await frame.fill("#input", TEXT);
  await frame.click("#send");
  await frame.waitForSelector(".msg.mine .bubble");
  check(await frame.evaluate(describe, ".msg.mine .bubble"), "widget");

  const r = await server.api("GET", "/conversations?status=all&limit=50", undefined, server.token);
  const c = r.body.conversations.find((c) => c.last_message && c.last_message.body === TEXT);
  assert.ok(c, "the conversation");

  const agent = await loginAgent(browser, server);
  const agentDialogs = [];
  forbidDialogs(agent, agentDialogs);
  await agent.click(`#list li[data-id="${c.id}"]`);
  await agent.waitForSelector("#messages .bubble");
  await agent.waitForFunction(() => [...document.querySelectorAll("#messages .bubble")].some((b) => b.textContent.startsWith("Hello ")));
  check(await agent.evaluate(describe, "#messages .bubble"), "inbox");
  // The list shows the first line's text without its markers.
  const item = agent.locator(`#list li[data-id="${c.id}"] .preview`);
  assert.ok((await item.textContent()).startsWith("Hello bold and italic and gone and co*d*e"), "list preview without markers");

  // The agent's reply, formatted the same on both sides (sent and live).
  await agent.fill("#input", "Hello _there_, *see* https://example.org/x");
  await agent.press("#input", "Enter");
  const reply = (doc) => [...document.querySelectorAll(doc)].find((b) => b.textContent.startsWith("Hello there"));
  for (const [p, sel] of [[agent, "#messages .bubble"], [frame, ".msg:not(.mine) .bubble"]]) {
    await p.waitForFunction(reply, sel, { timeout: 10000 });
    const got = await p.evaluate((sel) => {
      const b = [...document.querySelectorAll(sel)].find((b) => b.textContent.startsWith("Hello there"));
      return { html: b.innerHTML, a: [...b.querySelectorAll("a")].map((a) => [a.href, a.rel, a.target]) };
    }, sel);
    assert.equal(got.html.replace(/<a [^>]*>/, "<a>"), "Hello <em>there</em>, <strong>see</strong> <a>https://example.org/x</a>");
    assert.deepEqual(got.a, [["https://example.org/x", "noopener noreferrer", "_blank"]]);
  }
  assert.deepEqual([...dialogs, ...agentDialogs], []);
  await agent.context().close();
  await ctx.close();
  site.close();
});
