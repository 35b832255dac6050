// Likes and comments under the inbox's messages (ChatShipper's message
// actions): a Like button and a Comment field per message, each running
// `/action like` or `/action comment <text>` with `meta.message` through
// `POST /api/v1/conversations/{id}/commands`; what the others did comes
// from `GET /api/v1/conversations/{id}/reactions`. Names and comments are
// text (textContent), never HTML.

import { el } from "./dom.js";

/** The conversation shown and its reactions by message id. */
const shown = { id: null, api: null, me: null, byMessage: new Map() };

/** The reactions row under message `m` of conversation `conv` (empty for
 * a command's own note or a deleted message), drawn from the last load. */
export function reactionsRow(m, conv, api, me) {
  if (m.deleted || (m.payload && m.payload.type === "command")) return document.createDocumentFragment();
  if (shown.id !== conv) { shown.id = conv; shown.byMessage = new Map(); }
  shown.api = api;
  shown.me = me;
  const row = el("div", { class: "reactions", "data-reactions": String(m.id) });
  draw(row, Number(m.id));
  return row;
}

/** Loads the conversation's reactions and redraws every row. */
export async function loadReactions(conv, api) {
  const r = await api("GET", `/conversations/${conv}/reactions`);
  if (shown.id !== conv) { shown.id = conv; }
  shown.api = api;
  shown.byMessage = new Map(r.reactions.map((x) => [Number(x.message_id), x]));
  for (const row of document.querySelectorAll("#messages [data-reactions]")) draw(row, Number(row.dataset.reactions));
}

/** A like or a comment happened in the conversation shown: reload. */
export function reactionEvent(ev, current, api) {
  if (ev.kind !== "message.liked" && ev.kind !== "message.commented") return;
  if (ev.conversation_id === current) loadReactions(current, api).catch(() => {});
}

function draw(row, id) {
  const r = shown.byMessage.get(id) || { likes: [], comments: [] };
  const mine = shown.me != null && r.likes.some((l) => l.user_id === shown.me);
  const like = el("button", { type: "button", class: "like" + (mine ? " liked" : ""), "aria-pressed": mine ? "true" : "false",
    text: "👍 " + (mine ? "Liked" : "Like") + (r.likes.length ? " · " + r.likes.length : "") });
  like.title = r.likes.map((l) => l.name).join(", ");
  like.addEventListener("click", () => run(`/action like`, id, row));
  const who = el("span", { class: "likers", text: r.likes.length ? r.likes.map((l) => l.name).join(", ") : "" });
  const list = el("ul", { class: "comments" });
  for (const c of r.comments) {
    list.append(el("li", {}, el("strong", { text: c.name || "Someone" }), el("span", { text: " " + c.text })));
  }
  const input = el("input", { type: "text", maxlength: "1000", placeholder: "Comment…", "aria-label": "Comment on this message" });
  const add = el("button", { type: "button", text: "Comment" });
  const send = () => {
    const text = input.value.trim();
    if (text) run(`/action comment ${text}`, id, row);
  };
  add.addEventListener("click", send);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); send(); } });
  const error = el("span", { class: "reaction-error", role: "alert" });
  row.replaceChildren(el("div", { class: "reaction-bar" }, like, who, input, add, error), list);
}

async function run(text, id, row) {
  const conv = shown.id;
  try {
    await shown.api("POST", `/conversations/${conv}/commands`, { text, meta: { message: String(id) } });
    await loadReactions(conv, shown.api);
  } catch (e) {
    const err = row.querySelector(".reaction-error");
    if (err) err.textContent = e.message;
  }
}
