// Settings screen for automations: chat messages, pop-ups, designs, emails
// and text messages, each with its conditions. Saves the whole set (the
// translations are kept as they are). Every value is inserted as text.

import { el, field, form, flash } from "./dom.js";

const TYPES = { messages: "Chat message", popups: "Pop-up", design: "Design", emails: "Email", sms: "Text message" };

/** Condition names, what they check, and their criteria. */
const CONDITIONS = {
  include_urls: ["Page URL", ["contains", "does-not-contain", "is-exactly", "is-not"]],
  exclude_urls: ["Not on page URL", ["contains", "is-exactly"]],
  referring: ["Came from", ["contains", "does-not-contain", "is-exactly", "is-not"]],
  browsing_time: ["Seconds on the page", []],
  scroll_position: ["Scrolled down (%)", []],
  returning_visitor: ["Visitor", ["returning-visitor", "first-time-visitor"]],
  user_type: ["User type", ["is-visitor", "is-lead", "is-user", "is-not-visitor", "is-not-lead", "is-not-user"]],
  languages: ["Languages (comma-separated codes)", []],
  countries: ["Countries (comma-separated)", []],
  cities: ["Cities (comma-separated)", []],
  datetime: ["Date (dd/mm/yyyy, or two joined by \" - \")", ["is-between", "is-exactly", "is-before", "is-after"]],
  repeat: ["Run again", ["every-hour", "every-day", "every-week", "every-month", "every-year"]],
  email: ["Email", ["is-set", "is-not-set"]],
};

/** Fields each type shows, besides its name and conditions. */
const FIELDS = {
  messages: [["message", "Message", "textarea"]],
  popups: [["title", "Title"], ["message", "Message", "textarea"], ["profile_image", "Image URL (https)"]],
  design: [["color_1", "Colour (e.g. #2f6fed)"], ["title", "Title"], ["message", "Subtitle"], ["brand", "Logo URL (https)"]],
  emails: [["subject", "Subject"], ["message", "Message", "textarea"]],
  sms: [["message", "Message", "textarea"]],
};

function conditionRow(c = []) {
  const name = el("select", { name: "cond-name", "aria-label": "Condition" },
    ...Object.entries(CONDITIONS).map(([k, [label]]) => el("option", { value: k, text: label })));
  name.value = c[0] || "include_urls";
  const criterion = el("select", { name: "cond-criterion", "aria-label": "Criterion" });
  const value = el("input", { name: "cond-value", "aria-label": "Value", value: c.length > 2 ? c[2] : (c[1] ?? "") });
  const fill = () => {
    const [, criteria] = CONDITIONS[name.value];
    criterion.replaceChildren(...criteria.map((k) => el("option", { value: k, text: k })));
    criterion.hidden = criteria.length === 0;
    // Criteria that are the whole condition (user type, repeat...) need no value.
    value.hidden = ["user_type", "returning_visitor", "repeat", "email"].includes(name.value);
  };
  name.addEventListener("change", fill);
  fill();
  if (c.length > 2 || (c.length === 2 && criterion.querySelector(`option[value="${CSS.escape(String(c[1]))}"]`))) criterion.value = c[1];
  const row = el("div", { class: "condition" }, name, criterion, value,
    el("button", { type: "button", class: "danger", text: "Remove", onclick: () => row.remove() }));
  row.read = () => {
    if (value.hidden) return [name.value, criterion.value];
    return criterion.hidden ? [name.value, value.value.trim()] : [name.value, criterion.value, value.value.trim()];
  };
  return row;
}

export async function automations(box, api, again) {
  const r = await api("GET", "/automations");
  const all = r.automations;
  const editor = el("div");

  const save = async () => {
    const body = { automations: all, translations: r.translations };
    await api("PUT", "/automations", body);
  };

  const edit = (type, item) => {
    const a = item || { conditions: [] };
    const kind = el("select", { name: "type", disabled: Boolean(item) },
      ...Object.entries(TYPES).map(([k, label]) => el("option", { value: k, text: label })));
    kind.value = type;
    const extra = el("div");
    const showFields = () => extra.replaceChildren(...FIELDS[kind.value].map(([k, label, tag]) =>
      field(label, tag === "textarea" ? el("textarea", { name: k, rows: 3, text: a[k] || "" }) : el("input", { name: k, value: a[k] || "" }))));
    kind.addEventListener("change", showFields);
    showFields();
    const conds = el("div", { class: "conditions" }, ...(a.conditions || []).map(conditionRow));
    editor.replaceChildren(el("h3", { text: item ? `Edit “${a.name || a.id}”` : "Add an automation" }), form(async (f) => {
      const next = { ...(item || {}), name: f.name.value };
      for (const [k] of FIELDS[kind.value]) next[k] = f[k].value;
      next.conditions = [...conds.children].map((row) => row.read());
      const list = (all[kind.value] ||= []);
      if (item) list[list.indexOf(item)] = next; else list.push(next);
      await save();
      flash("Automations saved.");
      again();
    },
    field("Type", kind), field("Name", el("input", { name: "name", required: true, value: a.name || "" })), extra,
    el("fieldset", { class: "checks" }, el("legend", { text: "When (all of these hold)" }), conds,
      el("button", { type: "button", text: "Add a condition", onclick: () => conds.append(conditionRow()) }))));
  };

  const list = el("ul", { class: "rows", "aria-label": "Automations" });
  for (const [type, items] of Object.entries(all)) {
    for (const a of items) {
      const when = (a.conditions || []).map((c) => c.join(" ")).join(" · ");
      list.append(el("li", { "data-id": a.id }, el("span", { text: `${TYPES[type] || type}: ${a.name || a.id}${when ? " — " + when : ""}` }),
        el("button", { type: "button", text: "Edit", onclick: () => edit(type, a) }),
        el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
          if (!confirm(`Delete the automation “${a.name || a.id}”?`)) return;
          items.splice(items.indexOf(a), 1);
          await save();
          again();
        } })));
    }
  }
  edit("messages", null);
  box.append(el("p", { class: "hint", text: "Automations greet visitors who match their conditions: a chat message from the bot, a pop-up, or a design for the widget. Each runs once per visitor (pop-ups once per browser)." }),
    list, editor);
}
