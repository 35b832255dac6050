/*
 * Frontporch shims for sites switching from Talkus, Crisp, Intercom or
 * Chatwoot: their host-page calls keep working, mapped onto
 * `frontporch(command, arg)`. widget.js loads this file only when the page
 * defines one of their globals (talkus, $crisp, Intercom, intercomSettings,
 * $chatwoot, chatwootSettings). Calls queued before it loaded are replayed.
 * A call with no Frontporch equivalent is ignored with one console warning
 * naming it. The README lists what each product's calls become.
 */
(function () {
  "use strict";
  var fp = window.frontporch;
  if (typeof fp !== "function" || window.__frontporchShims) return;
  window.__frontporchShims = true;

  function unsupported(product, call) {
    if (window.console) console.warn("frontporch: " + product + " call not supported: " + call);
  }
  function obj(v) { return v && typeof v === "object" && !Array.isArray(v) ? v : {}; }
  function scalar(v) { return typeof v === "string" || typeof v === "number" || typeof v === "boolean"; }

  /** Builds an identify argument: known keys by `map` (theirs → ours), scalar rest in custom. */
  function person(src, map, skip) {
    var out = {};
    var custom = {};
    Object.keys(src).forEach(function (k) {
      var v = src[k];
      if (map[k]) { if (v != null && v !== "") out[map[k]] = typeof v === "object" ? v.image_url : v; }
      else if ((skip || []).indexOf(k) < 0 && scalar(v)) custom[k] = v;
    });
    if (Object.keys(custom).length) out.custom = custom;
    return out;
  }
  function identify(p) { if (Object.keys(p).length) fp("identify", p); }
  function replay(queue, fn) {
    (Array.isArray(queue) ? queue : []).forEach(function (args) { fn.apply(null, Array.prototype.slice.call(args)); });
  }

  // ---- Talkus: talkus('init', appId, user), talkus('open'), ...
  if (typeof window.talkus === "function") {
    var talkusQueue = window.talkus.q;
    var talkusUser = { id: "id", name: "name", email: "email", phone: "phone", avatar: "avatar", picture: "avatar", hash: "hash" };
    window.talkus = function (cmd, a, b) {
      if (cmd === "init") return identify(person(obj(typeof a === "object" ? a : b), talkusUser));
      if (["open", "close", "toggle", "show", "hide"].indexOf(cmd) >= 0) return fp(cmd);
      if (cmd === "logout") return fp("reset");
      unsupported("talkus", String(cmd));
    };
    replay(talkusQueue, window.talkus);
  }

  // ---- Intercom: Intercom('boot', settings), 'show', 'hide', 'update', ...
  var intercomUser = { user_id: "id", user_hash: "hash", name: "name", email: "email", phone: "phone", avatar: "avatar" };
  var intercomConfig = ["app_id", "api_base", "created_at", "hide_default_launcher", "alignment", "horizontal_padding",
    "vertical_padding", "custom_launcher_selector", "action_color", "background_color", "session_duration", "language_override"];
  function intercomPerson(s) {
    s = obj(s);
    if (typeof s.language_override === "string") fp("language", s.language_override);
    identify(person(s, intercomUser, intercomConfig));
  }
  function intercomOn(event, map) {
    return function (fn) { if (typeof fn === "function") fp("on", event, function (d) { fn(map ? map(d) : undefined); }); };
  }
  var intercomCalls = {
    boot: intercomPerson,
    update: intercomPerson,
    shutdown: function () { fp("reset"); },
    show: function () { fp("open"); },
    showMessages: function () { fp("open"); },
    hide: function () { fp("close"); },
    showNewMessage: function (text) { if (typeof text === "string" && text) fp("message", text); else fp("open"); },
    onShow: intercomOn("open"),
    onHide: intercomOn("close"),
    onUnreadCountChange: intercomOn("unread", function (d) { return (d && d.count) || 0; }),
  };
  if (typeof window.Intercom === "function" || window.intercomSettings) {
    var intercomQueue = window.Intercom && window.Intercom.q;
    window.Intercom = function (cmd) {
      var fn = Object.prototype.hasOwnProperty.call(intercomCalls, cmd) ? intercomCalls[cmd] : null;
      if (!fn) return unsupported("Intercom", String(cmd));
      fn.apply(null, Array.prototype.slice.call(arguments, 1));
    };
    // Intercom boots itself from window.intercomSettings.
    if (window.intercomSettings && !(intercomQueue || []).some(function (a) { return a[0] === "boot"; })) intercomPerson(window.intercomSettings);
    replay(intercomQueue, window.Intercom);
  }

  // ---- Crisp: $crisp.push(["do", "chat:open"]), ["set", "user:email", [..]], ["on", "chat:opened", fn], ...
  if (Array.isArray(window.$crisp)) {
    var crispQueue = window.$crisp;
    var crispOpen = false;
    var crispHandlers = {};
    var crispEvents = { "chat:opened": "open", "chat:closed": "close", "message:sent": "message:sent", "message:received": "message:received" };
    fp("on", "open", function () { crispOpen = true; });
    fp("on", "close", function () { crispOpen = false; });
    var first = function (a) { return Array.isArray(a) ? a[0] : a; };
    var crispDo = {
      "chat:open": function () { fp("open"); },
      "chat:close": function () { fp("close"); },
      "chat:toggle": function () { fp("toggle"); },
      "chat:show": function () { fp("show"); },
      "chat:hide": function () { fp("hide"); },
      "message:send": function (a) { var t = Array.isArray(a) ? a[a.length - 1] : a; if (typeof t === "string") fp("message", { text: t, send: true }); },
      "session:reset": function () { fp("reset"); },
    };
    var crispSet = {
      "user:email": function (a) { identify({ email: first(a) }); },
      "user:nickname": function (a) { identify({ name: first(a) }); },
      "user:phone": function (a) { identify({ phone: first(a) }); },
      "user:avatar": function (a) { identify({ avatar: first(a) }); },
      "message:text": function (a) { fp("message", first(a)); },
      // [[["plan", "pro"], ["seats", 3]]], [["plan", "pro"]] or [{ plan: "pro" }]
      "session:data": function (a) {
        var data = {};
        var list = Array.isArray(a) && Array.isArray(a[0]) && Array.isArray(a[0][0]) ? a[0] : Array.isArray(a) ? a : [a];
        list.forEach(function (e) {
          if (Array.isArray(e) && typeof e[0] === "string" && scalar(e[1])) data[e[0]] = e[1];
          else Object.keys(obj(e)).forEach(function (k) { if (scalar(e[k])) data[k] = e[k]; });
        });
        if (Object.keys(data).length) fp("set", data);
      },
    };
    var crispOn = function (event, fn) {
      if (!crispEvents[event] || typeof fn !== "function") return unsupported("$crisp", "on " + event);
      var wrapped = function (d) { fn(d && d.body !== undefined ? { type: "text", content: d.body, fingerprint: d.id } : undefined); };
      (crispHandlers[event] = crispHandlers[event] || []).push(wrapped);
      fp("on", crispEvents[event], wrapped);
    };
    var crispOff = function (event) {
      (crispHandlers[event] || []).forEach(function (w) { fp("off", crispEvents[event], w); });
      crispHandlers[event] = [];
    };
    var crispPush = function (call) {
      if (!Array.isArray(call)) return unsupported("$crisp", String(call));
      var kind = call[0], key = call[1], arg = call[2];
      var table = kind === "do" ? crispDo : kind === "set" ? crispSet : null;
      if (kind === "on") return crispOn(key, arg);
      if (kind === "off") return crispOff(key);
      if (table && Object.prototype.hasOwnProperty.call(table, key)) return table[key](arg);
      unsupported("$crisp", kind + " " + key);
    };
    window.$crisp = {
      push: crispPush,
      do: function (k, a) { crispPush(["do", k, a]); },
      set: function (k, a) { crispPush(["set", k, a]); },
      on: function (k, fn) { crispPush(["on", k, fn]); },
      off: function (k) { crispPush(["off", k]); },
      is: function (k) {
        if (k === "chat:opened") return crispOpen;
        if (k === "chat:closed") return !crispOpen;
        unsupported("$crisp", "is " + k);
        return false;
      },
    };
    var runtime = obj(window.CRISP_RUNTIME_CONFIG);
    if (typeof runtime.locale === "string") fp("language", runtime.locale);
    crispQueue.forEach(crispPush);
  }

  // ---- Chatwoot: window.chatwootSettings, then window.$chatwoot after "chatwoot:ready".
  if (window.chatwootSettings || window.$chatwoot) {
    var cw = obj(window.chatwootSettings);
    if (typeof cw.locale === "string") fp("language", cw.locale);
    var cwUser = { email: "email", name: "name", phone_number: "phone", avatar_url: "avatar", identifier_hash: "hash" };
    var cwUnsupported = function (name) { return function () { unsupported("$chatwoot", name); }; };
    window.$chatwoot = {
      hasLoaded: true,
      toggle: function (s) { fp(s === "open" ? "open" : s === "close" ? "close" : "toggle"); },
      toggleBubbleVisibility: function (s) { fp(s === "hide" ? "hide" : "show"); },
      setUser: function (id, u) {
        var p = person(obj(u), cwUser);
        if (id != null && id !== "") p.id = String(id);
        identify(p);
      },
      setCustomAttributes: function (attrs) {
        var data = {};
        Object.keys(obj(attrs)).forEach(function (k) { if (scalar(attrs[k])) data[k] = attrs[k]; });
        if (Object.keys(data).length) fp("set", data);
      },
      setLocale: function (l) { if (typeof l === "string") fp("language", l); },
      reset: function () { fp("reset"); },
      deleteCustomAttribute: cwUnsupported("deleteCustomAttribute"),
      setLabel: cwUnsupported("setLabel"),
      removeLabel: cwUnsupported("removeLabel"),
      setConversationCustomAttributes: cwUnsupported("setConversationCustomAttributes"),
      deleteConversationCustomAttribute: cwUnsupported("deleteConversationCustomAttribute"),
      popoutChatWindow: cwUnsupported("popoutChatWindow"),
    };
    fp("on", "message:received", function (d) {
      window.dispatchEvent(new CustomEvent("chatwoot:on-message", { detail: { content: d && d.body } }));
    });
    window.dispatchEvent(new CustomEvent("chatwoot:ready"));
  }
})();
