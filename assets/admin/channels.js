// Settings → Channels: each messaging platform (GET /channels lists them
// with their fields) with its setting `channels.<name>`, the inbound URL
// to paste into the platform's console, and "Send a test message" showing
// the platform's reply. Secrets are write-only: the API answers
// `<field>_set`, so a secret field stays empty ("set" in its placeholder)
// and an empty field keeps the stored one. The composer's part (reply
// window notice, template picker) is `channelComposer` below.

import { el, field, form, flash } from "./dom.js";

function platformForm(p, saved, api, rerender) {
  const inputs = p.fields.map((f) => field(f.name + (f.required ? " *" : ""), el("input", {
    name: f.name, autocomplete: "off",
    type: f.secret ? "password" : "text",
    value: f.secret ? "" : (saved[f.name] || ""),
    placeholder: f.secret ? (saved[f.name + "_set"] ? "set — leave empty to keep it" : "") : "",
  })));
  inputs.push(field("api_base", el("input", { name: "api_base", type: "url", value: saved.api_base || "", placeholder: p.api_base })));
  return form(async (f) => {
    const v = {};
    for (const x of p.fields) {
      const value = f[x.name].value.trim();
      if (value || !x.secret) v[x.name] = value || null;
    }
    if (f.api_base.value.trim()) v.api_base = f.api_base.value.trim();
    await api("PUT", "/settings", { ["channels." + p.name]: v });
    flash(`${p.label} saved.`);
    rerender();
  }, ...inputs);
}

function inboundUrl(p) {
  const url = p.inbound_url || location.origin + p.inbound_path;
  const input = el("input", { readonly: true, value: url, "aria-label": `${p.label} inbound URL`, class: "inbound-url" });
  return el("div", { class: "rows" }, el("span", { text: "Inbound URL (paste it into the platform's console):" }), input,
    el("button", { type: "button", text: "Copy", onclick: () => { input.select(); navigator.clipboard?.writeText(url); } }));
}

function testSend(p, api) {
  const to = el("input", { "aria-label": `${p.label} test recipient`, placeholder: "to (phone number, chat id, user id)" });
  const text = el("input", { "aria-label": `${p.label} test text`, placeholder: "text (optional)" });
  const out = el("pre", { class: "hint channel-answer", "aria-live": "polite" });
  const button = el("button", { type: "button", text: "Send a test message", onclick: async () => {
    out.textContent = "Sending…";
    try {
      const r = await api("POST", `/channels/${p.name}/test`, { to: to.value.trim(), text: text.value });
      out.textContent = r.ok ? `Sent: ${JSON.stringify(r.response)}` : `Not sent: ${r.error}`;
    } catch (err) { out.textContent = err.message; }
  } });
  return el("div", {}, el("div", { class: "rows" }, to, text, button), out);
}

// Where the platform's API takes our inbound URL (Telegram's setWebhook):
// one click instead of a console.
function registerButton(p, api) {
  const out = el("pre", { class: "hint register-answer", "aria-live": "polite" });
  const button = el("button", { type: "button", text: `Register the inbound URL with ${p.label}`, onclick: async () => {
    out.textContent = "Registering…";
    try {
      const r = await api("POST", `/channels/${p.name}/register`);
      out.textContent = r.ok ? `Registered: ${JSON.stringify(r.response)}` : `Not registered: ${r.error}`;
    } catch (err) { out.textContent = err.message; }
  } });
  return el("div", {}, button, out);
}

function templatesForm(p, saved, api, rerender) {
  const key = `channels.${p.name}.templates`;
  const area = el("textarea", { name: "templates", rows: 4, "aria-label": `${p.label} templates`,
    placeholder: '[{"name": "order_update", "language": "en_US", "text": "Hello {{1}}"}]' });
  area.value = saved ? JSON.stringify(saved, null, 1) : "";
  return form(async (f) => {
    const v = f.templates.value.trim() ? JSON.parse(f.templates.value) : null;
    await api("PUT", "/settings", { [key]: v });
    flash("Templates saved.");
    rerender();
  }, field("Message templates (as approved in the platform's console)", area));
}

export async function channelSettings(box, api, rerender) {
  const [{ platforms }, { settings }] = await Promise.all([api("GET", "/channels"), api("GET", "/settings")]);
  box.append(el("p", { class: "hint", text: "Customers write from these apps; agents answer from the inbox. Secrets are never shown again once saved." }));
  for (const p of platforms) {
    const saved = settings["channels." + p.name] || null;
    const parts = [el("summary", { text: `${p.label}${saved ? " — configured" : ""}` }),
      platformForm(p, saved || {}, api, rerender), inboundUrl(p), testSend(p, api)];
    if (p.register) parts.push(registerButton(p, api));
    if (p.caps.templates) parts.push(templatesForm(p, settings[`channels.${p.name}.templates`], api, rerender));
    box.append(el("details", { class: "channel", "data-platform": p.name, open: Boolean(saved) }, ...parts));
  }
}

let platformsCache = null;

/** The composer's notice in a conversation of a platform with a reply
 * window (WhatsApp: 24 hours after the customer's last message): when the
 * window is closed, free text is refused by the server, so the notice says
 * so and offers the listed templates (`channels.<name>.templates`), sent
 * with POST /conversations/{id}/template. `reopen` redraws the thread. */
export async function channelComposer(conv, messages, api, reopen, isCurrent) {
  document.getElementById("channel-window")?.remove();
  if (!conv.source) return;
  try {
    platformsCache ||= (await api("GET", "/channels")).platforms;
  } catch { return; }
  const p = platformsCache.find((x) => x.sources.includes(conv.source));
  const hours = p && p.caps.reply_window_hours;
  if (!hours) return;
  const last = [...messages].reverse().find((m) => m.user_id === conv.user_id);
  const open = last && Date.now() - Date.parse(last.created_at) < hours * 3600 * 1000;
  if (open) return;
  const span = hours % 24 === 0 && hours >= 48 ? `${hours / 24}-day` : `${hours}-hour`;
  const box = el("div", { id: "channel-window", class: "channel-window", role: "note" },
    el("p", { text: `${p.label}'s ${span} reply window is closed: the customer has not written in the last ${span.replace("-", " ")}s, so only a template can be sent.` }));
  let templates = [];
  if (p.caps.templates) {
    try {
      const s = (await api("GET", "/settings")).settings;
      templates = s[`channels.${p.name}.templates`] || [];
    } catch { templates = []; }
  }
  if (templates.length) {
    const pick = el("select", { "aria-label": "Template" },
      ...templates.map((t, i) => el("option", { value: String(i), text: `${t.name} (${t.language})` })));
    const params = el("input", { "aria-label": "Template parameters", placeholder: "parameters, comma separated" });
    const preview = el("p", { class: "hint" });
    const show = () => { preview.textContent = templates[Number(pick.value)].text || ""; };
    pick.addEventListener("change", show);
    show();
    const send = el("button", { type: "button", class: "primary", text: "Send template", onclick: async () => {
      const t = templates[Number(pick.value)];
      const parameters = params.value.split(",").map((x) => x.trim()).filter(Boolean);
      try {
        await api("POST", `/conversations/${conv.id}/template`, { name: t.name, language: t.language, parameters });
        reopen();
      } catch (err) { preview.textContent = err.message; }
    } });
    box.append(el("div", { class: "rows" }, pick, params, send), preview);
  } else {
    box.append(el("p", { class: "hint", text: "No templates are listed: an admin adds them in Settings → Channels." }));
  }
  // Another conversation may have been opened meanwhile.
  if (!isCurrent() || document.getElementById("channel-window")) return;
  document.getElementById("composer").before(box);
}
