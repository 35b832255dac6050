// Settings → Commands: the admin's dot commands (`/api/v1/commands`):
// list, create, edit, delete; a server command's signing secret is shown
// once. Everything shown is inserted as text (dom.js).

import { $, el, field, form, flash, once } from "./dom.js";

const KINDS = [
  ["message", "Message (canned text with {placeholders})"],
  ["server", "Server (POST to your URL; its answer is posted)"],
  ["client", "Client (JavaScript in the visitor's page, where the site allows it)"],
  ["alias", "Alias (another command's name)"],
  ["open_url", "Open a URL (a link the visitor clicks)"],
  ["redirect", "Redirect the visitor's page"],
];

const VALUE_HINTS = {
  message: "Text. Placeholders: {contact_name} {contact_first_name} {contact_email} {agent_name} {agent_first_name} {conversation_id} {conversation_title} {args}. Start with .. for agents only.",
  server: "The https URL to POST to (signed like the webhooks).",
  client: "JavaScript, run in the host page only where it sets frontporchSettings.allowClientCommands = true.",
  alias: "The name of the command it runs (e.g. end).",
  open_url: "An http(s) URL.",
  redirect: "An http(s) URL.",
};

/** The form for a new command, or to change `c`. */
function editor(api, refresh, c) {
  const kind = el("select", { name: "kind" }, ...KINDS.map(([v, t]) => el("option", { value: v, text: t })));
  kind.value = c ? c.kind : "message";
  const hint = el("span");
  const value = el("textarea", { name: "value", rows: 3, required: !c });
  // Agents get no value for server and client commands; admins always do.
  if (c && c.value != null) value.value = c.value;
  const showHint = () => { hint.textContent = "Value — " + VALUE_HINTS[kind.value]; };
  kind.addEventListener("change", showHint);
  showHint();
  const name = el("input", { name: "name", required: true, pattern: "\\.?[\\p{L}\\p{N}_\\-]{1,40}", value: c ? c.name : undefined });
  const description = el("input", { name: "description", maxlength: 200, value: c ? c.description : undefined });
  return form(async (f) => {
    const body = { name: f.name.value.trim().replace(/^\./, ""), kind: f.kind.value, value: f.value.value, description: f.description.value };
    const r = c ? await api("PATCH", `/commands/${c.id}`, body) : await api("POST", "/commands", body);
    await refresh();
    flash(c ? "Command saved." : "Command added.");
    if (r.command.secret) $("settings-body").append(once("Signing secret of ." + r.command.name, r.command.secret));
  }, field("Name (without the dot)", name), field("Kind", kind), el("label", {}, hint, value), field("Description", description));
}

/** Settings → Commands. */
export async function dotCommands(box, api, refresh) {
  const r = await api("GET", "/commands");
  box.append(el("p", { class: "hint", text: "Agents type .name and its arguments in a conversation. The visitor never sees the command, only its result; .end closes the conversation." }));
  const ul = el("ul", { class: "rows commands" });
  for (const c of r.commands) {
    const slot = el("div");
    ul.append(el("li", {}, el("code", { text: "." + c.name }), el("span", { text: ` ${c.kind}${c.description ? " · " + c.description : ""}` }),
      el("button", { type: "button", text: "Edit", onclick: () => { slot.replaceChildren(editor(api, refresh, c)); } }),
      el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        if (!confirm(`Delete .${c.name}?`)) return;
        try { await api("DELETE", `/commands/${c.id}`); await refresh(); } catch (err) { flash(err.message, true); }
      } }), slot));
  }
  box.append(ul, el("h3", { text: "Add a command" }), editor(api, refresh, null));
}
