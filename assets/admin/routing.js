// Settings → Departments, Notify channels and Blocks (issue 13, `/notify`
// and `/block`): departments as a tree with their categories and routing
// rule, the notification channels `/notify` reaches, and the blocks
// `/block` made, each with a "Lift" button. Everything shown comes from
// the API and is inserted as text (dom.js).

import { el, field, form, flash } from "./dom.js";

const POLICIES = [["none", "No routing"], ["round_robin", "Round robin among online agents"]];

function deptSelect(name, depts, selected, except, empty) {
  return el("select", { name }, el("option", { value: "", text: empty }),
    ...depts.filter((d) => d.id !== except).map((d) => el("option", { value: String(d.id), text: d.name, selected: d.id === selected })));
}

/** The fields of a department's form (new or existing `d`). */
function deptFields(d, depts) {
  const r = d.routing || { policy: "none", capacity: 10 };
  return [
    field("Name", el("input", { name: "name", required: true, maxlength: 100, value: d.name || "" })),
    field("Parent", deptSelect("parent", depts, d.parent_id, d.id, "No parent")),
    field("Categories (one a line; a category's slot is its position, from 0)",
      el("textarea", { name: "categories", rows: 3, text: (d.categories || []).join("\n") })),
    field("Routing", el("select", { name: "policy" }, ...POLICIES.map(([v, t]) => el("option", { value: v, text: t, selected: r.policy === v })))),
    field("Capacity (open conversations per agent)", el("input", { name: "capacity", type: "number", min: 1, max: 1000, value: String(r.capacity || 10) })),
  ];
}

function deptBody(f) {
  return {
    name: f.name.value,
    parent_id: f.parent.value ? Number(f.parent.value) : null,
    categories: f.categories.value.split("\n").map((c) => c.trim()).filter(Boolean),
    routing: { policy: f.policy.value, capacity: Number(f.capacity.value) || 10 },
  };
}

export async function departments(box, api, rerender) {
  const depts = (await api("GET", "/departments")).departments;
  const byId = new Map(depts.map((d) => [d.id, d]));
  const ul = el("ul", { class: "rows departments" });
  for (const d of depts) {
    const parent = byId.get(d.parent_id);
    const about = [parent ? "under " + parent.name : null,
      d.categories.length ? d.categories.length + " categories" : null,
      d.routing.policy === "round_robin" ? `round robin, ${d.routing.capacity} each` : null].filter(Boolean).join(" · ");
    const edit = el("div", { class: "department-edit", hidden: true });
    edit.append(form(async (f) => { await api("PATCH", `/departments/${d.id}`, deptBody(f)); flash("Department saved."); rerender(); },
      ...deptFields(d, depts)));
    ul.append(el("li", { "data-id": String(d.id) }, el("span", { text: d.name }), el("small", { text: about }),
      el("button", { type: "button", text: "Edit", onclick: () => { edit.hidden = !edit.hidden; } }),
      el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        if (confirm(`Delete the department ${d.name}?`)) { await api("DELETE", `/departments/${d.id}`); rerender(); }
      } }), edit));
  }
  box.append(ul, el("h3", { text: "New department" }),
    form(async (f) => { await api("POST", "/departments", deptBody(f)); flash("Department added."); rerender(); }, ...deptFields({}, depts)));
}

const KINDS = [["email", "Email to an agent"], ["sms", "SMS to an agent"], ["push", "Push to an agent's devices"], ["webhook", "A webhook endpoint"]];

export async function notifyChannels(box, api, rerender) {
  const [channels, depts, agents, admins, hooks] = await Promise.all([
    api("GET", "/notify-channels"), api("GET", "/departments"),
    api("GET", "/users?type=agent&limit=200"), api("GET", "/users?type=admin&limit=200"), api("GET", "/webhooks"),
  ]);
  const staff = [...admins.users, ...agents.users];
  const name = (list, id, key) => (list.find((x) => x.id === id) || {})[key] || (id == null ? "" : "#" + id);
  const table = el("table", { class: "notify-channels" }, el("tr", {}, ...["Id", "Name", "Kind", "Reaches", "Department", ""].map((h) => el("th", { text: h }))));
  for (const c of channels.channels) {
    const reaches = c.kind === "webhook" ? name(hooks.webhooks, c.endpoint_id, "url") : name(staff, c.user_id, "name");
    table.append(el("tr", {}, el("td", { text: String(c.id) }), el("td", { text: c.name }), el("td", { text: c.kind }), el("td", { text: reaches }),
      el("td", { text: c.department_id == null ? "only by id" : name(depts.departments, c.department_id, "name") }),
      el("td", {}, el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        await api("DELETE", `/notify-channels/${c.id}`); rerender();
      } }))));
  }
  const agent = el("select", { name: "user" }, ...staff.map((u) => el("option", { value: String(u.id), text: u.name || u.email })));
  const endpoint = el("select", { name: "endpoint" }, ...hooks.webhooks.map((w) => el("option", { value: String(w.id), text: w.url })));
  const kind = el("select", { name: "kind" }, ...KINDS.map(([v, t]) => el("option", { value: v, text: t })));
  const agentField = field("Agent", agent);
  const endpointField = field("Endpoint", endpoint);
  const show = () => { agentField.hidden = kind.value === "webhook"; endpointField.hidden = kind.value !== "webhook"; };
  kind.addEventListener("change", show);
  show();
  box.append(el("p", { text: "A department's routing notifies its channels when a conversation is queued (/notify); channels of no department are reached only by id (meta.channels)." }),
    table, el("h3", { text: "Add a channel" }), form(async (f) => {
      const body = { name: f.name.value, kind: f.kind.value, department_id: f.department.value ? Number(f.department.value) : null };
      if (f.kind.value === "webhook") body.endpoint_id = Number(f.endpoint.value); else body.user_id = Number(f.user.value);
      await api("POST", "/notify-channels", body);
      flash("Channel added.");
      rerender();
    }, field("Name", el("input", { name: "name", maxlength: 100 })), field("Kind", kind), agentField, endpointField,
    field("Department", deptSelect("department", depts.departments, null, null, "None (only by id)"))));
}

export async function blocks(box, api, rerender) {
  const r = await api("GET", "/blocks?limit=200");
  if (!r.blocks.length) {
    box.append(el("p", { class: "empty", text: "No one is blocked. Agents block a contact with /block in a conversation." }));
    return;
  }
  const table = el("table", { class: "blocks" }, el("tr", {}, ...["Contact", "Address", "Reason", "Conversation", "Since", ""].map((h) => el("th", { text: h }))));
  for (const b of r.blocks) {
    table.append(el("tr", { "data-id": String(b.id) }, el("td", { text: b.user_name || (b.user_id == null ? "" : "#" + b.user_id) }),
      el("td", { text: b.ip || "" }), el("td", { text: b.reason }), el("td", { text: b.conversation_id == null ? "" : "#" + b.conversation_id }),
      el("td", { text: new Date(b.created_at).toLocaleString() }),
      el("td", {}, el("button", { type: "button", text: "Lift", onclick: async () => {
        await api("DELETE", `/blocks/${b.id}`);
        flash("Block lifted.");
        rerender();
      } }))));
  }
  box.append(table);
}
