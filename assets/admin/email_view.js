// What the inbox shows of a message that came in by email: its subject and
// addresses, and its quoted text (folded away by the server) behind a toggle.
// Everything is inserted as text, never as HTML.

import { el } from "./dom.js";

const list = (a) => (Array.isArray(a) ? a.filter((x) => typeof x === "string").join(", ") : "");

/** The email details of message `m`, or null when it did not come by email. */
export function emailDetails(m) {
  const e = m && m.payload && m.payload.email;
  if (!e || typeof e !== "object") return null;
  const from = e.from || {};
  const who = from.name ? `${from.name} <${from.address || ""}>` : String(from.address || "");
  const box = el("div", { class: "email-details" });
  if (e.subject) box.append(el("div", { class: "email-subject", text: String(e.subject) }));
  const lines = [["From", who], ["To", list(e.to)], ["Cc", list(e.cc)]].filter(([, v]) => v);
  for (const [k, v] of lines) box.append(el("div", { class: "email-line", text: `${k}: ${v}` }));
  if (Array.isArray(e.left_out) && e.left_out.length) {
    box.append(el("div", { class: "email-line", text: "Not attached: " + list(e.left_out) }));
  }
  if (typeof e.full_text === "string" && e.full_text) {
    const full = el("pre", { class: "email-full", hidden: true, text: e.full_text });
    const toggle = el("button", { type: "button", class: "email-toggle", text: "Show quoted text" });
    toggle.addEventListener("click", () => {
      full.hidden = !full.hidden;
      toggle.textContent = full.hidden ? "Show quoted text" : "Hide quoted text";
    });
    box.append(toggle, full);
  }
  return box;
}
