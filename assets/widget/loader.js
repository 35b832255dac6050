/*
 * Frontporch widget loader: the one script a site embeds.
 *
 *   <script>window.frontporchSettings = { language: "fr" };</script>
 *   <script src="https://chat.example.com/widget.js" async></script>
 *
 * It creates one iframe served from the Frontporch origin (the host page's
 * CSS and scripts cannot reach into it) and exposes `frontporch(command,
 * arg)`. Calls made before this script loaded were queued by the snippet
 * `window.frontporch = window.frontporch || function () {
 *    (frontporch.q = frontporch.q || []).push(arguments) }` and are replayed.
 * Every postMessage names the exact target origin and checks the sender.
 * `frontporchSettings.allowClientCommands = true` lets the agents' client
 * dot commands (JavaScript an admin wrote) run in this page; without it
 * the frame's handoff is ignored. Redirect actions need no opt-in.
 */
(function () {
  "use strict";
  if (window.__frontporchLoaded) return;
  window.__frontporchLoaded = true;

  var script = document.currentScript || document.querySelector('script[src*="/widget.js"]');
  var origin = new URL(script.src, location.href).origin;
  var settings = window.frontporchSettings || {};
  var queued = (window.frontporch && window.frontporch.q) || [];
  var handlers = {};
  var ready = false;
  var outbox = [];

  var storeKey = "frontporch:" + origin;
  var hostStore = {
    get: function () { try { return localStorage.getItem(storeKey); } catch (e) { return null; } },
    set: function (v) {
      try { if (v === null) localStorage.removeItem(storeKey); else localStorage.setItem(storeKey, v); } catch (e) { /* no storage */ }
    },
  };

  var frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.setAttribute("allow", "clipboard-write");
  frame.src = origin + "/widget/frame#host=" + encodeURIComponent(location.origin);
  var style = frame.style;
  style.position = "fixed";
  style.border = "0";
  style.zIndex = "2147483000";
  style.colorScheme = "normal";
  style.background = "transparent";
  style.bottom = "0";
  style.right = "0";
  style.width = "96px";
  style.height = "96px";
  style.maxHeight = "100%";
  style.maxWidth = "100%";

  // Whether the chat fills the screen (a phone) or floats as a card: the
  // frame cannot tell from its own size, so it is told, and again on resize.
  var lastState = null;
  var lastSmall = null;
  function small() { return window.innerWidth < 600; }
  function tellSize() {
    if (small() === lastSmall) return;
    lastSmall = small();
    post({ type: "frontporch:viewport", small: lastSmall });
  }
  window.addEventListener("resize", function () {
    if (!ready) return;
    tellSize();
    if (lastState) place(lastState);
  });

  function place(state) {
    lastState = state;
    var left = state.position === "left";
    style.left = left ? "0" : "auto";
    style.right = left ? "auto" : "0";
    style.display = state.hidden ? "none" : "block";
    if (state.open) {
      // A 388 px card and room for its shadow.
      style.width = small() ? "100%" : "428px";
      style.height = small() ? "100%" : "min(720px, 100%)";
    } else if (state.popup) {
      style.width = "min(360px, 100%)";
      style.height = "300px";
    } else {
      style.width = "96px";
      style.height = "96px";
    }
  }

  function post(msg) {
    if (!ready) return outbox.push(msg);
    frame.contentWindow.postMessage(msg, origin);
  }

  function emit(name, data) {
    (handlers[name] || []).forEach(function (fn) {
      try { fn(data); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  window.addEventListener("message", function (e) {
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    var m = e.data || {};
    if (typeof m !== "object" || typeof m.type !== "string" || m.type.indexOf("frontporch:") !== 0) return;
    var type = m.type.slice("frontporch:".length);
    if (type === "ready") {
      ready = true;
      // The frame keeps its visitor token in its own storage; where the
      // browser blocks storage for third-party frames, it keeps it here.
      post({ type: "frontporch:settings", settings: settings, stored: hostStore.get() });
      outbox.splice(0).forEach(post);
      tellSize();
      page();
      emit("ready", {});
    } else if (type === "store") {
      hostStore.set(typeof m.value === "string" ? m.value : null);
    } else if (type === "layout") {
      place(m.state || {});
    } else if (type === "event") {
      emit(m.name, m.data);
    } else if (type === "client-command") {
      clientCommand(m);
    }
  });

  // A dot command an agent ran for this visitor: a redirect (http(s) only),
  // or an admin's script, run only where the site opted in.
  function clientCommand(m) {
    if (m.action === "redirect") {
      if (/^https?:\/\//i.test(String(m.url))) location.assign(m.url);
      return;
    }
    if (typeof m.script !== "string" || (window.frontporchSettings || {}).allowClientCommands !== true) return;
    try { new Function(m.script)(); } catch (e) { setTimeout(function () { throw e; }); }
  }

  var commands = ["open", "close", "toggle", "show", "hide", "identify", "set", "language", "message", "reset"];

  function frontporch(command, arg, extra) {
    if (command === "on") {
      if (typeof extra === "function" && typeof arg === "string") (handlers[arg] = handlers[arg] || []).push(extra);
      return;
    }
    if (command === "off") {
      if (handlers[arg]) handlers[arg] = handlers[arg].filter(function (f) { return f !== extra; });
      return;
    }
    if (commands.indexOf(command) < 0) {
      if (window.console) console.warn("frontporch: unknown command", command);
      return;
    }
    // Only plain data crosses into the frame.
    post({ type: "frontporch:command", command: command, arg: arg === undefined ? null : JSON.parse(JSON.stringify(arg)) });
  }

  // Where the visitor is on the host page, for automations' conditions
  // (page URL, referrer, how far down they scrolled). Only the frame sees it.
  var lastUrl = "";
  var lastScroll = -1;
  function page() {
    var doc = document.documentElement;
    var room = Math.max(1, doc.scrollHeight - window.innerHeight);
    var scroll = Math.round(Math.min(100, Math.max(0, (window.scrollY / room) * 100)));
    if (location.href === lastUrl && scroll === lastScroll) return;
    lastUrl = location.href;
    lastScroll = scroll;
    post({ type: "frontporch:page", url: location.href, referrer: document.referrer, scroll: scroll });
  }
  var scrollTimer = 0;
  window.addEventListener("scroll", function () {
    if (!scrollTimer) scrollTimer = setTimeout(function () { scrollTimer = 0; if (ready) page(); }, 300);
  }, { passive: true });
  // Single-page sites change the URL without a load.
  setInterval(function () { if (ready && location.href !== lastUrl) page(); }, 1000);

  window.frontporch = frontporch;
  for (var i = 0; i < queued.length; i++) frontporch.apply(null, queued[i]);

  // A site switching from Talkus, Crisp, Intercom or Chatwoot keeps its
  // calls: their shims (shims.js) load only where the page defines a global.
  if (window.talkus || window.$crisp || window.Intercom || window.intercomSettings || window.$chatwoot || window.chatwootSettings) {
    var shims = document.createElement("script");
    shims.src = origin + "/assets/widget/shims.js";
    (document.head || document.documentElement).appendChild(shims);
  }

  function mount() { document.body.appendChild(frame); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
