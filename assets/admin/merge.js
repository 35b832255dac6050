// "Merge another conversation into this one…" (ChatShipper's `/import`):
// pick one of the same contact's conversations, or type an id, confirm,
// and the command runs through `POST /api/v1/conversations/{id}/commands`.
// The origin's messages are copied here and it is archived as TRANSFERRED.
// Titles and messages are text, never HTML.

import { el } from "./dom.js";

/** Adds the Merge button to the thread's actions. `current()` is the open
 * conversation ({id, user_id}); `reopen(id)` draws it again. */
export function setupMerge({ api, current, reopen }) {
  const actions = document.getElementById("actions");
  if (!actions) return;
  // No data-action: the actions bar's handler must not take it for a status.
  const button = el("button", { type: "button", class: "merge-button", text: "Merge…",
    title: "Merge another conversation into this one" });
  actions.insertBefore(button, actions.querySelector('[data-action="archive"]'));
  button.addEventListener("click", () => {
    const c = current();
    if (c) openDialog(api, c, reopen, button).catch(() => {});
  });
}

async function openDialog(api, c, reopen, button) {
  const r = await api("GET", `/conversations?user_id=${Number(c.user_id)}&limit=100`);
  const others = r.conversations.filter((x) => x.id !== c.id && x.title !== "TRANSFERRED");
  const pick = el("select", { "aria-label": "Conversation of this contact" },
    el("option", { value: "", text: others.length ? "Choose a conversation of this contact…" : "This contact has no other conversation" }));
  for (const x of others) {
    const last = x.last_message ? " — " + x.last_message.body.slice(0, 60) : "";
    pick.append(el("option", { value: String(x.id), text: `#${x.id} ${x.title || "Untitled"}${last}` }));
  }
  const id = el("input", { type: "text", inputmode: "numeric", placeholder: "or a conversation id", "aria-label": "Conversation id" });
  pick.addEventListener("change", () => { id.value = pick.value; });
  const question = el("p", { class: "merge-question", text: "" });
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const go = el("button", { type: "submit", class: "primary", text: "Merge" });
  const cancel = el("button", { type: "button", text: "Cancel", onclick: () => dialog.close() });
  const form = el("form", { method: "dialog", class: "merge-form" },
    el("h2", { text: "Merge another conversation into this one" }),
    el("label", {}, el("span", { text: "Conversation" }), pick), id, question, error,
    el("div", { class: "profile-buttons" }, go, cancel));
  const dialog = el("dialog", { class: "merge", "aria-label": "Merge another conversation into this one" }, form);
  let confirmed = null;
  const origin = () => Number(id.value.trim().replace(/^#/, ""));
  id.addEventListener("input", () => { confirmed = null; go.textContent = "Merge"; question.textContent = ""; });
  pick.addEventListener("change", () => { confirmed = null; go.textContent = "Merge"; question.textContent = ""; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const o = origin();
    if (!Number.isInteger(o) || o <= 0) { error.textContent = "Choose a conversation or type its id."; error.hidden = false; return; }
    if (confirmed !== o) {
      // Ask once more: the origin is archived as TRANSFERRED.
      confirmed = o;
      question.textContent = `Merge #${o} into #${c.id}? Its messages are copied here, interwoven by time, and #${o} is archived as TRANSFERRED.`;
      go.textContent = "Yes, merge";
      return;
    }
    try {
      await api("POST", `/conversations/${c.id}/commands`, { text: `/import ${o}` });
      dialog.close();
      await reopen(c.id);
    } catch (err) { error.textContent = err.message; error.hidden = false; confirmed = null; go.textContent = "Merge"; }
  });
  dialog.addEventListener("close", () => { dialog.remove(); button.focus(); });
  document.body.append(dialog);
  dialog.showModal();
  pick.focus();
}

/** An import touched the conversation shown: draw it again (the copies
 * sit among its messages by time). */
export function mergeEvent(ev, current, reopen) {
  if (ev.kind === "conversation.imported" && ev.conversation_id === current) reopen(current);
}
