// The chat widget, inside its iframe on the Frontporch origin.
//
// The visitor token lives in this origin's localStorage, so the conversation
// survives page loads on the host site. Everything the visitor or an agent
// wrote is put on the page with textContent, never as HTML.

import { emojiPicker } from "../shared/emoji.js";
import { formatInto } from "../shared/format.js";
import { placeByTime } from "../shared/order.js";
import { createOutbox } from "../shared/outbox.js";
import { wireFiles, upload, fileCard, openLightbox, isImage } from "../shared/files.js";
import { strings, isRtl } from "./i18n.js";
import { setupHelp } from "./help.js";
import { setupAutomations } from "./automations.js";
import { showPanel, setPhone } from "./look.js";
import { drawTeam, replyText } from "./team.js";
import { avatarNode } from "../shared/avatar.js";
import { tickState, ticks, markTicks, timelineText, addTimeline } from "../shared/states.js";
import { showClosed, hideClosed, isClosed } from "./closed.js";
import { isRich, richNode } from "../shared/rich.js";
import { clientCommand } from "./client_commands.js";
import { formCard, formEvent, resetForms } from "./forms.js";
import { isBlocked, showBlocked } from "./blocked.js";
import { scoreEvent, loadScore } from "./scores.js";
import { menuButtons } from "./menu.js";

const $ = (id) => document.getElementById(id);
const host = new URLSearchParams(location.hash.slice(1)).get("host") || "";
const embedded = window.parent !== window && host !== "";
// The visitor's token and conversation id, kept in this origin's storage.
// Browsers that block storage for third-party frames get it kept by the
// loader in the host page instead (it hands it back on every page load).
const ownStorage = (() => { try { localStorage.setItem("frontporch.probe", "1"); localStorage.removeItem("frontporch.probe"); return true; } catch { return false; } })();
const saved = {};
const store = {
  get: (k) => (ownStorage ? localStorage.getItem("frontporch." + k) : saved[k] ?? null),
  set: (k, v) => {
    if (ownStorage) {
      if (v == null) localStorage.removeItem("frontporch." + k); else localStorage.setItem("frontporch." + k, String(v));
      return;
    }
    if (v == null) delete saved[k]; else saved[k] = String(v);
    toHost("store", { value: Object.keys(saved).length ? JSON.stringify(saved) : null });
  },
};
let startedOk;
const started = new Promise((ok) => { startedOk = ok; });
let hostHandoff;
const fromHost = new Promise((ok) => { hostHandoff = ok; });

const state = {
  token: null,
  conversation: null,
  me: null,
  config: {},
  online: false,
  open: false,
  hidden: false,
  unread: 0,
  // The conversation was archived or trashed: no composer, a "new" button.
  closed: false,
  cursor: null,
  seen: new Set(),
  lang: "en",
  settings: {},
  // Who answers and how soon (widget config; `team.js`).
  team: { agents: [], reply: null },
  // The host page, as the loader reports it (automations' conditions).
  page: { url: embedded ? "" : location.href, referrer: embedded ? "" : document.referrer, scroll: 0, since: Date.now() },
};

let t = strings("en");
/** The help panel (help.js), once the page has started. */
let help = null;

// ------------------------------------------------------------------ host page

function toHost(type, extra) {
  if (embedded) window.parent.postMessage({ type: "frontporch:" + type, ...extra }, host);
}
function emit(name, data) { toHost("event", { name, data }); }
function layout() {
  const popup = !state.open && !$("popup").hidden;
  toHost("layout", { state: { open: state.open, hidden: state.hidden, popup, position: state.config.position || "right" } });
  document.body.classList.toggle("open", state.open);
  document.body.classList.toggle("left", state.config.position === "left");
}

let commandsDone = Promise.resolve();
window.addEventListener("message", (e) => {
  if (!embedded || e.source !== window.parent || e.origin !== host) return;
  const m = e.data;
  if (!m || typeof m !== "object") return;
  if (m.type === "frontporch:settings") {
    if (!ownStorage && typeof m.stored === "string") {
      try { Object.assign(saved, JSON.parse(m.stored)); } catch { /* ignore a damaged value */ }
    }
    hostHandoff();
    applySettings(m.settings || {});
  }
  if (m.type === "frontporch:viewport") setPhone(Boolean(m.small));
  if (m.type === "frontporch:page") {
    state.page.url = String(m.url || "");
    state.page.referrer = String(m.referrer || "");
    state.page.scroll = Number(m.scroll) || 0;
  }
  // Commands wait until the saved visitor (if any) is back, and run one at a
  // time in order (an identify and a set must not start two visitors).
  if (m.type === "frontporch:command") commandsDone = commandsDone.then(() => started).then(() => command(m.command, m.arg)).catch(report);
});

async function command(name, arg) {
  switch (name) {
    case "open": return setOpen(true);
    case "close": return setOpen(false);
    case "toggle": return setOpen(!state.open);
    case "show": state.hidden = false; return layout();
    case "hide": state.hidden = true; return layout();
    case "language": return setLanguage(String(arg || "en"));
    case "identify": return identify(arg || {});
    case "set": return updateMe({ custom: arg || {} });
    case "message": {
      const text = typeof arg === "string" ? arg : arg && arg.text;
      if (!text) return;
      if (arg && arg.send) return send(text);
      $("input").value = text;
      return setOpen(true);
    }
    case "reset": return reset();
  }
}

function applySettings(s) {
  state.settings = s;
  if (s.language) setLanguage(s.language);
  if (s.identify) started.then(() => identify(s.identify)).catch(report);
}

// ------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(status, body) { super((body && body.error && body.error.message) || "HTTP " + status); this.status = status; this.body = body; }
}

async function api(method, path, body, raw, rawType) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = raw ? rawType : "application/json";
  const res = await fetch("/api/v1" + path, { method, headers, body: raw ? body : body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && state.token) forgetVisitor();
    if (isBlocked(res.status, data)) showBlocked(data.error.message);
    throw new ApiError(res.status, data);
  }
  return data;
}

function report(e) { if (window.console) console.warn("frontporch:", e && e.message ? e.message : e); }

function forgetVisitor() {
  state.token = null; state.conversation = null; state.me = null;
  store.set("token", null); store.set("conversation", null);
}

async function ensureVisitor(fields) {
  if (state.token) return;
  const r = await api("POST", "/widget/session", fields || {});
  state.token = r.token; state.me = r.user;
  store.set("token", r.token);
  await syncCursor();
  poll();
}

async function updateMe(fields) {
  await ensureVisitor();
  const r = await api("PATCH", "/widget/me", fields);
  state.me = r.user;
}

async function identify(p) {
  const fields = {};
  if (p.name) { const [first, ...rest] = String(p.name).split(" "); fields.first_name = first; fields.last_name = rest.join(" "); }
  for (const k of ["email", "phone", "avatar"]) if (p[k]) fields[k] = String(p[k]);
  if (p.custom && typeof p.custom === "object") fields.custom = p.custom;
  if (p.id != null) {
    await ensureVisitor();
    const r = await api("POST", "/widget/identify", { id: String(p.id), hash: p.hash ? String(p.hash) : null, ...fields });
    state.me = r.user;
    if (r.merged) {
      // Now the known contact: show their latest conversation.
      state.conversation = null; store.set("conversation", null);
      clearMessages(); await loadConversation(); render();
    }
    return;
  }
  if (Object.keys(fields).length) await updateMe(fields);
}

async function reset() {
  if (state.token) await api("DELETE", "/widget/session").catch(() => {});
  forgetVisitor();
  clearMessages();
  state.closed = false; hideClosed($("messages"));
  state.unread = 0; badge();
  render();
}

// ------------------------------------------------------------------ UI

function setLanguage(code) {
  state.lang = code;
  t = strings(code);
  document.documentElement.lang = code;
  document.documentElement.dir = isRtl(code) ? "rtl" : "ltr";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t[el.dataset.i18n] || el.textContent;
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t[el.dataset.i18nLabel] || el.getAttribute("aria-label"));
  $("launcher").setAttribute("aria-label", state.open ? t.close : t.open);
  $("close").setAttribute("aria-label", t.close);
  $("input").placeholder = t.placeholder;
  $("input").setAttribute("aria-label", t.message);
  $("send").setAttribute("aria-label", t.send);
  if (help) { help.translate(); help.load(); }
  // The admin's texts for this language (widget.texts), once the config is in.
  if (textsLang !== null && textsLang !== code) loadTexts().catch(report);
  render();
}

/** The texts an admin can give per language (`widget.texts`), which the
 * public config serves for the visitor's language over the default ones. */
const TEXT_KEYS = ["title", "subtitle", "greeting", "away_message", "offline_message", "prechat_message"];
let textsLang = null;
function configPath() {
  return "/widget/config" + (/^[A-Za-z0-9_-]{2,10}$/.test(state.lang) ? "?lang=" + encodeURIComponent(state.lang) : "");
}
async function loadTexts() {
  textsLang = state.lang;
  const cfg = await api("GET", configPath());
  if (textsLang !== state.lang) return;
  for (const k of TEXT_KEYS) {
    if (cfg.config && cfg.config[k] != null) state.config[k] = cfg.config[k]; else delete state.config[k];
  }
  render();
}

function setOpen(open) {
  if (open) $("popup").hidden = true;
  if (state.open === open) return;
  state.open = open;
  showPanel(open, layout);
  $("launcher").setAttribute("aria-expanded", String(open));
  // The launcher stays on screen while open, as the close button.
  $("launcher").setAttribute("aria-label", open ? t.close : t.open);
  emit(open ? "open" : "close", {});
  if (open) {
    // No visitor yet, so no event stream: ask whether anyone is there now.
    if (!state.token) {
      api("GET", "/widget/status").then((r) => {
        if (Boolean(r.online) !== state.online) { state.online = Boolean(r.online); render(); }
      }, report);
    }
    state.unread = 0; badge();
    markRead();
    // Not when shown directly (the settings preview): focus would scroll the page.
    if (embedded) setTimeout(() => (visibleForm() || $("input")).focus(), 0);
    scrollDown();
  } else {
    $("launcher").focus();
  }
}

function badge() {
  const b = $("badge");
  b.hidden = state.unread === 0;
  b.textContent = state.unread > 9 ? "9+" : String(state.unread);
  emit("unread", { count: state.unread });
}

function visibleForm() {
  for (const id of ["prechat", "offline"]) if (!$(id).hidden) return $(id).querySelector("input,textarea");
  return null;
}

function prechatFields() {
  const p = state.config.prechat || {};
  return p.enabled ? (p.fields && p.fields.length ? p.fields : [{ name: "first_name", label: t.name }, { name: "email", label: t.email, type: "email" }]) : [];
}

/** Inside the weekly opening hours, in the configured time zone (the
 * browser's own time zone database does the conversion)? No hours set means
 * always open. `hours = {timezone, days: {mon: [["09:00", "17:00"]], ...}}`. */
function withinHours(hours, now = new Date()) {
  if (!hours || !hours.days) return true;
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: hours.timezone || "UTC", weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(now);
  } catch { return true; }
  const get = (t) => (parts.find((p) => p.type === t) || {}).value || "";
  const day = get("weekday").toLowerCase().slice(0, 3);
  const hm = get("hour").padStart(2, "0") + ":" + get("minute").padStart(2, "0");
  return (hours.days[day] || []).some(([from, to]) => hm >= from && hm < to);
}

/** Someone to answer: an agent online, within opening hours. */
function available() {
  return state.online && withinHours(state.config.hours);
}

/** Which screen: the offline form, the pre-chat form, or the conversation. */
function render() {
  const c = state.config;
  $("title").textContent = c.title || t.title;
  $("subtitle").textContent = available() ? (c.subtitle || replyText(t, state.team.reply) || t.online) : (c.away_message || t.away);
  drawTeam($("team"), state.team.agents);
  if (c.logo) { $("logo").src = c.logo; $("logo").hidden = false; }
  const talking = Boolean(state.conversation);
  $("transcript").hidden = !talking;
  const offline = !available() && !talking && c.offline_form !== false;
  const needPrechat = !offline && !talking && !state.token && prechatFields().length > 0;
  $("offline").hidden = !offline;
  // "We will reply by email" no longer holds once someone is there.
  if (available()) $("offline-done").hidden = true;
  $("prechat").hidden = !needPrechat;
  $("composer").hidden = offline || needPrechat || state.closed;
  $("offline-intro").textContent = c.offline_message || t.offlineIntro;
  $("prechat-intro").textContent = c.prechat_message || t.prechatIntro;
  if (needPrechat) buildPrechat();
  if (!talking && !offline && !$("messages").children.length && (c.greeting || t.greeting)) greet();
  for (const g of document.querySelectorAll(".greeting .bubble")) g.textContent = c.greeting || t.greeting;
}

function buildPrechat() {
  const box = $("prechat-fields");
  if (box.children.length) return;
  const required = (state.config.prechat || {}).required;
  for (const f of prechatFields()) {
    const label = document.createElement("label");
    const span = document.createElement("span");
    span.textContent = f.label || f.name;
    const input = document.createElement("input");
    input.name = f.name; input.type = f.type || "text"; input.required = Boolean(required || f.required);
    label.append(span, input);
    box.append(label);
  }
}

function greet() {
  const li = document.createElement("li");
  li.className = "msg greeting";
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  bubble.textContent = state.config.greeting || t.greeting;
  li.append(bubble);
  $("messages").append(li);
}

function clearMessages() { $("messages").replaceChildren(); state.seen.clear(); resetForms(); }

function timeText(iso) {
  try { return new Date(iso).toLocaleTimeString(state.lang, { hour: "2-digit", minute: "2-digit" }); } catch { return ""; }
}

function addMessage(m) {
  if (!m || state.seen.has(m.id) || m.private) return;
  state.seen.add(m.id);
  // One of ours that was queued: it takes the place of its "sending" bubble.
  const queued = m.client_id ? outbox.items.find((q) => q.client_id === m.client_id) : null;
  for (const g of document.querySelectorAll(".greeting")) g.remove();
  const mine = state.me && m.user_id === state.me.id;
  const li = document.createElement("li");
  li.className = "msg" + (mine ? " mine" : "");
  li.dataset.id = m.id;
  li.dataset.at = m.created_at;
  if (!mine) {
    li.append(avatarNode(m.sender));
  }
  const wrap = document.createElement("div");
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (!m.deleted && isRich(m)) bubble.append(richNode(m.payload.rich));
  else formatInto(bubble, m.deleted ? t.deleted : m.body || "");
  if (!bubble.textContent) bubble.classList.add("files");
  for (const a of m.attachments || []) bubble.append(attachment(a));
  if (m.payload && m.payload.type === "form") formCard(bubble, m, formCtx);
  if (!m.deleted && m.payload && m.payload.menu) menuButtons(bubble, m, send);
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = [mine ? "" : (m.sender && m.sender.name) || "", timeText(m.created_at)].filter(Boolean).join(" · ");
  if (mine) meta.append(" ", ticks(tickState(m), tickWords()));
  wrap.append(bubble, meta);
  li.append(wrap);
  if (queued && queued.li && queued.li.isConnected) queued.li.replaceWith(li); else placeByTime($("messages"), li);
  if (queued) { queued.li = null; queued.sent = true; }
  scrollDown();
  return mine;
}

// ------------------------------------------------------------------ outbox

/** Messages not yet accepted by the server (`shared/outbox.js`). */
const outbox = createOutbox({
  send: async (q) => { await sendMessage({ ...q.message, client_id: q.client_id }, q); poll(); },
  draw: drawQueued,
  report,
});

/** A queued message's bubble: "sending", or "not sent" with a retry button. */
function drawQueued(q) {
  const li = document.createElement("li");
  // Not "mine" yet: that is a message the server has.
  li.className = "msg pending" + (q.failed ? " failed" : "");
  li.dataset.client = q.client_id;
  const wrap = document.createElement("div");
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  formatInto(bubble, q.message.body || "");
  for (const a of q.message.attachments || []) bubble.append(attachment(a));
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.setAttribute("role", "status");
  meta.textContent = q.failed ? t.failed + (q.error ? " · " + q.error : "") : t.sending;
  wrap.append(bubble, meta);
  if (q.failed) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = t.retry;
    retry.addEventListener("click", () => outbox.retry(q));
    wrap.append(retry);
  }
  li.append(wrap);
  if (q.li && q.li.isConnected) q.li.replaceWith(li); else $("messages").append(li);
  q.li = li;
  scrollDown();
}

function enqueue(message) {
  outbox.add({ message });
}

function attachment(a) {
  const link = document.createElement("a");
  link.className = "attachment";
  link.href = a.url; link.target = "_blank"; link.rel = "noopener noreferrer";
  const image = isImage(a);
  if (image) {
    const img = document.createElement("img");
    img.src = a.url; img.alt = a.name || "";
    // A dead link (expired, or the key changed): once, the file itself.
    img.addEventListener("error", () => viaToken(a.url).then((u) => { img.src = u; }, report), { once: true });
    link.append(img);
  } else {
    fileCard(link, a, t.file);
  }
  link.addEventListener("click", (e) => {
    // Images open over the chat; the lightbox shows what the thumbnail loaded.
    if (image) { e.preventDefault(); openLightbox(link.querySelector("img").src, a.name, t, $("panel")); return; }
    if (!expired(link.href)) return;
    e.preventDefault();
    viaToken(a.url).then((u) => {
      link.href = u;
      // Only images open in a tab; the rest download, as the server's link would.
      if (!image) link.download = a.name || "file";
      link.click();
    }, report);
  });
  return link;
}

/** Whether a signed upload link has expired (or is about to). Links live a
 * day or more, but a chat may stay open longer, and an <img> or <a> cannot
 * send the visitor's token. */
function expired(url) {
  const m = /[?&]exp=(\d+)/.exec(url || "");
  return Boolean(m) && Number(m[1]) * 1000 < Date.now() + 10000;
}

/** The file behind an upload link, fetched with the visitor's token (which
 * reads the conversation's files without a signature), as a blob: URL. */
async function viaToken(url) {
  if (!state.token) throw new Error("no visitor token");
  const res = await fetch(String(url).split("?")[0], { headers: { Authorization: "Bearer " + state.token } });
  if (!res.ok) throw new ApiError(res.status, null);
  return URL.createObjectURL(await res.blob());
}

function scrollDown() { const b = $("body"); b.scrollTop = b.scrollHeight; }

// ------------------------------------------------------------------ conversation

async function loadConversation() {
  if (!state.token) return;
  if (!state.conversation) {
    const r = await api("GET", "/widget/conversations?limit=1");
    const c = r.conversations[0];
    if (!c) return;
    state.conversation = c.id; store.set("conversation", c.id);
  }
  try {
    const r = await api("GET", "/widget/conversations/" + state.conversation);
    for (const m of r.messages) addMessage(m);
    for (const ev of r.timeline || []) timeline(ev);
    setClosed(isClosed(r.conversation.status));
    ackDelivered();
    if (r.conversation.status === 3) askRating();
    loadScore(scoreCtx).catch(() => {});
  } catch (e) {
    if (e.status === 404) { state.conversation = null; store.set("conversation", null); } else throw e;
  }
}

async function send(text) {
  text = text.trim();
  if (!text) return;
  $("emoji").hidden = true;
  enqueue({ body: text });
}

async function sendMessage(message, queued) {
  await ensureVisitor();
  let m;
  if (state.conversation) {
    m = (await api("POST", `/widget/conversations/${state.conversation}/messages`, message)).message;
  } else {
    const r = await api("POST", "/widget/conversations", { message });
    state.conversation = r.conversation.id; store.set("conversation", r.conversation.id);
    m = r.message;
  }
  addMessage(m);
  // Already shown (it came back by the event stream first): drop the placeholder.
  if (queued && queued.li) { queued.li.remove(); queued.li = null; }
  render();
  emit("message:sent", { id: m.id, body: m.body });
  typing(false);
}

let lastTyping = 0;
function typing(on) {
  if (!state.conversation || !state.token) return;
  const now = Date.now();
  if (on && now - lastTyping < 2500) return;
  lastTyping = on ? now : 0;
  api("POST", `/widget/conversations/${state.conversation}/typing`, { typing: on }).catch(() => {});
}

let readUpTo = 0;
function markRead() {
  if (!state.open || !state.conversation) return;
  const items = [...document.querySelectorAll(".msg:not(.mine)[data-id]")];
  const last = items.length ? Number(items[items.length - 1].dataset.id) : 0;
  if (last > readUpTo) {
    readUpTo = last;
    api("POST", `/widget/conversations/${state.conversation}/read`, { message_id: last }).catch(() => {});
  }
}

/** Tells the server this client received staff's messages ("delivered"). */
let deliveredUpTo = 0;
function ackDelivered() {
  if (!state.conversation) return;
  const items = [...document.querySelectorAll(".msg:not(.mine)[data-id]")];
  const last = items.length ? Number(items[items.length - 1].dataset.id) : 0;
  if (last > deliveredUpTo) {
    deliveredUpTo = last;
    api("POST", `/widget/conversations/${state.conversation}/delivered`, { message_id: last }).catch(() => {});
  }
}

function tickWords() { return { sent: t.sent, delivered: t.delivered, read: t.read }; }

/** A timeline line (assigned, transferred, closed, reopened) in the thread. */
function timeline(ev) {
  if (ev.kind === "conversation.rated") return; // the visitor's own: thanked already
  if (addTimeline($("messages"), ev, timelineText(ev, t), timeText(ev.created_at))) scrollDown();
}

function setClosed(closed) {
  state.closed = closed;
  // The composer goes: a keyboard user typing there lands on the button.
  const typing = $("composer").contains(document.activeElement);
  if (closed) {
    const b = showClosed($("messages"), t, newConversation);
    if (b && typing) b.focus();
  } else hideClosed($("messages"));
  render();
}

/** Leaves the closed conversation (it stays on the server, readable by
 * staff and in transcripts) for a fresh one, opened by the next message. */
function newConversation() {
  state.conversation = null; store.set("conversation", null);
  deliveredUpTo = 0; readUpTo = 0;
  $("rating").hidden = true;
  clearMessages();
  setClosed(false);
  $("input").focus();
}

/** A short synthesized chime for a reply while the panel is closed. */
function chime() {
  if (state.config.sound === false || !window.AudioContext) return;
  try {
    const ctx = chime.ctx || (chime.ctx = new AudioContext());
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 988;
    g.gain.setValueAtTime(0.06, ctx.currentTime);
    g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.3);
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.32);
  } catch { /* audio not allowed yet */ }
}

let typingTimer = 0;
function showTyping(d) {
  const el = $("typing");
  el.textContent = (d.name || t.agent) + " " + t.typing;
  el.hidden = !d.typing;
  clearTimeout(typingTimer);
  if (d.typing) typingTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

/** What a form card (forms.js) needs from the frame. */
const formCtx = { api: (...a) => api(...a), lang: () => state.lang, conversation: () => state.conversation };
/** What the quality score card (scores.js) needs from the frame. */
const scoreCtx = { ...formCtx, list: () => $("messages"), scrollDown };

function onEvent(e) {
  const d = e.data || {};
  if (e.kind === "conversation.form" && e.conversation_id === state.conversation) formEvent(d, formCtx);
  scoreEvent(e, scoreCtx);
  if (e.kind === "typing") return d.staff ? showTyping(d) : undefined;
  // A dot command an agent ran for this visitor (client_commands.js).
  if (e.kind === "command.client") return clientCommand(d, { toHost, list: $("messages"), scrollDown });
  // An agent came online or went away: whether anyone is there to answer.
  if (e.kind === "presence" && typeof d.available === "boolean") { state.online = d.available; render(); }
  if (e.kind === "conversation.created" && !state.conversation && d.conversation) {
    state.conversation = d.conversation.id; store.set("conversation", d.conversation.id); render();
  }
  if (e.kind === "message.created" && d.message && d.message.conversation_id === state.conversation) {
    const mine = addMessage(d.message);
    if (mine === false) {
      $("typing").hidden = true;
      emit("message:received", { id: d.message.id, body: d.message.body, sender: d.message.sender && d.message.sender.name });
      ackDelivered();
      if (!state.open) { state.unread += 1; badge(); chime(); } else markRead();
    }
  }
  if (e.conversation_id === state.conversation && e.kind.startsWith("conversation.")) timeline(e);
  if (e.kind === "conversation.status" && e.conversation_id === state.conversation) setClosed(isClosed(d.status));
  // Another conversation was merged into this one: its copies, placed by time.
  if (e.kind === "conversation.imported" && e.conversation_id === state.conversation && d.target === e.conversation_id) loadConversation().catch(() => {});
  if (e.kind === "conversation.status" && e.conversation_id === state.conversation && d.status === 3) askRating();
  if ((e.kind === "message.read" || e.kind === "message.delivered") && d.by === "staff") {
    markTicks($("messages"), d.message_ids, e.kind === "message.read" ? "read" : "delivered", tickWords());
  }
}

/** The current position of the event stream (a cursor from the future is
 * answered at once with the real one). */
async function syncCursor() {
  state.cursor = (await api("GET", "/events?after=9007199254740991")).cursor;
}

let polling = false;
async function poll() {
  if (polling || !state.token) return;
  polling = true;
  let delay = 1000;
  while (state.token) {
    try {
      if (state.cursor == null) await syncCursor();
      const r = await api("GET", "/events?after=" + state.cursor);
      state.cursor = r.cursor;
      for (const e of r.events) onEvent(e);
      delay = 1000;
    } catch (e) {
      if (e.status === 401) break;
      // Network down or server restarting: back off, then resume from the cursor.
      await new Promise((ok) => setTimeout(ok, delay));
      delay = Math.min(delay * 2, 30000);
    }
  }
  polling = false;
}

// ------------------------------------------------------------------ rating, transcript

let rating = 0;
function askRating() {
  if (store.get("rated") === String(state.conversation)) return;
  $("rating").hidden = false;
  scrollDown();
}
for (const b of document.querySelectorAll(".rate")) {
  b.addEventListener("click", () => {
    rating = Number(b.dataset.rating);
    for (const o of document.querySelectorAll(".rate")) o.setAttribute("aria-pressed", String(o === b));
  });
}
$("rating").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!rating || !state.conversation) return;
  try {
    await api("POST", `/widget/conversations/${state.conversation}/rating`, { rating, comment: e.target.comment.value.trim() || null });
    e.target.hidden = true;
    store.set("rated", state.conversation);
    note(t.thanksRating, "done");
  } catch (err) { report(err); note(err.message); }
});

$("transcript").addEventListener("click", () => {
  const f = $("transcript-form");
  f.hidden = !f.hidden;
  if (!f.hidden) { f.email.value = (state.me && state.me.email) || ""; f.email.focus(); scrollDown(); }
});
$("transcript-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  if (!f.reportValidity() || !state.conversation) return;
  try {
    const r = await api("POST", `/widget/conversations/${state.conversation}/transcript`, { email: f.email.value.trim() });
    f.hidden = true;
    // The server saved the address on the visitor's record if it had none.
    if (state.me && !state.me.email) state.me.email = r.to;
    note(t.transcriptSent + " " + r.to, "done");
  } catch (err) { report(err); note(err.message); }
});

// ------------------------------------------------------------------ forms

function formValues(form) {
  const out = {};
  for (const el of form.elements) if (el.name) out[el.name] = el.value.trim();
  return out;
}

// Attachments (picked, dropped on the chat or pasted): upload the file,
// then send it as a message.
$("attach").addEventListener("click", () => $("file").click());
wireFiles({
  zone: $("panel"),
  picker: $("file"),
  before: () => $("composer"),
  labels: () => t,
  start: async (file, onProgress) => {
    await ensureVisitor();
    const headers = { Authorization: "Bearer " + state.token, "Content-Type": file.type || "application/octet-stream" };
    const up = upload("/api/v1/widget/uploads?name=" + encodeURIComponent(file.name), file, headers, onProgress);
    // A token the server no longer knows is forgotten, as api() does.
    return { cancel: up.cancel, done: up.done.catch((err) => { if (err.status === 401) forgetVisitor(); throw err; }) };
  },
  sent: (r) => enqueue({ body: "", attachments: [r.attachment] }),
  failed: (text) => note(text),
  // Not while a form, the help panel or nothing is shown instead of the chat.
  ready: () => $("composer").getClientRects().length > 0,
});

function note(text, kind) {
  const p = document.createElement("p");
  p.className = kind === "done" ? "done" : "error-note";
  p.setAttribute("role", "alert");
  p.textContent = text;
  $("messages").append(p);
  setTimeout(() => p.remove(), 6000);
}

const EMOJI = ["😀", "😂", "😊", "😍", "🤔", "😅", "😢", "😮", "👍", "👎", "🙏", "👏", "🎉", "❤️", "🔥", "✅", "❌", "⭐", "👋", "🙂", "😉", "🤝", "💡", "📦"];
emojiPicker($("emoji-button"), $("emoji"), $("input"), EMOJI);

$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("input");
  const text = input.value;
  input.value = "";
  send(text).catch(report);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
});
$("input").addEventListener("input", () => typing(true));
$("launcher").addEventListener("click", () => setOpen(!state.open));
$("close").addEventListener("click", () => setOpen(false));
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.open) setOpen(false); });

$("prechat").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  if (!form.reportValidity()) return;
  const v = formValues(form);
  const fields = {};
  const custom = {};
  for (const [k, val] of Object.entries(v)) {
    if (!val) continue;
    if (["first_name", "last_name", "email", "phone"].includes(k)) fields[k] = val; else custom[k] = val;
  }
  if (Object.keys(custom).length) fields.custom = custom;
  try { await ensureVisitor(fields); render(); $("input").focus(); } catch (err) { report(err); }
});

$("offline").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  if (!form.reportValidity()) return;
  const v = formValues(form);
  try {
    await ensureVisitor({ email: v.email });
    const r = await api("POST", "/widget/conversations", { message: { body: v.message } });
    state.conversation = r.conversation.id; store.set("conversation", r.conversation.id);
    form.reset();
    // The message joins the conversation view, with the promise to reply.
    addMessage(r.message);
    render();
    $("offline-done").textContent = t.offlineDone;
    $("offline-done").hidden = false;
  } catch (err) { report(err); }
});

// ------------------------------------------------------------------ automations

/** A pop-up automation, above the closed launcher, shown as text. */
function showPopup(a) {
  if (state.open) return;
  $("popup-title").textContent = a.title || "";
  $("popup-message").textContent = a.message || "";
  const img = $("popup-image");
  const src = /^https?:\/\//i.test(a.profile_image || "") ? a.profile_image : "";
  img.hidden = !src;
  if (src) img.src = src; else img.removeAttribute("src");
  $("popup").hidden = false;
  layout();
  emit("popup", { id: a.id, title: a.title || "" });
}
$("popup-open").addEventListener("click", () => setOpen(true));
$("popup-close").addEventListener("click", () => { $("popup").hidden = true; layout(); });

/** A design automation: colour, title, subtitle and logo for this page. */
function applyDesign(a) {
  if (typeof a.color_1 === "string" && a.color_1) {
    state.config.color = a.color_1;
    document.documentElement.style.setProperty("--accent", a.color_1);
  }
  if (a.title) state.config.title = String(a.title);
  if (a.message) state.config.subtitle = String(a.message);
  if (/^https?:\/\//i.test(a.brand || "")) state.config.logo = a.brand;
  render();
}

// ------------------------------------------------------------------ start

async function start() {
  help = setupHelp({ api, lang: () => state.lang, strings: () => t, ensureVisitor, report, available: () => state.articles === true });
  setLanguage((navigator.language || "en").slice(0, 2));
  if (embedded) {
    toHost("ready", {});
    // Wait (briefly) for the host's settings, which may carry our saved token.
    await Promise.race([fromHost, new Promise((ok) => setTimeout(ok, 1500))]);
  }
  state.token = store.get("token");
  state.conversation = Number(store.get("conversation")) || null;
  try {
    textsLang = state.lang;
    const cfg = await api("GET", configPath());
    state.config = cfg.config || {};
    state.online = Boolean(cfg.online);
    state.articles = cfg.articles !== false;
    state.team = { agents: cfg.agents || [], reply: cfg.reply_time || null };
    const root = document.documentElement.style;
    if (state.config.color) root.setProperty("--accent", state.config.color);
    if (state.config.language && !state.settings.language) setLanguage(state.config.language);
  } catch (e) { report(e); }
  layout();
  render();
  await help.load();
  const automations = setupAutomations({
    api, page: () => state.page, store, lang: () => state.lang, ensureVisitor,
    popup: showPopup, design: applyDesign, report,
  });
  if (state.token) {
    // Who the saved visitor is (their own messages are drawn as theirs),
    // then the cursor, then history: nothing falls between the two.
    try {
      state.me = (await api("GET", "/widget/me")).user;
      await syncCursor(); await loadConversation();
    } catch (e) { report(e); }
    render();
    poll();
  }
  startedOk();
  automations.load();
  if (!embedded) setOpen(true);
}

start();
