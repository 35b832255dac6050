// Rich messages (a server dot command's Slack-format answer, payload
// `{type: "card", rich: {text, attachments}}`), drawn for the widget and
// the inbox as text nodes only: titles, texts and fields through
// textContent (chat formatting as format.js builds it), links and images
// only http(s). The widget's CSP allows https images; an http image is
// shown as a link instead.

import { formatInto } from "./format.js";

/** Whether a message is a rich card this module draws. */
export function isRich(m) {
  const r = m && m.payload && m.payload.type === "card" && m.payload.rich;
  return Boolean(r && typeof r === "object" && !Array.isArray(r));
}

/** An http(s) URL as the browser parses it, or null. */
export function webUrl(u) {
  if (typeof u !== "string") return null;
  try {
    const url = new URL(u);
    return url.protocol === "https:" || url.protocol === "http:" ? url : null;
  } catch { return null; }
}

function node(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = String(text);
  return e;
}

function link(url, text) {
  const a = node("a", "rich-link", text);
  a.href = url.href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/** Slack's colour names, and #rgb / #rrggbb. */
const COLORS = { good: "#2eb67d", warning: "#ecb22e", danger: "#e01e5a" };
function color(c) {
  if (typeof c !== "string") return null;
  if (COLORS[c]) return COLORS[c];
  return /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(c) ? c : null;
}

const str = (v) => (typeof v === "string" ? v : "");

function attachment(a) {
  const box = node("div", "rich-attachment");
  const c = color(a.color);
  if (c) box.style.borderInlineStartColor = c;
  const titleUrl = webUrl(a.title_link);
  if (str(a.title)) box.append(titleUrl ? link(titleUrl, a.title) : node("strong", "rich-title", a.title));
  if (str(a.text)) box.append(formatInto(node("div", "rich-text"), a.text));
  const fields = Array.isArray(a.fields) ? a.fields.slice(0, 20) : [];
  if (fields.length) {
    const dl = node("dl", "rich-fields");
    for (const f of fields) {
      if (!f || typeof f !== "object") continue;
      const pair = node("div", f.short ? "rich-field short" : "rich-field");
      pair.append(node("dt", "", str(f.title)), node("dd", "", str(f.value)));
      dl.append(pair);
    }
    box.append(dl);
  }
  const img = webUrl(a.image_url);
  if (img && img.protocol === "https:") {
    const i = node("img", "rich-image");
    i.src = img.href;
    i.alt = str(a.title);
    i.loading = "lazy";
    // Blocked or gone: the link stays.
    i.addEventListener("error", () => i.replaceWith(link(img, img.href)), { once: true });
    box.append(i);
  } else if (img) box.append(link(img, img.href));
  return box;
}

/** The card for `rich`: its text, then each attachment. */
export function richNode(rich) {
  const box = node("div", "rich");
  if (str(rich.text)) box.append(formatInto(node("div", "rich-text"), rich.text));
  const list = Array.isArray(rich.attachments) ? rich.attachments.slice(0, 20) : [];
  for (const a of list) if (a && typeof a === "object") box.append(attachment(a));
  return box;
}
