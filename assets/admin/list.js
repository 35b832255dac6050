// One row of the inbox's conversation list: contact avatar, name, time of
// last activity, preview (with the searched words marked), status, assignee,
// this agent's unread count and, when the customer waits for an answer,
// for how long. Everything a contact wrote goes in as text nodes.

import { avatarNode } from "../shared/avatar.js";
import { channelBadge } from "./channel_badge.js";

const STATUS = ["Live", "Waiting for user", "Waiting for agent", "Archive", "Trash"];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A person's picture, else their initials on their colour (shared/avatar.js).
 * Decorative: the name is written beside it. */
function avatar(user, name, cls) {
  return avatarNode({ ...(user || {}), name }, "avatar " + cls);
}

/** "now", "5m", "3h", "2d", else the date: short, like other inboxes. */
export function ago(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "now";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  if (s < 7 * 86400) return Math.floor(s / 86400) + "d";
  return new Date(ms).toLocaleDateString([], { month: "short", day: "numeric" });
}

/** A relative time that the clock below keeps current. */
function timeEl(iso, cls, prefix) {
  const t = el("time", cls);
  t.dateTime = iso;
  t.dataset.prefix = prefix || "";
  t.title = new Date(iso).toLocaleString();
  refresh(t);
  return t;
}

function refresh(t) {
  const at = Date.parse(t.dateTime);
  if (isNaN(at)) return;
  t.textContent = t.dataset.prefix + ago(at);
  // Waiting longer than ten minutes stands out.
  if (t.classList.contains("waiting")) t.classList.toggle("long", Date.now() - at > 600000);
}

/** Keeps every relative time under `root` current (once a list, for good). */
export function keepTimesCurrent(root) {
  if (root.dataset.clock) return;
  root.dataset.clock = "1";
  setInterval(() => { for (const t of root.querySelectorAll("time[datetime]")) refresh(t); }, 30000);
}

/** The words of a search as the server matches them (split on punctuation). */
export function searchWords(search) {
  return [...new Set(String(search || "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean))].slice(0, 16);
}

/** Fills `node` with `text`, each occurrence of a search word in a <mark>. */
export function highlightInto(node, text, words) {
  node.replaceChildren();
  text = String(text || "");
  if (!words.length) { node.textContent = text; return node; }
  const escaped = words.sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(escaped.join("|"), "giu");
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) node.append(document.createTextNode(text.slice(last, m.index)));
    node.append(el("mark", "", m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) node.append(document.createTextNode(text.slice(last)));
  return node;
}

/**
 * The row for conversation `c`. `view`: { contact (user), agent (the
 * assignee's user record, if known), name, preview (text), search, current }.
 */
export function renderRow(c, view) {
  const li = el("li", "row");
  li.dataset.id = c.id;
  li.tabIndex = 0;
  if (c.id === view.current) li.setAttribute("aria-current", "true");
  const words = searchWords(view.search);

  const head = el("div", "row-head");
  head.append(highlightInto(el("span", "name"), view.name, words));
  if (c.updated_at) head.append(timeEl(c.updated_at, "ago"));

  const meta = el("div", "row-meta");
  meta.append(el("span", "status", STATUS[c.status] || ""));
  meta.append(channelBadge(c));
  if (c.agent_id != null) meta.append(assignee(c.agent_id, view.agent));
  const open = c.status <= 2;
  if (open && c.waiting_since) meta.append(timeEl(c.waiting_since, "waiting", "Waiting "));
  const unread = c.my_unread ?? c.unread ?? 0;
  const badge = el("span", "unread", unread >= 100 ? "99+" : String(unread || ""));
  badge.hidden = !unread;
  badge.setAttribute("role", "img");
  badge.setAttribute("aria-label", unread + " unread");
  meta.append(badge);

  const body = el("div", "row-body");
  body.append(head, highlightInto(el("span", "preview"), view.preview, words), meta);
  li.append(avatar(view.contact, (view.contact && (view.contact.name || view.contact.email)) || view.name, "face"), body);
  return li;
}

/** The assignee: their picture or initials; the name in a tooltip. */
function assignee(id, agent) {
  const name = agent ? agent.name || agent.email || "Agent #" + id : "Agent #" + id;
  const span = el("span", "assignee");
  span.title = "Assigned to " + name;
  span.setAttribute("aria-label", "Assigned to " + name);
  span.setAttribute("role", "img");
  span.append(avatar(agent, name, "mini"));
  return span;
}
