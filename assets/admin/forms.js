// Forms in the inbox: the conversation's Forms panel (offered forms, open
// one, fill it in as the agent, the visitor's answers live, completed
// marks, Send (runs /send), results) and Settings → Forms (list, create,
// edit fields, delete). Everything shown is inserted as text.

import { el, field, flash } from "./dom.js";

const TYPES = ["text", "textarea", "email", "number", "select", "checkbox"];

// ------------------------------------------------------------------ panel

const panel = { id: null, api: null, box: null };

/** The panel's section, made once at the end of the contact sidebar. */
function box() {
  if (panel.box && panel.box.isConnected) return panel.box;
  panel.box = el("section", { id: "forms-panel", class: "forms-panel", "aria-label": "Forms" });
  document.getElementById("contact").append(panel.box);
  return panel.box;
}

function input(f, value, disabled) {
  let e;
  if (f.type === "textarea") e = el("textarea", { rows: 2 });
  else if (f.type === "select") e = el("select", {}, el("option", { value: "", text: "—" }), ...(f.options || []).map((o) => el("option", { value: o, text: o })));
  else e = el("input", { type: { email: "email", number: "number", checkbox: "checkbox" }[f.type] || "text", step: f.type === "number" ? "any" : undefined });
  e.name = f.name;
  if (f.type === "checkbox") e.checked = value === true; else e.value = value == null ? "" : String(value);
  e.disabled = !!disabled;
  return e;
}

function valueOf(e, f) {
  if (f.type === "checkbox") return e.checked;
  const v = e.value.trim();
  if (v === "") return null;
  return f.type === "number" ? Number(v) : v;
}

function showError(err) {
  const p = box().querySelector(".forms-error");
  if (p) { p.textContent = err ? err.message || String(err) : ""; p.hidden = !err; }
}

async function run(fn) {
  showError(null);
  try { await fn(); } catch (err) { showError(err); }
  await refresh();
}

/** One form of the conversation: its state, and its editor when open. */
function item(cid, f) {
  const li = el("li", { class: "form-item" + (f.completed ? " completed" : ""), "data-form": String(f.form.id) });
  const mark = f.completed ? "✓ completed" : f.open ? "open" : "offered";
  li.append(el("div", { class: "form-head" }, el("strong", { text: f.form.name }), el("span", { class: "pill form-state", text: mark })));
  if (!f.open) {
    li.append(el("button", { type: "button", text: "Open in conversation", onclick: () => run(() => panel.api("POST", `/conversations/${cid}/forms/${f.form.id}`)) }));
    return li;
  }
  const form = el("form", { class: "form-edit" });
  for (const fl of f.form.fields) {
    const label = el("label", { class: fl.type === "checkbox" ? "check" : "" }, el("span", { text: (fl.label || fl.name) + (fl.required ? " *" : "") }), input(fl, f.answers[fl.name]));
    form.append(label);
  }
  if (!f.completed && f.missing.length) form.append(el("p", { class: "hint", text: "Missing: " + f.missing.join(", ") }));
  form.append(el("button", { type: "submit", text: "Save answers" }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const answers = {};
    for (const fl of f.form.fields) answers[fl.name] = valueOf(form.elements.namedItem(fl.name), fl);
    run(() => panel.api("PUT", `/conversations/${cid}/forms/${f.form.id}`, { answers }));
  });
  li.append(form);
  return li;
}

function result(r) {
  const dl = el("dl");
  for (const a of r.fields || []) dl.append(el("dt", { text: a.label }), el("dd", { text: typeof a.value === "boolean" ? (a.value ? "yes" : "no") : String(a.value) }));
  return el("li", { class: "result" }, el("strong", { text: r.name }), el("span", { class: "meta", text: " " + new Date(r.created_at).toLocaleString() }), dl);
}

function draw(cid, data) {
  const b = box();
  const focused = b.contains(document.activeElement) ? document.activeElement.closest("[data-form]") : null;
  const list = el("ul", { class: "forms-list" });
  for (const f of data.forms) {
    // Keep the form the agent is typing in as it is.
    const keep = focused && focused.dataset.form === String(f.form.id) ? focused : null;
    list.append(keep || item(cid, f));
  }
  const done = data.forms.filter((f) => f.completed).length;
  const send = el("button", { type: "button", class: "primary", id: "forms-send", text: `Send completed (${done})`, disabled: done === 0,
    onclick: () => run(() => panel.api("POST", `/conversations/${cid}/commands`, { text: "/send" })) });
  const results = el("ul", { class: "results" }, ...data.results.map(result));
  b.replaceChildren(el("h3", { text: "Forms" }), el("p", { class: "forms-error error", role: "alert", hidden: true }),
    data.forms.length ? list : el("p", { class: "hint", text: "No form is offered for this conversation." }), send,
    el("h4", { text: "Results" }), data.results.length ? results : el("p", { class: "hint", text: "None sent yet." }));
}

async function refresh() {
  const cid = panel.id;
  if (!cid) return;
  try {
    const data = await panel.api("GET", `/conversations/${cid}/forms`);
    if (panel.id === cid) draw(cid, data);
  } catch (err) {
    if (panel.id === cid) { box().replaceChildren(el("h3", { text: "Forms" }), el("p", { class: "error", text: err.message })); }
  }
}

/** Shows conversation `cid`'s forms in the sidebar. */
export function formsPanel(cid, api) {
  panel.id = cid;
  panel.api = api;
  box().replaceChildren(el("h3", { text: "Forms" }));
  refresh();
}

/** An event: the open conversation's forms or results changed. */
export function formsEvent(ev) {
  if ((ev.kind === "conversation.form" || ev.kind === "conversation.results") && ev.conversation_id === panel.id) refresh();
}

// ------------------------------------------------------------------ settings

function fieldRow(f = {}) {
  const type = el("select", { name: "type", "aria-label": "Type" }, ...TYPES.map((t) => el("option", { value: t, text: t })));
  type.value = f.type || "text";
  const options = el("input", { name: "options", placeholder: "Options, comma-separated", "aria-label": "Options", value: (f.options || []).join(", ") });
  const showOptions = () => { options.hidden = type.value !== "select"; };
  type.addEventListener("change", showOptions);
  showOptions();
  const row = el("li", { class: "field-row" },
    el("input", { name: "key", placeholder: "key", "aria-label": "Key", value: f.name || "", pattern: "[A-Za-z0-9_]+", required: true }),
    el("input", { name: "label", placeholder: "Label", "aria-label": "Label", value: f.label || "" }),
    type,
    el("label", {}, el("input", { type: "checkbox", name: "required", checked: !!f.required }), " required"),
    options,
    el("button", { type: "button", class: "danger", text: "Remove", onclick: () => row.remove() }));
  return row;
}

function readFields(list) {
  return [...list.children].map((row) => {
    const q = (n) => row.querySelector(`[name="${n}"]`);
    const f = { name: q("key").value.trim(), label: q("label").value.trim(), type: q("type").value, required: q("required").checked };
    if (f.type === "select") f.options = q("options").value.split(",").map((s) => s.trim()).filter(Boolean);
    return f;
  });
}

function editor(api, depts, done, form) {
  const f = form || { name: "", department_id: null, category: "", fields: [{ name: "", type: "text" }], email_to: [] };
  const dept = el("select", { name: "department" }, el("option", { value: "", text: "Every department" }), ...depts.map((d) => el("option", { value: String(d.id), text: d.name })));
  dept.value = f.department_id == null ? "" : String(f.department_id);
  const fields = el("ol", { class: "field-rows" }, ...f.fields.map(fieldRow));
  const box = el("form", { class: "settings-form form-editor" },
    el("h3", { text: form ? `Edit ${f.name}` : "New form" }),
    field("Name", el("input", { name: "name", required: true, value: f.name })),
    field("Department", dept),
    field("Category (empty: every category)", el("input", { name: "category", value: f.category })),
    field("Email results to (comma-separated, at most 5)", el("input", { name: "email_to", value: f.email_to.join(", ") })),
    el("h4", { text: "Fields (at most 30)" }), fields,
    el("button", { type: "button", text: "Add field", onclick: () => fields.append(fieldRow()) }),
    el("button", { type: "submit", class: "primary", text: "Save form" }));
  box.addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = (n) => box.elements.namedItem(n);
    const body = {
      name: q("name").value, department_id: dept.value ? Number(dept.value) : null, category: q("category").value.trim(),
      email_to: q("email_to").value.split(",").map((s) => s.trim()).filter(Boolean), fields: readFields(fields),
    };
    try {
      if (form) await api("PATCH", `/forms/${form.id}`, body); else await api("POST", "/forms", body);
      flash("Form saved.");
      done();
    } catch (err) { flash(err.message, true); }
  });
  return box;
}

/** Settings → Forms. */
export async function formSettings(box, api, rerender) {
  const [forms, depts] = await Promise.all([api("GET", "/forms"), api("GET", "/departments")]);
  const name = (id) => (depts.departments.find((d) => d.id === id) || {}).name || "#" + id;
  const slot = el("div");
  const ul = el("ul", { class: "rows" });
  for (const f of forms.forms) {
    const where = (f.department_id == null ? "every department" : name(f.department_id)) + (f.category ? " · " + f.category : "");
    ul.append(el("li", {}, el("span", { text: `${f.name} · ${where} · ${f.fields.length} fields` }),
      el("button", { type: "button", text: "Edit", onclick: () => slot.replaceChildren(editor(api, depts.departments, rerender, f)) }),
      el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        if (confirm(`Delete the form ${f.name}? Results already sent stay.`)) { await api("DELETE", `/forms/${f.id}`); rerender(); }
      } })));
  }
  box.append(el("p", { class: "hint", text: "Agents open a form in a conversation (the Forms panel); the visitor fills it in the chat. /send moves completed forms into the conversation's results and emails them." }),
    ul, el("button", { type: "button", class: "primary", text: "New form", onclick: () => slot.replaceChildren(editor(api, depts.departments, rerender)) }), slot);
}
