// Tags (Chat2Desk) and quality scores in the inbox: the request's tags
// and the contact's tags as coloured chips in the thread header and the
// contact sidebar (add and remove from there), the list row's request
// tags, the tag filter, the request's score; Settings → Tags and
// Settings → Quality scores. Labels are text; colours are style values
// from the server's checked `#rrggbb` (checked again here), never markup.

import { el, field, form, flash } from "./dom.js";

const COLOUR = /^#[0-9a-f]{6}$/i;
let catalogue = [];
/** Conversation id → its request tags, as the list and the events say. */
const rowTags = new Map();
/** With a tag filter on: the ids the server listed for it. */
let filterIds = null;
let filterTag = "";
let ctx = null;

/** A coloured chip; with `onRemove`, a × button that takes the tag off. */
export function chip(tag, onRemove) {
  const c = el("span", { class: "tag-chip", "data-tag": tag.id, title: tag.description || tag.group_name || "" });
  if (COLOUR.test(tag.bg_color)) c.style.backgroundColor = tag.bg_color;
  if (COLOUR.test(tag.text_color)) c.style.color = tag.text_color;
  c.append(el("span", { text: tag.label }));
  if (onRemove) {
    c.append(el("button", { type: "button", class: "tag-x", "aria-label": `Remove tag ${tag.label}`, text: "×", onclick: onRemove }));
  }
  return c;
}

async function loadCatalogue(api) {
  catalogue = (await api("GET", "/tags")).tags;
  const select = document.getElementById("f-tag");
  if (!select) return;
  for (const o of [...select.options].slice(1)) o.remove();
  for (const t of catalogue) select.append(el("option", { value: String(t.id), text: t.label }));
  select.value = catalogue.some((t) => String(t.id) === filterTag) ? filterTag : "";
}

/** The inbox's tag filter (after the other filters); `onFilter(id)`
 * reloads the list. */
export async function setupTags({ api, onFilter }) {
  ctx = { api, onFilter, conv: null, user: null };
  const filters = document.querySelector(".filters");
  if (filters && !document.getElementById("f-tag")) {
    const select = el("select", { id: "f-tag", "aria-label": "Tag" }, el("option", { value: "", text: "All tags" }));
    select.addEventListener("change", () => { filterTag = select.value; filterIds = null; onFilter(select.value); });
    filters.append(select);
  }
  await loadCatalogue(api).catch(() => {});
}

/** A list page arrived: its rows' request tags (and, filtered, its ids). */
export function rememberTags(conversations, tag) {
  if (tag) filterIds = filterIds || new Set();
  for (const c of conversations) {
    rowTags.set(c.id, c.tags || []);
    if (tag) filterIds.add(c.id);
  }
}

/** Whether a row belongs in the list under the tag filter (a row an event
 * brought in shows when its request has the tag). */
export function tagFilterAllows(c) {
  if (!filterTag) return true;
  return Boolean(filterIds && filterIds.has(c.id)) || (rowTags.get(c.id) || []).some((t) => String(t.id) === filterTag);
}

/** The request's tags as chips, for a list row. */
export function rowChips(id) {
  const tags = rowTags.get(id) || [];
  return tags.length ? el("span", { class: "tag-chips" }, ...tags.map((t) => chip(t))) : null;
}

/** A select of the tags not in `have`, putting the chosen one on. */
function adder(have, label, put) {
  const s = el("select", { class: "tag-add", "aria-label": label }, el("option", { value: "", text: "+ Tag" }));
  for (const t of catalogue) if (!have.some((h) => h.id === t.id)) s.append(el("option", { value: String(t.id), text: t.label }));
  s.addEventListener("change", async () => {
    if (!s.value) return;
    try { await put(Number(s.value)); } catch (e) { alert(e.message); }
  });
  return s;
}

/** The box for chips after `anchor` (made once). */
function box(id, anchor, cls) {
  let b = document.getElementById(id);
  if (!b && anchor) { b = el("div", { id, class: cls }); anchor.after(b); }
  return b;
}

/** Chips + add for a request (`/conversations/{id}/tags`) or a client;
 * chips only in the read-only embedded view (`minifiedView=3`). */
async function drawTags(b, path, tags, label) {
  const { api } = ctx;
  if (document.body.classList.contains("min3")) return b.replaceChildren(...tags.map((t) => chip(t)));
  const redraw = (r) => drawTags(b, path, r.tags, label);
  b.replaceChildren(...tags.map((t) => chip(t, async () => redraw(await api("DELETE", `${path}/${t.id}`)))),
    adder(tags, label, async (id) => redraw(await api("POST", path, { tag_id: id }))));
}

/** "Score 4/5", or "Score asked" (null when never asked). */
function scoreText(s) {
  if (!s) return "";
  return s.score == null ? "Score asked" : `Score ${s.score}/${s.scale}`;
}

async function drawScore(convId) {
  const { api } = ctx;
  const head = document.getElementById("thread-status");
  const s = box("thread-score", head, "pill score-pill");
  if (!s) return;
  const r = await api("GET", `/conversations/${convId}/score`).catch(() => ({ score: null }));
  if (ctx.conv !== convId) return;
  s.textContent = scoreText(r.score);
  s.hidden = !r.score;
}

/** The open conversation's request tags and score (thread header) and its
 * contact's tags (sidebar). */
export async function showTags(conv, user) {
  if (!ctx) return;
  ctx.conv = conv.id; ctx.user = user.id;
  const { api } = ctx;
  const head = box("thread-tags", document.getElementById("thread-title"), "tag-chips thread-tags");
  const side = box("contact-tags", document.getElementById("contact-details"), "tag-chips contact-tags");
  const [req, cli] = await Promise.all([
    api("GET", `/conversations/${conv.id}/tags`),
    api("GET", `/users/${user.id}/tags`).catch(() => ({ tags: [] })),
  ]);
  if (ctx.conv !== conv.id) return;
  rowTags.set(conv.id, req.tags);
  if (head) await drawTags(head, `/conversations/${conv.id}/tags`, req.tags, "Add a tag to this request");
  if (side) await drawTags(side, `/users/${user.id}/tags`, cli.tags, "Add a tag to this contact");
  await drawScore(conv.id);
}

/** Live updates: the catalogue, the rows' tags, the open thread. Returns
 * true when the list should be drawn again. */
export async function tagsEvent(ev) {
  if (!ctx) return false;
  const d = ev.data || {};
  if (ev.kind.startsWith("tag.")) {
    await loadCatalogue(ctx.api).catch(() => {});
    if (ev.kind === "tag.deleted") for (const [id, tags] of rowTags) rowTags.set(id, tags.filter((t) => t.id !== d.tag_id));
    if (ev.kind === "tag.updated") for (const [id, tags] of rowTags) rowTags.set(id, tags.map((t) => (t.id === d.tag.id ? d.tag : t)));
    if (ctx.conv) await redrawOpen();
    return true;
  }
  if (ev.kind === "conversation.tag_added" || ev.kind === "conversation.tag_removed") {
    const tags = (rowTags.get(d.conversation_id) || []).filter((t) => t.id !== d.tag.id);
    if (ev.kind === "conversation.tag_added") tags.push(d.tag);
    rowTags.set(d.conversation_id, tags);
  }
  const mine = (ev.conversation_id && ev.conversation_id === ctx.conv) || (!ev.conversation_id && d.user_id === ctx.user);
  if (mine && /^(contact|conversation)\.tag_|^conversation\.score/.test(ev.kind)) await redrawOpen();
  return ev.kind.startsWith("conversation.tag_");
}

async function redrawOpen() {
  if (ctx.conv && ctx.user) await showTags({ id: ctx.conv }, { id: ctx.user }).catch(() => {});
}

// ------------------------------------------------------------------ settings

/** Settings → Tags: create, edit (label, group, colours), delete. */
export async function tagSettings(box, api, rerender) {
  const { tags } = await api("GET", "/tags");
  const inputs = (t = {}) => [
    field("Label", el("input", { name: "label", required: true, maxlength: 40, value: t.label || "" })),
    field("Group", el("input", { name: "group_name", maxlength: 40, value: t.group_name || "" })),
    field("Background", el("input", { name: "bg_color", type: "color", value: t.bg_color || "#2563eb" })),
    field("Text colour", el("input", { name: "text_color", type: "color", value: t.text_color || "#ffffff" })),
  ];
  const values = (f) => ({ label: f.label.value, group_name: f.group_name.value, bg_color: f.bg_color.value, text_color: f.text_color.value });
  const ul = el("ul", { class: "rows tag-rows" });
  for (const t of tags) {
    const f = form(async () => { await api("PATCH", `/tags/${t.id}`, values(f)); flash("Tag saved."); rerender(); }, ...inputs(t));
    f.append(el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
      if (!confirm(`Delete the tag ${t.label}? It comes off every contact and request.`)) return;
      await api("DELETE", `/tags/${t.id}`);
      rerender();
    } }));
    ul.append(el("li", {}, chip(t), f));
  }
  const add = form(async (f) => { await api("POST", "/tags", values(f)); flash("Tag created."); rerender(); }, ...inputs());
  add.querySelector("button[type=submit]").textContent = "Create tag";
  box.append(el("h3", { text: "New tag" }), add, el("h3", { text: "Tags" }), tags.length ? ul : el("p", { text: "No tags yet." }));
}

/** Settings → Quality scores: on/off, the scale, the question, a tag per score. */
export async function scoreSettings(box, api, rerender) {
  const [{ settings }, { tags }] = await Promise.all([api("GET", "/settings"), api("GET", "/tags")]);
  const s = settings.scores || {};
  const scale = Number(s.scale) || 5;
  const enabled = el("input", { name: "enabled", type: "checkbox" });
  enabled.checked = Boolean(s.enabled);
  const scaleInput = el("input", { name: "scale", type: "number", min: 2, max: 10, value: scale, required: true });
  const question = el("input", { name: "question", maxlength: 300, value: s.question || "", placeholder: "How would you rate this conversation?" });
  const perScore = [];
  for (let n = 1; n <= scale; n++) {
    const sel = el("select", { name: `tag-${n}`, "data-score": n }, el("option", { value: "", text: "No tag" }));
    for (const t of tags) sel.append(el("option", { value: String(t.id), text: t.label }));
    sel.value = s.tags && s.tags[String(n)] ? String(s.tags[String(n)]) : "";
    perScore.push(field(`Tag for score ${n}`, sel));
  }
  const f = form(async () => {
    const n = Number(scaleInput.value);
    const map = {};
    for (const sel of f.querySelectorAll("select[data-score]")) if (sel.value && Number(sel.dataset.score) <= n) map[sel.dataset.score] = Number(sel.value);
    await api("PUT", "/settings", { scores: { enabled: enabled.checked, scale: n, question: question.value, tags: map } });
    flash("Quality scores saved.");
    rerender();
  }, field("Ask for a score when a request is archived", enabled), field("Scale (1 to N)", scaleInput), field("Question", question), ...perScore);
  box.append(el("p", { class: "hint", text: "The widget shows the scale as buttons; other channels get the question as text and the client replies with a number. A score's tag goes on the request (add_tag_to_request webhooks)." }), f);
}
