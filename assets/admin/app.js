// The agent inbox. Plain ES module, no framework. Everything a visitor or
// contact wrote is inserted with textContent, never as HTML.

import { emojiPicker } from "../shared/emoji.js";
import { formatInto, plainText } from "../shared/format.js";
import { createOutbox } from "../shared/outbox.js";
import { wireFiles, upload, fileCard, openLightbox, isImage } from "../shared/files.js";
import { tickState, ticks, markTicks, timelineText, addTimeline } from "../shared/states.js";
import { reactionsRow, loadReactions, reactionEvent } from "./reactions.js";
import { setupMerge, mergeEvent } from "./merge.js";
import { setupMacros, menuItems } from "./macros.js";
import { placeByTime } from "../shared/order.js";
import { emailDetails } from "./email_view.js";
import { channelComposer } from "./channels.js";
import { setChannelBadge, channelNote, addSourceOptions } from "./channel_badge.js";
import { setup as setupSettings, savedReplies } from "./settings.js";
import { setupProfile } from "./profile.js";
import { loadInvitations, isInvited, markInvited, renderParticipants, memberIds, rowName, isContact } from "./participants.js";
import { avatarNode } from "../shared/avatar.js";
import { renderRow, keepTimesCurrent } from "./list.js";
import { setupKeys } from "./keys.js";
import { setupPush, forgetDevice } from "./push.js";
import { isRich, richNode } from "../shared/rich.js";
import { setupCommandMenu } from "./command_menu.js";
import { formsPanel, formsEvent } from "./forms.js";
import { minified, embedHeaders, loginBody, loggedIn, forget, startEmbed, openDialog, problem } from "./embed.js";
import { store } from "./storage.js";
import { setupTags, rememberTags, tagFilterAllows, rowChips, showTags, tagsEvent } from "./tags.js";

const $ = (id) => document.getElementById(id);
const STATUS = ["Live", "Waiting for user", "Waiting for agent", "Archive", "Trash"];

const state = {
  me: null,
  role: null,
  csrf: null,
  tab: "inbox",
  search: "",
  filters: { agent: "", dept: "", source: "" },
  offset: 0,
  more: false,
  agents: [],
  departments: [],
  conversations: new Map(),
  current: null,
  cursor: null,
  users: new Map(),
};

class ApiError extends Error {
  constructor(status, body) { super((body && body.error && body.error.message) || "HTTP " + status); this.status = status; }
}

async function api(method, path, body) {
  const headers = embedHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const res = await fetch("/api/v1" + path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401) { showLogin(); throw new ApiError(401, data); }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// ------------------------------------------------------------------ session

function showLogin() {
  $("app").hidden = true;
  $("login").hidden = false;
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  $("login-error").hidden = true;
  try {
    const r = await api("POST", "/auth/login", loginBody({ email: f.email.value, password: f.password.value }));
    loggedIn(r);
    state.csrf = r.csrf_token;
    f.reset();
    await boot();
  } catch (err) {
    $("login-error").textContent = err.status === 429 ? "Too many attempts, try again later." : "Wrong email or password.";
    $("login-error").hidden = false;
  }
});

$("logout").addEventListener("click", async () => {
  await forgetDevice(api, state.me).catch(() => {});
  await api("POST", "/auth/logout").catch(() => {});
  forget();
  state.csrf = null;
  location.reload();
});

$("presence").addEventListener("change", async (e) => {
  await api("PUT", "/me/presence", { online: e.target.checked });
  $("presence-label").textContent = e.target.checked ? "Online" : "Away";
});

// ------------------------------------------------------------------ list

function tabStatus() { return state.tab === "inbox" ? "inbox" : state.tab; }

const PAGE = 50;

/** One conversation fetched alone (opened, changed, an event): it carries no
 * search match, so under a search the row keeps the one the list found. */
function putConversation(c) {
  const before = state.conversations.get(c.id);
  if (state.search && !c.match && before && before.match) c.match = before.match;
  state.conversations.set(c.id, c);
}

/** Loads the first page (or, with `more`, the next one) of the list. */
let listSeq = 0;
async function loadList(more) {
  // Only the newest load draws: an older answer (another search, tab or
  // filter) that arrives late is dropped.
  const seq = ++listSeq;
  if (!more) state.offset = 0;
  const q = new URLSearchParams({ status: tabStatus(), limit: String(PAGE), offset: String(state.offset) });
  if (state.search) q.set("search", state.search);
  const f = state.filters;
  if (f.agent) q.set("agent_id", f.agent === "me" ? String(state.me.id) : f.agent);
  if (f.dept) q.set("department_id", f.dept);
  if (f.source) q.set("source", f.source);
  if (f.tag) q.set("tag", f.tag);
  const r = await api("GET", "/conversations?" + q);
  if (seq !== listSeq) return;
  rememberTags(r.conversations, f.tag);
  if (!more) state.conversations = new Map();
  for (const c of r.conversations) state.conversations.set(c.id, c);
  state.offset += r.conversations.length;
  state.more = r.conversations.length === PAGE;
  // "Mine" also lists what was assigned to me with /assign, not accepted yet.
  const invitations = more ? [] : await loadInvitations(api).catch(() => []);
  if (f.agent === "me") for (const c of invitations) if (!state.conversations.has(c.id)) state.conversations.set(c.id, c);
  await loadUsers([...r.conversations, ...invitations].flatMap((c) => [c.user_id, ...memberIds(c)]));
  renderList();
}

// Infinite scroll: the next page when the list is scrolled to its end.
$("list").addEventListener("scroll", () => {
  const l = $("list");
  if (state.more && !loadList.busy && l.scrollTop + l.clientHeight >= l.scrollHeight - 40) {
    loadList.busy = true;
    loadList(true).finally(() => { loadList.busy = false; });
  }
});

addSourceOptions($("f-source"));
for (const [id, key] of [["f-agent", "agent"], ["f-dept", "dept"], ["f-source", "source"]]) {
  $(id).addEventListener("change", (e) => { state.filters[key] = e.target.value; loadList(); });
}

/** Fills the agent and department pickers. */
async function loadDirectory() {
  const [agents, admins, depts] = await Promise.all([
    api("GET", "/users?type=agent&limit=200"), api("GET", "/users?type=admin&limit=200"), api("GET", "/departments"),
  ]);
  state.agents = [...agents.users, ...admins.users].filter((u) => !u.disabled);
  state.departments = depts.departments;
  const fill = (select, items, label, keep) => {
    for (const o of [...select.options].slice(keep)) o.remove();
    for (const it of items) { const o = el("option", "", label(it)); o.value = String(it.id); select.append(o); }
  };
  fill($("f-agent"), state.agents, displayName, 3);
  fill($("assign-agent"), state.agents, displayName, 1);
  fill($("f-dept"), state.departments, (d) => d.name, 1);
  fill($("assign-dept"), state.departments, (d) => d.name, 1);
}

async function loadUsers(ids) {
  for (const id of new Set(ids)) {
    if (state.users.has(id)) continue;
    try { state.users.set(id, (await api("GET", "/users/" + id)).user); } catch { /* deleted */ }
  }
}

function displayName(u) { return (u && (u.name || u.email)) || "Visitor"; }

function inTab(c) {
  return state.tab === "inbox" ? c.status <= 2 : String(c.status) === state.tab;
}

function renderList() {
  const list = $("list");
  // A keyboard user's place in the list survives the redraw.
  const focused = list.contains(document.activeElement) && document.activeElement.dataset.id;
  list.replaceChildren();
  const rows = [...state.conversations.values()].filter(inTab).sort((a, b) => (b.updated_at > a.updated_at ? 1 : -1));
  const f = state.filters;
  const shown = rows.filter((c) =>
    (!f.agent || (f.agent === "me" && isInvited(c.id)) || (f.agent === "none" ? c.agent_id == null : c.agent_id === (f.agent === "me" ? state.me.id : Number(f.agent)))) &&
    (!f.dept || c.department_id === Number(f.dept)) && tagFilterAllows(c));
  rows.length = 0;
  rows.push(...shown);
  let unread = 0;
  for (const c of rows) {
    const contact = state.users.get(c.user_id);
    const li = renderRow(c, {
      contact, agent: state.agents.find((a) => a.id === c.agent_id), current: state.current, search: state.search,
      name: rowName(c, state.users) || c.title || displayName(contact), preview: state.search && c.match ? plainText(c.match.body) : preview(c.last_message),
    });
    if (rated(c)) li.lastChild.append(el("span", "rating", ratingText(rated(c))));
    const chips = rowChips(c.id);
    if (chips) li.lastChild.append(chips);
    markInvited(li, c.id);
    li.addEventListener("click", () => open(c.id));
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") open(c.id); });
    list.append(li);
    unread += c.my_unread ?? c.unread ?? 0;
  }
  keepTimesCurrent(list);
  if (focused) list.querySelector(`li[data-id="${Number(focused)}"]`)?.focus();
  document.title = (unread ? `(${unread}) ` : "") + "Frontporch inbox";
}

for (const b of document.querySelectorAll("[data-tab]")) {
  b.addEventListener("click", () => {
    state.tab = b.dataset.tab;
    for (const o of document.querySelectorAll("[data-tab]")) o.setAttribute("aria-selected", String(o === b));
    loadList();
  });
}

let searchTimer = 0;
$("search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { state.search = e.target.value.trim(); loadList(); }, 250);
});

// ------------------------------------------------------------------ conversation

async function open(id) {
  state.current = id;
  const r = await api("GET", `/conversations/${id}?limit=100`);
  putConversation(r.conversation);
  state.users.set(r.user.id, r.user);
  $("empty").hidden = true;
  $("thread").hidden = false;
  renderHead(r.conversation);
  const list = $("messages");
  list.replaceChildren();
  for (const m of r.messages) addMessage(m);
  loadReactions(id, api).catch(() => {});
  for (const ev of r.timeline || []) timeline(ev);
  renderRating(r.conversation, r.messages);
  const lastVisitor = [...r.messages].reverse().find((m) => m.user_id === r.conversation.user_id);
  if (lastVisitor) ackDelivered(id, lastVisitor.id);
  // Replies still queued for this conversation, after its history.
  for (const q of outbox.items) if (q.conv === id) { q.li = null; drawQueued(q); }
  showParticipants(r);
  renderContact(r.user);
  showTags(r.conversation, r.user).catch(() => {});
  formsPanel(id, api);
  channelComposer(r.conversation, r.messages, api, () => { if (state.current === id) open(id); }, () => state.current === id);
  renderList();
  markRead();
  if (minified !== 3) $("input").focus();
}

function renderHead(c) {
  $("thread-title").textContent = rowName(c, state.users) || c.title || displayName(state.users.get(c.user_id));
  $("thread-status").textContent = STATUS[c.status] || "";
  setChannelBadge($("thread-channel"), c);
  const closed = c.status >= 3;
  document.querySelector('[data-action="archive"]').hidden = c.status === 3;
  document.querySelector('[data-action="trash"]').hidden = c.status === 4;
  document.querySelector('[data-action="restore"]').hidden = !closed;
  document.querySelector('[data-action="delete"]').hidden = c.status !== 4;
  $("assign-agent").value = c.agent_id == null ? "" : String(c.agent_id);
  $("assign-dept").value = c.department_id == null ? "" : String(c.department_id);
}

/** The participants panel of the open conversation (participants.js). */
function showParticipants(r) {
  const refresh = async () => {
    const again = await api("GET", `/conversations/${r.conversation.id}?limit=1`);
    if (again.conversation.id === state.current) showParticipants(again);
  };
  renderParticipants(r.participants, { api, me: state.me, conv: r.conversation, refresh });
}

/** The visitor's rating of a conversation ({rating, comment, at}), if any. */
function rated(c) {
  const r = c && c.extra && c.extra.rating;
  return r && (r.rating === 1 || r.rating === -1) ? r : null;
}

/** "👍 Good — comment", as text (the comment is the visitor's). */
function ratingText(r, withComment) {
  const word = (r.rating > 0 ? "👍 Good" : "👎 Bad");
  return withComment && r.comment ? word + " — " + r.comment : word;
}

/** The rating as a timeline event in the thread, where it happened among
 * the messages (`messages`: the ones just loaded; without them, at the end). */
function renderRating(c, messages) {
  for (const old of document.querySelectorAll("#messages .event.rating")) old.remove();
  const r = rated(c);
  if (!r || c.id !== state.current) return;
  const li = el("li", "event rating");
  li.append(el("span", "", "Rated " + ratingText(r, true)), el("span", "meta", " · " + fmtTime(r.at)));
  const after = (messages || []).find((m) => m.created_at > r.at);
  const next = after && document.querySelector(`#messages [data-id="${Number(after.id)}"]`);
  $("messages").insertBefore(li, next || null);
  if (!next) $("messages").scrollTop = $("messages").scrollHeight;
}

/** Whether a signed upload link has expired (or is about to). */
function linkExpired(url) {
  const m = /[?&]exp=(\d+)/.exec(url || "");
  return Boolean(m) && Number(m[1]) * 1000 < Date.now() + 10000;
}

/** A conversation's last message in the list: its text, else its first file. */
function preview(m) {
  if (!m) return "";
  const a = (m.attachments || [])[0];
  return plainText(m.body) || (a ? "📎 " + (a.name || (/^image\//.test(a.type || "") ? "Image" : "File")) : "");
}

function addMessage(m) {
  if (document.querySelector(`#messages [data-id="${Number(m.id)}"]`)) return;
  // One of ours that was queued: it takes the place of its "sending" bubble.
  const queued = m.client_id ? outbox.items.find((q) => q.client_id === m.client_id && q.conv === m.conversation_id) : null;
  const c = state.conversations.get(state.current);
  const staff = c && m.user_id !== c.user_id && !isContact(m.sender);
  const li = el("li", "msg" + (staff ? " staff" : "") + (m.private ? " private" : ""));
  li.dataset.id = m.id;
  if (m.sender) li.append(avatarNode({ ...m.sender, name: displayName(m.sender) }));
  li.dataset.at = m.created_at;
  const bubble = m.deleted ? el("div", "bubble", "Message deleted") : formatInto(el("div", "bubble"), m.body || "");
  if (!m.deleted && isRich(m)) bubble.replaceChildren(richNode(m.payload.rich));
  for (const a of m.attachments || []) {
    const link = fileCard(el("a", "attachment"), a, "file");
    link.href = a.url; link.target = "_blank"; link.rel = "noopener noreferrer";
    // Signed links expire (after a day or more); staff read the bare link
    // with their session cookie, so a dead one falls back to it.
    const bare = String(a.url).split("?")[0];
    link.addEventListener("click", () => { if (linkExpired(link.href)) link.href = bare; });
    if (isImage(a)) {
      const img = el("img");
      img.src = a.url; img.alt = a.name || "";
      img.addEventListener("error", () => { img.src = bare; }, { once: true });
      link.classList.remove("file-card");
      link.replaceChildren(img);
      link.addEventListener("click", (e) => { e.preventDefault(); openLightbox(img.src, a.name, FILE_LABELS); });
    }
    // A new line between the text (or the file before) and this file, not above a file alone.
    if (bubble.textContent || bubble.querySelector("a")) bubble.append(el("br"));
    bubble.append(link);
  }
  if (!m.deleted) menuItems(bubble, m, c);
  const mail = emailDetails(m);
  if (mail) li.append(mail);
  const note = channelNote(m);
  if (note) li.append(note);
  const who = (m.sender && m.sender.name) || "";
  const meta = el("div", "meta", [who, fmtTime(m.created_at), m.private ? "internal note" : ""].filter(Boolean).join(" · "));
  if (staff && !m.private) meta.append(" ", ticks(tickState(m), TICK_WORDS));
  li.append(bubble, meta, reactionsRow(m, state.current, api, state.me && state.me.id));
  if (queued && queued.li && queued.li.isConnected) queued.li.replaceWith(li); else placeByTime($("messages"), li);
  if (queued) { queued.li = null; queued.sent = true; }
  $("messages").scrollTop = $("messages").scrollHeight;
}

/** Draws message `m` again where it is (a file arrived, a failure was
 * reported): drawn at the end as new, then moved into its old place. */
function redrawMessage(m) {
  const old = document.querySelector(`#messages [data-id="${Number(m.id)}"]`);
  if (!old) return;
  const mark = document.createComment("");
  old.replaceWith(mark);
  addMessage(m);
  const li = document.querySelector(`#messages [data-id="${Number(m.id)}"]`);
  if (li) mark.replaceWith(li); else mark.remove();
}

const TICK_WORDS = { sent: "sent", delivered: "delivered", read: "read" };
const TIMELINE_WORDS = { assignedTo: "Assigned to", unassigned: "Unassigned", transferredTo: "Transferred to", closed: "Conversation closed", reopened: "Conversation reopened", rated: "Rated", scored: "Scored" };

/** A timeline line in the open thread (the rating has its own, renderRating). */
function timeline(ev) {
  if (ev.kind === "conversation.rated" || ev.conversation_id !== state.current) return;
  const li = addTimeline($("messages"), ev, timelineText(ev, TIMELINE_WORDS), fmtTime(ev.created_at));
  if (li && !li.nextSibling) $("messages").scrollTop = $("messages").scrollHeight;
}

/** Tells the server this inbox received the contact's messages up to `id`. */
const delivered = new Map();
function ackDelivered(conv, id) {
  if ((delivered.get(conv) || 0) >= id) return;
  delivered.set(conv, id);
  api("POST", `/conversations/${conv}/delivered`, { message_id: id }).catch(() => {});
}

// ------------------------------------------------------------------ outbox

/** Replies not yet accepted by the server (`shared/outbox.js`). */
const outbox = createOutbox({
  send: async (q) => {
    const r = await api("POST", `/conversations/${q.conv}/messages`, { ...q.message, client_id: q.client_id });
    if (q.conv === state.current) addMessage(r.message);
    if (q.li) { q.li.remove(); q.li = null; }
  },
  draw: drawQueued,
});

/** A queued reply's bubble (in its conversation, when open): "sending…",
 * or "not sent" with a retry button. */
function drawQueued(q) {
  if (q.conv !== state.current) { q.li = null; return; }
  const li = el("li", "msg staff pending" + (q.message.private ? " private" : "") + (q.failed ? " failed" : ""));
  li.dataset.client = q.client_id;
  const bubble = formatInto(el("div", "bubble"), q.message.body || "");
  for (const a of q.message.attachments || []) bubble.append(el("br"), el("span", "attachment", "📎 " + (a.name || "file")));
  li.append(bubble, el("div", "meta", q.failed ? "not sent" + (q.error ? " · " + q.error : "") : "sending…"));
  if (q.failed) {
    const retry = el("button", "retry", "Retry");
    retry.type = "button";
    retry.addEventListener("click", () => outbox.retry(q));
    li.append(retry);
  }
  if (q.li && q.li.isConnected) q.li.replaceWith(li); else $("messages").append(li);
  q.li = li;
  $("messages").scrollTop = $("messages").scrollHeight;
}

function enqueue(conv, message) {
  outbox.add({ conv, message });
}

let historyRun = 0;
async function renderHistory(u) {
  const ul = $("contact-history");
  // Events refresh the panel while an earlier load is still out: only the
  // newest load fills it, and it replaces what is there (no list twice).
  const run = ++historyRun;
  // Another contact's list never stays under this one's name.
  if (ul.dataset.user !== String(u.id)) { ul.replaceChildren(); ul.dataset.user = u.id; }
  const r = await api("GET", `/conversations?status=all&user_id=${u.id}&limit=20`);
  if (run !== historyRun) return;
  ul.replaceChildren();
  for (const c of r.conversations) {
    const li = el("li", "", [c.title || "#" + c.id, STATUS[c.status], fmtTime(c.updated_at), rated(c) ? ratingText(rated(c)) : ""].filter(Boolean).join(" · "));
    li.addEventListener("click", () => open(c.id));
    if (c.id === state.current) li.setAttribute("aria-current", "true");
    ul.append(li);
  }
}

function renderContact(u) {
  renderHistory(u).catch(() => {});
  $("contact").hidden = false;
  $("contact-name").textContent = displayName(u);
  const dl = $("contact-details");
  dl.replaceChildren();
  const rows = [["Email", u.email], ["Phone", u.phone], ["Language", u.language], ["Page", u.current_url], ["Type", u.type]];
  const c = state.conversations.get(state.current);
  if (rated(c) && c.user_id === u.id) rows.push(["Rating", ratingText(rated(c), true)]);
  for (const [k, v] of Object.entries(u.custom || {})) rows.push([k, typeof v === "string" ? v : JSON.stringify(v)]);
  for (const [k, v] of rows) {
    if (!v) continue;
    dl.append(el("dt", "", k), el("dd", "", v));
  }
}

async function markRead() {
  const c = state.conversations.get(state.current);
  const last = [...document.querySelectorAll("#messages .msg:not(.staff)")].pop();
  if (!c || !last || !(c.my_unread ?? c.unread)) return;
  await api("POST", `/conversations/${c.id}/read`, { message_id: Number(last.dataset.id) }).catch(() => {});
  c.unread = 0;
  c.my_unread = 0;
  renderList();
}

document.querySelector("#actions").addEventListener("click", async (e) => {
  const action = e.target.dataset && e.target.dataset.action;
  const id = state.current;
  if (!action || !id) return;
  if (action === "delete") {
    if (!confirm("Delete this conversation and its messages for good?")) return;
    await api("DELETE", `/conversations/${id}`);
    state.conversations.delete(id);
    state.current = null;
    $("thread").hidden = true; $("empty").hidden = false; $("contact").hidden = true;
    return renderList();
  }
  const patch = { archive: { status: 3 }, trash: { status: 4 }, restore: { status: 2 } }[action];
  const r = await api("PATCH", `/conversations/${id}`, patch);
  putConversation(r.conversation);
  renderHead(r.conversation);
  renderList();
});

for (const [id, field] of [["assign-agent", "agent_id"], ["assign-dept", "department_id"]]) {
  $(id).addEventListener("change", async (e) => {
    if (!state.current) return;
    const value = e.target.value ? Number(e.target.value) : null;
    const r = await api("PATCH", `/conversations/${state.current}`, { [field]: value });
    putConversation(r.conversation);
    renderList();
  });
}

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $("input");
  const body = input.value.trim();
  if (!body || !state.current) return;
  input.value = "";
  enqueue(state.current, { body, private: $("note").checked });
  $("note").checked = false;
});

const EMOJI = ["😀", "😊", "😉", "🙂", "😅", "🙏", "👍", "👋", "🎉", "✅", "❤️", "🔥", "💡", "📦", "🚚", "⏰"];
emojiPicker($("emoji-button"), $("emoji"), $("input"), EMOJI);

// The per-agent sound setting, kept in this browser.
$("sound").checked = store.get("frontporch.sound") !== "off";
$("sound").addEventListener("change", (e) => store.set("frontporch.sound", e.target.checked ? "on" : "off"));

// Files: picked, dropped on the thread or pasted into it (shared/files.js).
const FILE_LABELS = {
  uploading: "Uploading", cancel: "Cancel", closeImage: "Close image", image: "Image",
  fileTooLarge: "This file is too large.", fileType: "This type of file cannot be sent.",
  tooManyUploads: "Too many uploads right now; try again in a moment.", diskFull: "The server's disk is full: files cannot be stored.",
  uploadFailed: "The file could not be uploaded.", emptyFile: "This file is empty.",
};
$("attach").addEventListener("click", () => $("file").click());
wireFiles({
  zone: $("thread"),
  picker: $("file"),
  before: () => $("composer"),
  labels: () => FILE_LABELS,
  ready: () => Boolean(state.current),
  start: async (file, onProgress) => {
    if (!state.current) throw Object.assign(new Error("no conversation"), { cancelled: true });
    // The file goes to the conversation that was open when it was dropped.
    const conv = state.current;
    const up = upload("/api/v1/uploads?name=" + encodeURIComponent(file.name), file,
      { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": state.csrf, ...embedHeaders() }, onProgress);
    const done = up.done.then((r) => ({ conv, attachment: r.attachment }), (err) => { if (err.status === 401) showLogin(); throw err; });
    return { cancel: up.cancel, done };
  },
  sent: (r) => enqueue(r.conv, { body: "", attachments: [r.attachment], private: $("note").checked }),
  failed: (text) => {
    const p = el("p", "error upload-error", text);
    p.setAttribute("role", "alert");
    $("composer").before(p);
    setTimeout(() => p.remove(), 8000);
  },
});

// Saved replies: "#short" in the reply box suggests them; Enter or Tab inserts.
let replies = [];
// Settles when the saved replies are loaded (on start, and after Settings).
let repliesReady = Promise.resolve();
function loadReplies() {
  repliesReady = savedReplies(api).then((r) => { replies = r; });
  return repliesReady;
}
let picked = 0;
function suggestions() {
  const input = $("input");
  const m = /(^|\s)#([\w-]*)$/.exec(input.value.slice(0, input.selectionStart));
  if (!m) return [];
  return replies.filter((r) => r.shortcut.toLowerCase().startsWith(m[2].toLowerCase())).slice(0, 8);
}
async function showSuggestions() {
  await repliesReady;
  const list = suggestions();
  const ul = $("suggest");
  ul.replaceChildren();
  ul.hidden = list.length === 0;
  picked = Math.min(picked, Math.max(list.length - 1, 0));
  list.forEach((r, i) => {
    const li = el("li", "", "#" + r.shortcut + " — " + r.text);
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === picked));
    li.addEventListener("mousedown", (e) => { e.preventDefault(); insertReply(r); });
    ul.append(li);
  });
}
function insertReply(r) {
  const input = $("input");
  const before = input.value.slice(0, input.selectionStart).replace(/#[\w-]*$/, "");
  const after = input.value.slice(input.selectionStart);
  input.value = before + r.text + after;
  input.selectionStart = input.selectionEnd = before.length + r.text.length;
  $("suggest").hidden = true;
}
$("input").addEventListener("input", showSuggestions);
// `/` and `.` at the start list the commands (command_menu.js).
setupCommandMenu({ input: $("input"), form: $("composer"), api });
// Replies saved elsewhere (another tab, another admin) show up too.
$("input").addEventListener("focus", () => { if (!replies.length) loadReplies(); });
$("input").addEventListener("keydown", (e) => {
  if (!$("suggest").hidden) {
    const list = suggestions();
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      picked = (picked + (e.key === "ArrowDown" ? 1 : list.length - 1)) % list.length;
      return showSuggestions();
    }
    if ((e.key === "Enter" || e.key === "Tab") && list[picked]) { e.preventDefault(); return insertReply(list[picked]); }
    if (e.key === "Escape") { $("suggest").hidden = true; return; }
  }
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
});

let lastTyping = 0;
$("input").addEventListener("input", () => {
  const now = Date.now();
  if (!state.current || now - lastTyping < 2500 || $("note").checked) return;
  lastTyping = now;
  api("POST", `/conversations/${state.current}/typing`, { typing: true }).catch(() => {});
});

// Keyboard shortcuts (keys.js; `?` lists them).
const listed = () => [...document.querySelectorAll("#list li")].map((li) => Number(li.dataset.id));
async function patchCurrent(patch) {
  const r = await api("PATCH", `/conversations/${state.current}`, patch);
  putConversation(r.conversation);
  renderHead(r.conversation);
  renderList();
}
// The read-only view (minifiedView=3) has no reply box or actions.
const canAct = () => state.current && minified !== 3;
// Moving by keys keeps the focus on the list, so the next key moves on.
function focusRow() {
  const li = document.querySelector('#list li[aria-current="true"]');
  li?.focus();
  return li;
}
const go = (id) => open(id).then(focusRow);
setupKeys({
  next: () => { const ids = listed(); if (ids.length) return go(ids[Math.min(ids.indexOf(state.current) + 1, ids.length - 1)]); },
  previous: () => { const ids = listed(); if (ids.length) return go(ids[Math.max(ids.indexOf(state.current) - 1, 0)]); },
  nextUnanswered: () => {
    const ids = listed();
    const i = ids.indexOf(state.current);
    const waits = (id) => { const c = state.conversations.get(id); return c && c.status <= 2 && c.waiting_since; };
    const next = [...ids.slice(i + 1), ...ids.slice(0, i + 1)].find((id) => id !== state.current && waits(id));
    if (!next) return "No other unanswered conversation";
    return go(next).then(() => "Unanswered conversation opened");
  },
  reply: () => { if (canAct()) { $("note").checked = false; $("input").focus(); } },
  note: () => { if (!canAct()) return; $("note").checked = true; $("input").focus(); return "Writing an internal note"; },
  assignMe: () => canAct() && patchCurrent({ agent_id: state.me.id }).then(() => "Assigned to you"),
  archive: () => canAct() && state.conversations.get(state.current).status !== 3 && patchCurrent({ status: 3 }).then(() => "Archived"),
  search: () => $("search").focus(),
  // Esc in the reply box or search goes back to the list (once no
  // suggestion or emoji list is open: those close first).
  leave: (field) => {
    if (!(field.closest("#composer") || field.id === "search") || !$("suggest").hidden || !$("emoji").hidden) return;
    field.blur();
    if (!focusRow()) $("list").focus();
  },
});

// ------------------------------------------------------------------ realtime

let typingTimer = 0;
async function onEvent(ev) {
  const d = ev.data || {};
  if (ev.kind === "typing") {
    if (ev.conversation_id === state.current && !d.staff) {
      $("typing").textContent = (d.name || "Visitor") + " is typing…";
      $("typing").hidden = !d.typing;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { $("typing").hidden = true; }, 6000);
    }
    return;
  }
  if (ev.kind === "webhook.disabled") return webhookNotice(d.webhook);
  if (await tagsEvent(ev).catch(() => false)) renderList();
  if (!ev.conversation_id) return;
  formsEvent(ev);
  if (ev.kind === "conversation.deleted") {
    state.conversations.delete(ev.conversation_id);
    return renderList();
  }
  if ((ev.kind === "message.read" || ev.kind === "message.delivered") && d.by === "visitor") {
    if (ev.conversation_id === state.current) markTicks($("messages"), d.message_ids, ev.kind === "message.read" ? "read" : "delivered", TICK_WORDS);
    return;
  }
  if (ev.kind === "message.delivered") return;
  // A client dot command, meant for the visitor's page: nothing to show or refresh here.
  if (ev.kind === "command.client") return;
  if (ev.kind.startsWith("conversation.")) timeline(ev);
  if (ev.kind === "conversation.participant") await loadInvitations(api).catch(() => {});
  const sender = d.message && d.message.sender;
  if (ev.kind === "message.created" && !d.message.private && sender && !["agent", "admin", "bot"].includes(sender.type)) ackDelivered(ev.conversation_id, d.message.id);
  if (ev.kind === "message.created" && ev.conversation_id === state.current) {
    addMessage(d.message);
    $("typing").hidden = true;
  }
  if (ev.kind === "message.created" && d.message && d.message.user_id !== (state.me && state.me.id)) notify(d.message);
  if (ev.kind === "message.updated" && d.message && ev.conversation_id === state.current) redrawMessage(d.message);
  reactionEvent(ev, state.current, api);
  mergeEvent(ev, state.current, open);
  // Refresh the row (status, unread, last message) from the server.
  try {
    const r = await api("GET", `/conversations/${ev.conversation_id}?limit=1`);
    putConversation(r.conversation);
    state.users.set(r.user.id, r.user);
    if (r.conversation.id === state.current) { renderHead(r.conversation); renderRating(r.conversation); renderContact(r.user); showParticipants(r); markRead(); }
    renderList();
  } catch { /* gone or not visible */ }
}

/** Tells admins that the server turned a webhook endpoint off (410 Gone, or
 * failing for the whole retry window); Settings → Webhooks re-enables it. */
function webhookNotice(w) {
  if (!w || w.active || !w.disabled_reason) return;
  $("notice-text").textContent = `Webhook ${w.url} was disabled: ${w.disabled_reason}. Re-enable it in Settings → Webhooks.`;
  $("notice").hidden = false;
}
$("notice-close").addEventListener("click", () => { $("notice").hidden = true; });

/** A short two-tone chime, synthesised (no audio file to fetch). */
function chime() {
  if (store.get("frontporch.sound") === "off" || !window.AudioContext) return;
  const ctx = chime.ctx || (chime.ctx = new AudioContext());
  [880, 1320].forEach((hz, i) => {
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = hz;
    g.gain.setValueAtTime(0.08, ctx.currentTime + i * 0.12);
    g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.12 + 0.25);
    o.connect(g).connect(ctx.destination);
    o.start(ctx.currentTime + i * 0.12);
    o.stop(ctx.currentTime + i * 0.12 + 0.3);
  });
}

function notify(m) {
  if (document.hasFocus() && m.conversation_id === state.current) return;
  if (window.Notification && Notification.permission === "granted" && store.get("frontporch.notify") !== "off") {
    const n = new Notification((m.sender && m.sender.name) || "New message", { body: m.body, tag: "conv-" + m.conversation_id });
    n.onclick = () => { window.focus(); open(m.conversation_id); };
  }
  chime();
}

async function poll() {
  let delay = 1000;
  for (;;) {
    try {
      if (state.cursor == null) state.cursor = (await api("GET", "/events?after=9007199254740991")).cursor;
      const r = await api("GET", "/events?after=" + state.cursor);
      state.cursor = r.cursor;
      for (const ev of r.events) await onEvent(ev);
      delay = 1000;
    } catch (e) {
      if (e.status === 401) return;
      await new Promise((ok) => setTimeout(ok, delay));
      delay = Math.min(delay * 2, 30000);
    }
  }
}

// ------------------------------------------------------------------ start

async function boot() {
  const me = await api("GET", "/me");
  state.me = me.user;
  state.role = me.role;
  if (me.csrf_token) state.csrf = me.csrf_token;
  $("me").textContent = displayName(me.user);
  $("presence").checked = me.user.online;
  setupProfile({ button: $("profile-button"), api, csrf: () => state.csrf, me: () => state.me,
    saved: (u) => { state.me = u; $("me").textContent = displayName(u); } });
  $("presence-label").textContent = me.user.online ? "Online" : "Away";
  $("login").hidden = true;
  $("app").hidden = false;
  if (minified) document.body.classList.add("min" + minified);
  state.cursor = (await api("GET", "/events?after=9007199254740991")).cursor;
  await loadDirectory();
  await setupTags({ api, onFilter: (tag) => { state.filters.tag = tag; loadList(); } });
  await loadList();
  await loadReplies();
  if (me.role === "admin" && !minified) {
    // Endpoints the server turned off while nobody was looking.
    api("GET", "/webhooks").then((r) => r.webhooks.forEach(webhookNotice)).catch(() => {});
    const openSettings = setupSettings(api);
    $("settings-button").hidden = false;
    $("settings-button").addEventListener("click", async () => {
      const on = document.body.classList.toggle("show-settings");
      $("settings").hidden = !on;
      $("settings-button").textContent = on ? "Back to inbox" : "Settings";
      if (on) await openSettings();
      else { loadReplies(); await loadDirectory(); }
    });
  }
  if (minified) await openDialog(open);
  // A notification's deep link (push.js, sw.js): `#conversation=<id>`.
  const linked = () => Number((/^#conversation=(\d+)$/.exec(location.hash) || [])[1]) || null;
  const follow = () => { if (linked()) open(linked()).catch(() => {}); };
  window.addEventListener("hashchange", follow);
  if (!state.current) follow();
  if (!minified) setupPush();
  setupMerge({ api, current: () => state.conversations.get(state.current), reopen: open });
  setupMacros({ api, current: () => state.conversations.get(state.current) });
  if (window.Notification && Notification.permission === "default") {
    document.addEventListener("click", () => Notification.requestPermission().catch(() => {}), { once: true });
  }
  poll();
}

startEmbed().then(boot).catch((e) => { if (e.status !== 401) { console.error(e); problem("The inbox could not start: " + e.message); } });
