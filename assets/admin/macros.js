// Chat2Desk's macros, keyword bots and self-service menu in the inbox:
// the ☆ Macros button in the thread's actions (list, run, each step's
// result, and the URL a macro's POST answered opened in a new tab), and
// Settings → Macros, Keyword bots, Menu, whose steps are edited as rows.
// Everything shown is inserted as text (dom.js), never HTML.

import { el, field, form, flash } from "./dom.js";

/** Opens `url` in a new tab when it is http(s); nothing else is opened. */
export function openWeb(url) {
  let u;
  try { u = new URL(String(url)); } catch { return false; }
  if (u.protocol !== "https:" && u.protocol !== "http:") return false;
  window.open(u.href, "_blank", "noopener");
  return true;
}

/** Adds the ☆ Macros button to the thread's actions. `current()` is the
 * open conversation ({id}). */
export function setupMacros({ api, current }) {
  const actions = document.getElementById("actions");
  if (!actions) return;
  // No data-action: the actions bar's handler must not take it for a status.
  const button = el("button", { type: "button", class: "macro-button", text: "☆ Macros", title: "Run a macro" });
  actions.insertBefore(button, actions.firstChild);
  button.addEventListener("click", () => {
    const c = current();
    if (c) openDialog(api, c, button).catch((e) => flashError(e));
  });
}

function flashError(e) { try { flash(e.message, true); } catch { /* no settings flash on this page */ } }

async function openDialog(api, c, button) {
  const { macros } = await api("GET", "/macros");
  const list = el("ul", { class: "macro-list" });
  const results = el("ul", { class: "macro-results", "aria-live": "polite" });
  const close = el("button", { type: "button", text: "Close", onclick: () => dialog.close() });
  const dialog = el("dialog", { class: "macros", "aria-label": "Macros" },
    el("h2", { text: "Macros" }),
    macros.length ? list : el("p", { text: "No macros yet: an admin adds them in Settings → Macros." }),
    results, el("div", { class: "profile-buttons" }, close));
  for (const m of macros) {
    const run = el("button", { type: "button", class: "macro-run", text: m.name, onclick: async () => {
      run.disabled = true;
      results.replaceChildren(el("li", { text: `Running ${m.name}…` }));
      try {
        const r = await api("POST", `/conversations/${c.id}/macros/${m.id}`, {});
        showResults(results, r);
        if (r.open_url) openWeb(r.open_url);
      } catch (err) {
        results.replaceChildren(el("li", { class: "error", text: err.message }));
      } finally { run.disabled = false; }
    } });
    list.append(el("li", {}, run, el("span", { class: "hint", text: " " + m.steps.map(stepSummary).join(", ") })));
  }
  dialog.addEventListener("close", () => { dialog.remove(); button.focus(); });
  document.body.append(dialog);
  dialog.showModal();
}

function showResults(box, r) {
  box.replaceChildren();
  for (const x of r.results) {
    const what = LABELS[x.type] || x.type;
    let text = x.ok ? `✓ ${what}` : `✗ ${what}: ${x.error || "failed"}`;
    if (x.type === "post" && x.status) text += ` (HTTP ${x.status})`;
    box.append(el("li", { class: x.ok ? "ok" : "error", text }));
  }
  if (r.open_url) {
    box.append(el("li", {}, el("a", { href: r.open_url, target: "_blank", rel: "noopener", text: "Open " + r.open_url })));
  }
}

// ------------------------------------------------------------------ steps editor

const LABELS = {
  send_text: "Send a text", add_tag: "Add a tag", remove_tag: "Remove a tag", assign: "Assign to",
  department: "Move to department", close: "Close", handover: "Hand over to an agent", post: "POST to a URL",
};

function stepSummary(s) { return LABELS[s.type] || s.type; }

/** What the steps' selects offer: tags, agents and departments. */
async function choices(api) {
  const [tags, agents, admins, depts] = await Promise.all([
    api("GET", "/tags").then((r) => r.tags).catch(() => []),
    api("GET", "/users?type=agent&limit=200").then((r) => r.users),
    api("GET", "/users?type=admin&limit=200").then((r) => r.users),
    api("GET", "/departments").then((r) => r.departments),
  ]);
  return { tags, agents: [...admins, ...agents], depts };
}

function select(name, items, value, label) {
  const s = el("select", { name, "aria-label": label }, ...items.map(([v, t]) => el("option", { value: String(v), text: t })));
  if (value != null) s.value = String(value);
  return s;
}

/** An editable list of steps; `.value()` reads them back. */
function stepsEditor(steps, ch, allowPost) {
  const box = el("ol", { class: "steps" });
  const types = Object.keys(LABELS).filter((t) => allowPost || t !== "post");
  const addRow = (s) => {
    const li = el("li", { class: "step" });
    const type = select("type", types.map((t) => [t, LABELS[t]]), s.type, "Step");
    const fields = el("span", { class: "step-fields" });
    const draw = () => {
      const t = type.value;
      fields.replaceChildren();
      if (t === "send_text") fields.append(el("textarea", { name: "text", rows: 2, maxlength: 2000, "aria-label": "Text", text: s.text || "" }));
      if (t === "add_tag" || t === "remove_tag") {
        fields.append(select("tag_id", ch.tags.map((x) => [x.id, x.label]), s.tag_id, "Tag"),
          select("to", [["request", "on the request"], ["client", "on the client"]], s.to || "request", "Put on"));
      }
      if (t === "assign") fields.append(select("agent_id", ch.agents.map((a) => [a.id, a.name || a.email]), s.agent_id, "Agent"));
      if (t === "department") fields.append(select("department_id", ch.depts.map((d) => [d.id, d.name]), s.department_id, "Department"));
      if (t === "post") {
        fields.append(el("input", { name: "url", type: "url", placeholder: "https://…", "aria-label": "URL", value: s.url || "" }),
          el("input", { name: "token", placeholder: s.token_set ? "(token kept)" : "Authorization token (optional)", "aria-label": "Token", value: s.token || "" }));
      }
    };
    type.addEventListener("change", () => { s = { type: type.value }; draw(); });
    draw();
    li.append(type, fields, el("button", { type: "button", class: "danger", text: "Remove", onclick: () => li.remove() }));
    box.append(li);
  };
  for (const s of steps || []) addRow({ ...s });
  const add = el("button", { type: "button", text: "Add a step", onclick: () => addRow({ type: "send_text" }) });
  const wrap = el("div", { class: "steps-editor" }, box, add);
  wrap.value = () => [...box.children].map((li) => {
    const get = (n) => li.querySelector(`[name="${n}"]`);
    const t = get("type").value;
    const step = { type: t };
    if (t === "send_text") step.text = get("text").value;
    if (t === "add_tag" || t === "remove_tag") { step.tag_id = Number(get("tag_id").value); step.to = get("to").value; }
    if (t === "assign") step.agent_id = Number(get("agent_id").value);
    if (t === "department") step.department_id = Number(get("department_id").value);
    if (t === "post") { step.url = get("url").value.trim(); if (get("token").value) step.token = get("token").value; }
    return step;
  });
  return wrap;
}

// ------------------------------------------------------------------ settings

/** Settings → Macros. */
export async function macroSettings(box, api, refresh) {
  const [{ macros }, ch] = await Promise.all([api("GET", "/macros"), choices(api)]);
  box.append(el("p", { class: "hint", text: "Agents run a macro from a conversation with the ☆ Macros button. A POST step sends the client, request and operator as JSON; if the answer is {\"url\": …}, the agent's browser opens it in a new tab." }));
  const ul = el("ul", { class: "rows macros-list" });
  for (const m of macros) {
    const slot = el("div");
    ul.append(el("li", {}, el("strong", { text: m.name }), el("span", { text: " " + m.steps.map(stepSummary).join(", ") }),
      el("button", { type: "button", text: "Edit", onclick: () => slot.replaceChildren(macroForm(api, refresh, ch, m)) }),
      el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        if (!confirm(`Delete the macro ${m.name}?`)) return;
        try { await api("DELETE", `/macros/${m.id}`); await refresh(); } catch (err) { flash(err.message, true); }
      } }), slot));
  }
  box.append(ul, el("h3", { text: "Add a macro" }), macroForm(api, refresh, ch, null));
}

function macroForm(api, refresh, ch, m) {
  const steps = stepsEditor(m ? m.steps : [{ type: "send_text" }], ch, true);
  return form(async (f) => {
    const body = { name: f.name.value.trim(), steps: steps.value() };
    if (m) await api("PATCH", `/macros/${m.id}`, body); else await api("POST", "/macros", body);
    await refresh();
    flash(m ? "Macro saved." : "Macro added.");
  }, field("Name", el("input", { name: "name", required: true, maxlength: 80, value: m ? m.name : undefined })),
  el("div", {}, el("span", { text: "Steps" }), steps));
}

/** Settings → Keyword bots. */
export async function keywordBotSettings(box, api, refresh) {
  const [{ keyword_bots: bots }, ch] = await Promise.all([api("GET", "/keyword-bots"), choices(api)]);
  box.append(el("p", { class: "hint", text: "A bot runs its steps when a client's message contains one of its keywords as whole words, in any case and any language, at most once per request within its cool-down." }));
  const ul = el("ul", { class: "rows" });
  for (const b of bots) {
    const slot = el("div");
    ul.append(el("li", {}, el("strong", { text: b.name }), el("span", { text: ` ${b.keywords.join(", ")}${b.enabled ? "" : " (off)"}` }),
      el("button", { type: "button", text: "Edit", onclick: () => slot.replaceChildren(botForm(api, refresh, ch, b)) }),
      el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        if (!confirm(`Delete the bot ${b.name}?`)) return;
        try { await api("DELETE", `/keyword-bots/${b.id}`); await refresh(); } catch (err) { flash(err.message, true); }
      } }), slot));
  }
  box.append(ul, el("h3", { text: "Add a keyword bot" }), botForm(api, refresh, ch, null));
}

function botForm(api, refresh, ch, b) {
  const steps = stepsEditor(b ? b.steps : [{ type: "send_text" }], ch, false);
  const enabled = el("input", { name: "enabled", type: "checkbox" });
  enabled.checked = b ? b.enabled : true;
  return form(async (f) => {
    const body = {
      name: f.name.value.trim(),
      keywords: f.keywords.value.split(",").map((k) => k.trim()).filter(Boolean),
      cooldown_s: Math.round(Number(f.cooldown.value) * 60),
      enabled: f.enabled.checked,
      steps: steps.value(),
    };
    if (b) await api("PATCH", `/keyword-bots/${b.id}`, body); else await api("POST", "/keyword-bots", body);
    await refresh();
    flash(b ? "Bot saved." : "Bot added.");
  }, field("Name", el("input", { name: "name", required: true, maxlength: 80, value: b ? b.name : undefined })),
  field("Keywords (comma-separated; a phrase is matched word after word)", el("input", { name: "keywords", required: true, value: b ? b.keywords.join(", ") : undefined })),
  field("Cool-down (minutes)", el("input", { name: "cooldown", type: "number", min: 0, max: 10080, value: String(b ? b.cooldown_s / 60 : 60) })),
  el("label", {}, enabled, el("span", { text: " Enabled" })),
  el("div", {}, el("span", { text: "Steps" }), steps));
}

/** Settings → Menu: the setting `menu`. */
export async function menuSettings(box, api, refresh) {
  const [{ settings }, ch] = await Promise.all([api("GET", "/settings"), choices(api)]);
  const m = settings.menu || { enabled: false, text: "", items: [{ key: "1", label: "" }] };
  box.append(el("p", { class: "hint", text: "Sent once to a new client's first request. The widget shows the items as buttons; other channels get them as numbered text. An unknown answer repeats the menu once, then the request is handed to an agent." }));
  const enabled = el("input", { name: "enabled", type: "checkbox" });
  enabled.checked = !!m.enabled;
  const items = el("ol", { class: "menu-items" });
  const addItem = (it) => {
    const steps = stepsEditor(it.steps || [], ch, false);
    const li = el("li", { class: "menu-item" },
      field("Label", el("input", { name: "label", required: true, maxlength: 100, value: it.label || "" })),
      field("Reply (optional)", el("input", { name: "reply", maxlength: 2000, value: it.reply || "" })),
      el("div", {}, el("span", { text: "Steps" }), steps),
      el("button", { type: "button", class: "danger", text: "Remove item", onclick: () => li.remove() }));
    li.steps = steps;
    items.append(li);
  };
  (m.items || []).forEach(addItem);
  const add = el("button", { type: "button", text: "Add an item", onclick: () => { if (items.children.length < 9) addItem({}); } });
  box.append(form(async (f) => {
    const list = [...items.children].map((li, i) => {
      const item = { key: String(i + 1), label: li.querySelector('[name="label"]').value.trim(), steps: li.steps.value() };
      const reply = li.querySelector('[name="reply"]').value.trim();
      if (reply) item.reply = reply;
      return item;
    });
    const menu = { enabled: f.enabled.checked, text: f.text.value.trim(), items: list };
    if (f.handover.value.trim()) menu.handover_text = f.handover.value.trim();
    await api("PUT", "/settings", { menu });
    await refresh();
    flash("Menu saved.");
  }, el("label", {}, enabled, el("span", { text: " Enabled" })),
  field("Text", el("textarea", { name: "text", rows: 2, required: true, maxlength: 2000, text: m.text || "" })),
  el("div", {}, el("span", { text: "Items (numbered in order)" }), items, add),
  field("Hand-over text (optional)", el("input", { name: "handover", maxlength: 2000, value: m.handover_text || "" }))));
}

/** A menu the bot sent to the widget, as the agent reads it: its items
 * under the text (the visitor has them as buttons; other channels already
 * have them as numbered lines in the text). */
export function menuItems(bubble, m, c) {
  const items = m.payload && m.payload.menu && Array.isArray(m.payload.menu.items) ? m.payload.menu.items : [];
  if (!items.length || (c && c.source)) return;
  bubble.append(el("ul", { class: "menu-shown" }, ...items.slice(0, 9).map((i) => el("li", { text: `${i.key}. ${i.label}` }))));
}
