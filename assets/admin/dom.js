// Small DOM helpers for the settings screens. Everything shown is inserted
// as text (textContent, attributes), never as HTML.

export const $ = (id) => document.getElementById(id);
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

export function field(label, input) { return el("label", {}, el("span", { text: label }), input); }

export function form(onsubmit, ...fields) {
  const f = el("form", { class: "settings-form" }, ...fields, el("button", { type: "submit", class: "primary", text: "Save" }));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await onsubmit(f); } catch (err) { flash(err.message, true); }
  });
  return f;
}

export function flash(text, error) {
  const p = $("settings-flash");
  p.textContent = text;
  p.className = error ? "error" : "ok";
  p.hidden = false;
  clearTimeout(flash.t);
  flash.t = setTimeout(() => { p.hidden = true; }, 5000);
}

/** A secret shown once, with a copy button. */
export function once(label, secret) {
  const input = el("input", { readonly: true, value: secret, "aria-label": label, class: "secret" });
  return el("div", { class: "once" }, el("p", { text: label + " — shown once, copy it now:" }), input,
    el("button", { type: "button", text: "Copy", onclick: () => { input.select(); navigator.clipboard?.writeText(secret); } }));
}

