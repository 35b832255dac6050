// Which channel a conversation came by (a small text badge in the list row
// and the thread's header), and what the inbox shows of a message from a
// messaging platform that the text does not say: files still being fetched,
// files left out, a reply the platform could not deliver. Everything is
// inserted as text, never as HTML.

import { el } from "./dom.js";

/** Support Board's source codes and what the inbox calls them: each
 * platform's `label` (src/channels/; a unit test in src/api/channels.rs
 * keeps the two in step), email, and the widget. */
export const CHANNELS = {
  "": "Web",
  widget: "Web",
  em: "Email",
  api: "API",
  tx: "Twilio",
  wa: "WhatsApp",
  fb: "Messenger",
  ig: "Instagram",
  tg: "Telegram",
  vb: "Viber",
  ln: "LINE",
  wc: "WeChat",
  c2d: "Chat2Desk",
};

/** The name of the channel of `source` (an unknown code as it is). */
export function channelLabel(source) {
  const s = source == null ? "" : String(source);
  return Object.prototype.hasOwnProperty.call(CHANNELS, s) ? CHANNELS[s] : s;
}

/** A badge naming the channel of conversation `c`. */
export function channelBadge(c) {
  const label = channelLabel(c && c.source);
  return el("span", { class: "channel-badge", "data-source": (c && c.source) || "", title: "Channel: " + label, text: label });
}

/** Puts conversation `c`'s channel into the badge element `node`. */
export function setChannelBadge(node, c) {
  if (!node) return;
  const label = channelLabel(c && c.source);
  node.textContent = label;
  node.title = "Channel: " + label;
  node.dataset.source = (c && c.source) || "";
  node.hidden = !label;
}

/** Adds the messaging platforms to the inbox's source filter. */
export function addSourceOptions(select) {
  if (!select) return;
  const have = new Set([...select.options].map((o) => o.value));
  for (const [code, label] of Object.entries(CHANNELS)) {
    if (code && code !== "widget" && !have.has(code)) select.append(el("option", { value: code, text: label }));
  }
}

/** What a platform message's `payload.channel` says beyond its text, or null. */
export function channelNote(m) {
  const ch = m && m.payload && m.payload.channel;
  if (!ch || typeof ch !== "object") return null;
  const lines = [];
  for (const f of Array.isArray(ch.media) ? ch.media : []) {
    const name = String((f && f.name) || "file");
    if (f && f.state === "pending") lines.push(["pending", `📎 ${name}: arriving…`]);
    if (f && f.state === "left_out") lines.push(["left-out", `📎 ${name}: not attached${f.reason ? " (" + String(f.reason) + ")" : ""}`]);
  }
  if (ch.failed) lines.push(["failed", "Not delivered: " + String(ch.failed)]);
  if (!lines.length) return null;
  const box = el("div", { class: "channel-note" });
  for (const [kind, text] of lines) box.append(el("div", { class: "channel-line " + kind, text }));
  return box;
}
