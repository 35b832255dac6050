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
    if (p.caps.templates) parts.push(templatesForm(p, settings[`channels.${p.name}.templates`], api, rerender));
    box.append(el("details", { class: "channel", "data-platform": p.name, open: Boolean(saved) }, ...parts));
  }
}
