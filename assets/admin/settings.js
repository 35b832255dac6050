// The admin settings area: agents, departments, saved replies, widget,
// security, webhooks, email (email_settings.js), API tokens, the knowledge base and reports
// (content.js) and automations (automations.js). Every value shown comes from the API and
// is inserted as text.

import { $, el, field, form, flash, once } from "./dom.js";
import { knowledgeBase, reports } from "./content.js";
import { automations } from "./automations.js";
import { emailSettings } from "./email_settings.js";
import { channelSettings } from "./channels.js";
import { dotCommands } from "./commands.js";
import { formSettings } from "./forms.js";
import { departments, notifyChannels, blocks } from "./routing.js";
import { tagSettings, scoreSettings } from "./tags.js";
import { macroSettings, keywordBotSettings, menuSettings } from "./macros.js";
import { talkjsSettings } from "./talkjs.js";

let api;

const sections = {
  async Agents(box) {
    const [agents, admins] = await Promise.all([api("GET", "/users?type=agent&limit=200"), api("GET", "/users?type=admin&limit=200")]);
    const table = el("table", {}, el("tr", {}, ...["Name", "Email", "Role", "Status", ""].map((h) => el("th", { text: h }))));
    for (const u of [...admins.users, ...agents.users]) {
      const toggle = el("button", { type: "button", text: u.disabled ? "Enable" : "Disable", onclick: async () => {
        await api("PATCH", `/users/${u.id}`, { disabled: !u.disabled });
        render("Agents");
      } });
      const reset = el("button", { type: "button", text: "Reset password", onclick: async () => {
        const pw = prompt(`New password for ${u.email} (at least 8 characters)`);
        if (!pw) return;
        await api("PATCH", `/users/${u.id}`, { password: pw });
        flash("Password changed; their sessions ended.");
      } });
      table.append(el("tr", {}, el("td", { text: u.name }), el("td", { text: u.email || "" }), el("td", { text: u.type }),
        el("td", { text: u.disabled ? "disabled" : u.online ? "online" : "away" }), el("td", {}, reset, toggle)));
    }
    const role = el("select", { name: "type" }, el("option", { value: "agent", text: "Agent" }), el("option", { value: "admin", text: "Admin" }));
    const depts = (await api("GET", "/departments")).departments;
    const dept = el("select", { name: "department" }, el("option", { value: "", text: "No department" }), ...depts.map((d) => el("option", { value: String(d.id), text: d.name })));
    box.append(table, el("h3", { text: "Add an agent" }), form(async (f) => {
      const [first, ...rest] = f.name.value.trim().split(" ");
      await api("POST", "/users", { type: f.type.value, first_name: first, last_name: rest.join(" "), email: f.email.value, password: f.password.value,
        department_id: f.department.value ? Number(f.department.value) : undefined });
      flash("Agent added.");
      render("Agents");
    }, field("Name", el("input", { name: "name", required: true })), field("Email", el("input", { name: "email", type: "email", required: true })),
    field("Password", el("input", { name: "password", type: "password", minlength: 8, required: true })), field("Role", role), field("Department", dept)));
  },

  Departments: (box) => departments(box, api, () => render("Departments")),
  "Notify channels": (box) => notifyChannels(box, api, () => render("Notify channels")),
  Blocks: (box) => blocks(box, api, () => render("Blocks")),

  async "Saved replies"(box) {
    const s = (await api("GET", "/settings")).settings;
    const replies = Array.isArray(s.saved_replies) ? s.saved_replies : [];
    const ul = el("ul", { class: "rows" });
    replies.forEach((r, i) => ul.append(el("li", {}, el("code", { text: "#" + r.shortcut }), el("span", { text: r.text }),
      el("button", { type: "button", class: "danger", text: "Remove", onclick: async () => {
        replies.splice(i, 1);
        await api("PUT", "/settings", { saved_replies: replies });
        render("Saved replies");
      } }))));
    box.append(el("p", { class: "hint", text: "Type # and the shortcut in the reply box to insert a saved reply." }), ul,
      form(async (f) => {
        replies.push({ shortcut: f.shortcut.value.trim().replace(/^#/, ""), text: f.text.value });
        await api("PUT", "/settings", { saved_replies: replies });
        render("Saved replies");
      }, field("Shortcut", el("input", { name: "shortcut", required: true, pattern: "#?[A-Za-z0-9_\\-]+" })),
      field("Text", el("textarea", { name: "text", rows: 3, required: true }))));
  },

  async Widget(box) {
    const s = (await api("GET", "/settings")).settings;
    const v = (k, d = "") => (s["widget." + k] ?? d);
    const pos = el("select", { name: "position" }, el("option", { value: "right", text: "Bottom right" }), el("option", { value: "left", text: "Bottom left" }));
    pos.value = v("position", "right");
    const lang = el("select", { name: "language" }, ...["", "en", "fr", "ar"].map((c) => el("option", { value: c, text: c || "Visitor's browser" })));
    lang.value = v("language");
    const prechat = v("prechat", {});
    // Texts per language (widget.texts): a visitor in that language reads
    // them instead of the ones above; empty ones fall back to those.
    const texts = v("texts", {}) || {};
    const langs = [["en", "English"], ["fr", "French"], ["ar", "Arabic"]];
    const textKeys = [["title", "Title"], ["subtitle", "Subtitle"], ["greeting", "Greeting"], ["away_message", "Away message"], ["offline_message", "Offline form text"]];
    const perLanguage = langs.map(([l, name]) => el("details", { class: "texts", "data-lang": l, open: texts[l] ? true : undefined },
      el("summary", { text: `Texts in ${name} (${l})` }),
      ...textKeys.map(([k, label]) => field(label, el("input", { name: `text_${l}_${k}`, dir: "auto", value: (texts[l] || {})[k] || "" })))));
    const textsValue = (f) => {
      const out = { ...texts };
      for (const [l] of langs) {
        const o = { ...(texts[l] || {}) };
        for (const [k] of textKeys) { const x = f[`text_${l}_${k}`].value.trim(); if (x) o[k] = x; else delete o[k]; }
        if (Object.keys(o).length) out[l] = o; else delete out[l];
      }
      return Object.keys(out).length ? out : null;
    };
    const preview = el("iframe", { class: "widget-preview", title: "Widget preview", src: "/widget/frame" });
    const snippet = el("textarea", { readonly: true, rows: 2, class: "snippet", "aria-label": "Embed snippet" });
    snippet.value = `<script src="${location.origin}/widget.js" async></script>`;
    box.append(el("div", { class: "two" },
      form(async (f) => {
        await api("PUT", "/settings", {
          "widget.title": f.title.value || null, "widget.subtitle": f.subtitle.value || null, "widget.greeting": f.greeting.value || null,
          "widget.color": f.color.value, "widget.position": f.position.value, "widget.language": f.language.value || null,
          "widget.logo": f.logo.value || null, "widget.offline_message": f.offline.value || null, "widget.away_message": f.away.value || null,
          "widget.prechat": { enabled: f.prechat.checked, required: f.prechat_required.checked },
          "widget.texts": textsValue(f),
        });
        preview.src = "/widget/frame?" + Date.now();
        flash("Widget saved.");
      },
      field("Title", el("input", { name: "title", value: v("title") })), field("Subtitle", el("input", { name: "subtitle", value: v("subtitle") })),
      field("Greeting", el("input", { name: "greeting", value: v("greeting") })), field("Colour", el("input", { name: "color", type: "color", value: v("color", "#2f6fed") })),
      field("Position", pos), field("Language", lang), field("Logo URL", el("input", { name: "logo", type: "url", value: v("logo") })),
      field("Offline form text", el("input", { name: "offline", value: v("offline_message") })), field("Away message", el("input", { name: "away", value: v("away_message") })),
      field("Ask name and email first (pre-chat form)", el("input", { name: "prechat", type: "checkbox", checked: Boolean(prechat.enabled) })),
      field("…and require them", el("input", { name: "prechat_required", type: "checkbox", checked: Boolean(prechat.required) })),
      el("p", { class: "hint", text: "Texts per language: a visitor whose language is one of these reads its texts; an empty one falls back to the text above." }),
      ...perLanguage),
      el("div", {}, el("h3", { text: "Preview" }), preview, el("h3", { text: "Embed snippet" }), snippet,
        el("button", { type: "button", text: "Copy snippet", onclick: () => { snippet.select(); navigator.clipboard?.writeText(snippet.value); } }))));
  },

  async "Business hours"(box) {
    const s = (await api("GET", "/settings")).settings;
    const h = s["widget.hours"] || {};
    const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const rows = days.map((d) => {
      const [from, to] = ((h.days || {})[d] || [])[0] || ["", ""];
      return el("div", { class: "day" }, el("span", { text: d }),
        el("input", { name: d + "_from", type: "time", value: from, "aria-label": d + " from" }),
        el("input", { name: d + "_to", type: "time", value: to, "aria-label": d + " to" }));
    });
    box.append(el("p", { class: "hint", text: "Outside these hours the widget shows the offline form, even with agents online. A day left empty is closed. With no hours at all (and the box below unticked) the widget is always open." }),
      form(async (f) => {
        const out = {};
        let any = false;
        for (const d of days) {
          const from = f[d + "_from"].value, to = f[d + "_to"].value;
          out[d] = from && to ? [[from, to]] : [];
          any = any || Boolean(from && to);
        }
        await api("PUT", "/settings", { "widget.hours": any || f.closed.checked ? { timezone: f.timezone.value || "UTC", days: out } : null });
        flash("Business hours saved.");
      }, field("Time zone (e.g. Europe/Oslo)", el("input", { name: "timezone", value: h.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone })),
      ...rows, field("Use these hours even if every day is empty (closed)", el("input", { name: "closed", type: "checkbox", checked: Boolean(h.days) }))));
  },

  async Security(box) {
    const s = (await api("GET", "/settings")).settings;
    const list = (k) => (Array.isArray(s[k]) ? s[k].join("\n") : "");
    box.append(form(async (f) => {
      const lines = (t) => t.split(/\s+/).map((x) => x.trim()).filter(Boolean);
      const values = {
        "identity.required": f.required.checked,
        "widget.allowed_domains": lines(f.domains.value), "inbox.embed_origins": lines(f.embeds.value),
      };
      // The secret is never removed, only rotated (at least 32 characters).
      if (f.secret.value !== (s["identity.secret"] || "")) values["identity.secret"] = f.secret.value;
      await api("PUT", "/settings", values);
      flash("Security settings saved.");
    },
    field("Identity verification secret (your server signs user ids with it; at least 32 characters)", el("input", { name: "secret", value: s["identity.secret"] || "", autocomplete: "off", minlength: 32 })),
    el("button", { type: "button", text: "Generate a new secret", onclick: (e) => {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      e.target.form.secret.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      flash("New secret generated: save, then update your server's copy.");
    } }),
    field("Require verified identities", el("input", { name: "required", type: "checkbox", checked: Boolean(s["identity.required"]) })),
    field("Sites allowed to embed the widget (one origin per line; empty = any)", el("textarea", { name: "domains", rows: 3, text: list("widget.allowed_domains") })),
    field("Origins allowed to frame the inbox embed modes (minifiedView)", el("textarea", { name: "embeds", rows: 3, text: list("inbox.embed_origins") }))));
  },

  async Webhooks(box) {
    const r = await api("GET", "/webhooks");
    for (const w of r.webhooks) {
      // Turned off by the server (410 Gone, or dead for the retry window): say why and when.
      if (!w.active && w.disabled_reason) {
        box.append(el("p", { class: "notice webhook-disabled", role: "alert", text: `${w.url} was disabled ${w.disabled_at ? new Date(w.disabled_at).toLocaleString() : ""}: ${w.disabled_reason}. Fix the receiver, then use "Enable and resend failed".` }));
      }
      const log = el("ul", { class: "rows" });
      const card = el("div", { class: "card" }, el("strong", { text: w.url }), el("span", { class: "hint", text: ` ${w.format === "support_board" ? "Support Board · " : ""}${w.events.join(", ")} · ${w.active ? "active" : "disabled" + (w.disabled_reason ? " (" + w.disabled_reason + ")" : "")}` }),
        el("button", { type: "button", text: "Deliveries", onclick: async () => {
          log.replaceChildren();
          const d = await api("GET", `/webhooks/${w.id}/deliveries?limit=20`);
          for (const x of d.deliveries) {
            // Support Board rows keep their webhook name as payload.
            const what = typeof x.payload === "string" ? x.payload : (x.payload && x.payload.type) || "";
            log.append(el("li", {}, el("span", { text: `#${x.id} ${what} · ${x.state} · ${x.attempts} attempts ${x.last_error ? "· " + x.last_error : ""}` }),
              el("button", { type: "button", text: "Replay", onclick: async () => { await api("POST", `/deliveries/${x.id}/replay`); flash("Queued again."); } })));
          }
        } }),
        el("button", { type: "button", text: w.active ? "Disable" : "Enable", onclick: async () => { await api("PATCH", `/webhooks/${w.id}`, { active: !w.active }); render("Webhooks"); } }),
        w.active || !w.disabled_reason ? null : el("button", { type: "button", class: "primary", text: "Enable and resend failed", onclick: async () => {
          await api("PATCH", `/webhooks/${w.id}`, { active: true });
          const d = await api("GET", `/webhooks/${w.id}/deliveries?limit=100`);
          const dead = d.deliveries.filter((x) => x.state === "dead");
          for (const x of dead) await api("POST", `/deliveries/${x.id}/replay`);
          await render("Webhooks");
          flash(`Enabled; ${dead.length} failed deliveries queued again.`);
        } }),
        el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
          if (confirm("Delete this endpoint and its delivery log?")) { await api("DELETE", `/webhooks/${w.id}`); render("Webhooks"); }
        } }), log);
      box.append(card);
    }
    const created = el("div");
    const format = el("select", { name: "format" },
      el("option", { value: "standard", text: "Standard Webhooks (signed)" }),
      el("option", { value: "support_board", text: "Support Board (function, key, sender-url, data)" }));
    const key = field("Secret key sent as \"key\" (empty = a new random one)", el("input", { name: "key", autocomplete: "off" }));
    const eventsHint = el("span");
    const showFormat = () => {
      const sb = format.value === "support_board";
      key.hidden = !sb;
      eventsHint.textContent = sb
        ? "Webhook names (comma-separated, e.g. message-sent, new-messages-received, login; empty = all)"
        : "Events (comma-separated, e.g. message.*, conversation.status; empty = all)";
    };
    format.addEventListener("change", showFormat);
    showFormat();
    box.append(el("h3", { text: "Add an endpoint" }), form(async (f) => {
      const events = f.events.value.split(/[\s,]+/).filter(Boolean);
      const body = { url: f.url.value, events, format: f.format.value };
      if (f.format.value === "support_board" && f.key.value) body.secret = f.key.value;
      const w = await api("POST", "/webhooks", body);
      await render("Webhooks");
      $("settings-body").append(once(f.format.value === "support_board" ? "Secret key" : "Signing secret", w.webhook.secret));
    }, field("URL", el("input", { name: "url", type: "url", required: true })),
    field("Format", format), key,
    el("label", {}, eventsHint, el("input", { name: "events" }))), created);
  },

  "Knowledge base": (box) => knowledgeBase(box, api, () => render("Knowledge base")),
  Automations: (box) => automations(box, api, () => render("Automations")),
  Email: (box) => emailSettings(box, api, () => render("Email")),
  Channels: (box) => channelSettings(box, api, () => render("Channels")),
  Commands: (box) => dotCommands(box, api, () => render("Commands")),
  Forms: (box) => formSettings(box, api, () => render("Forms")),
  Tags: (box) => tagSettings(box, api, () => render("Tags")),
  "Quality scores": (box) => scoreSettings(box, api, () => render("Quality scores")),
  Macros: (box) => macroSettings(box, api, () => render("Macros")),
  "Keyword bots": (box) => keywordBotSettings(box, api, () => render("Keyword bots")),
  Menu: (box) => menuSettings(box, api, () => render("Menu")),
  Reports: (box) => reports(box, api),
  TalkJS: (box) => talkjsSettings(box, api),

  async "API tokens"(box) {
    const r = await api("GET", "/tokens");
    const ul = el("ul", { class: "rows" });
    for (const t of r.tokens) {
      ul.append(el("li", {}, el("span", { text: `${t.name} · ${t.role} · ${t.prefix}… · ${t.revoked ? "revoked" : "active"}` }),
        t.revoked ? null : el("button", { type: "button", class: "danger", text: "Revoke", onclick: async () => { await api("DELETE", `/tokens/${t.id}`); render("API tokens"); } })));
    }
    const role = el("select", { name: "role" }, el("option", { value: "agent", text: "Agent" }), el("option", { value: "admin", text: "Admin" }));
    box.append(ul, form(async (f) => {
      const t = await api("POST", "/tokens", { name: f.name.value, role: f.role.value });
      await render("API tokens");
      $("settings-body").append(once("API token", t.token.secret));
    }, field("Name", el("input", { name: "name", required: true })), field("Role", role)));
  },
};

async function render(name) {
  for (const b of document.querySelectorAll("#settings-tabs button")) b.setAttribute("aria-selected", String(b.textContent === name));
  const box = $("settings-body");
  box.replaceChildren();
  try { await sections[name](box); } catch (err) { flash(err.message, true); }
}

export function setup(apiFn) {
  api = apiFn;
  const tabs = $("settings-tabs");
  for (const name of Object.keys(sections)) {
    tabs.append(el("button", { type: "button", role: "tab", text: name, onclick: () => render(name) }));
  }
  return () => render("Agents");
}

/** Saved replies for the composer's `#` autocomplete. */
export async function savedReplies(apiFn) {
  try {
    const s = (await apiFn("GET", "/settings")).settings;
    return Array.isArray(s.saved_replies) ? s.saved_replies : [];
  } catch { return []; }
}
