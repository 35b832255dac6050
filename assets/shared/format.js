// Chat text formatting for the widget and the inbox, built as DOM nodes:
// `*bold*`, `_italic_`, `~strikethrough~`, `` `code` `` and ```` ```block``` ````
// with the rules of src/text_format.rs, and http(s)/mailto URLs made links.
// The sender's text only ever becomes text nodes and checked link targets,
// never HTML.

/** [marker, tag], longest marker first (as MARKS in text_format.rs). */
const MARKS = [["```", "pre"], ["`", "code"], ["*", "strong"], ["_", "em"], ["~", "del"]];

const URL_RE = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence (or a format span) rather than a URL. */
const TRAIL = ".,;:!?*_~'\")]";
const SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The URLs in `text` as [start, end, href], with trailing punctuation
 * left out (a ")" stays when the URL opened one). Only http, https and
 * mailto, and only what the browser parses as such. */
function links(text) {
  const out = [];
  for (const m of text.matchAll(URL_RE)) {
    let s = m[0];
    const count = (c) => s.split(c).length - 1;
    while (s) {
      const c = s[s.length - 1];
      if (c === ")" ? count("(") >= count(")") : !TRAIL.includes(c)) break;
      s = s.slice(0, -1);
    }
    let url;
    try { url = new URL(s); } catch { continue; }
    if (!SCHEMES.has(url.protocol) || (url.protocol !== "mailto:" && !url.hostname)) continue;
    out.push([m.index, m.index + s.length, url.href]);
  }
  return out;
}

const isSpace = (c) => c !== undefined && /\s/u.test(c);

/** `text` as plain and marked spans, [markIndex|-1, string]: a span opens
 * at a marker followed by a non-space and closes at the next same marker
 * after a non-space, on the same line (blocks may span lines). Markers
 * inside URLs are part of the URL. */
function spans(text) {
  const urls = links(text);
  const inUrl = (p) => urls.some(([s, e]) => p >= s && p < e);
  const out = [];
  let plain = 0;
  let i = 0;
  while (i < text.length) {
    const u = urls.find(([s]) => s === i);
    if (u) { i = u[1]; continue; }
    const k = MARKS.findIndex(([m]) => text.startsWith(m, i) && i + m.length < text.length && !isSpace(text[i + m.length]));
    if (k < 0) { i++; continue; }
    const m = MARKS[k][0];
    const body = i + m.length;
    let c = text.indexOf(m, body);
    while (c >= 0 && inUrl(c)) c = text.indexOf(m, c + 1);
    const inner = c >= 0 ? text.slice(body, c) : "";
    if (c >= 0 && inner && !isSpace(inner[inner.length - 1]) && (m === "```" || !inner.includes("\n"))) {
      if (plain < i) out.push([-1, text.slice(plain, i)]);
      out.push([k, inner]);
      i = plain = c + m.length;
    } else {
      i = body;
    }
  }
  if (plain < text.length) out.push([-1, text.slice(plain)]);
  return out;
}

/** Plain text with its URLs as links (new tab, no opener, no referrer). */
function linked(text) {
  const out = [];
  let last = 0;
  for (const [s, e, href] of links(text)) {
    if (s > last) out.push(document.createTextNode(text.slice(last, s)));
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text.slice(s, e);
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    out.push(a);
    last = e;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

/** The message as DOM nodes: formatting to elements, URLs to links, the
 * rest as text (line breaks kept for `white-space: pre-wrap`). Code and
 * blocks are shown as written. */
export function formatted(text) {
  const out = [];
  for (const [k, s] of spans(String(text ?? ""))) {
    if (k < 0) { out.push(...linked(s)); continue; }
    const e = document.createElement(MARKS[k][1]);
    if (k === 0) e.textContent = s.replace(/^\n+|\n+$/g, "");
    else if (k === 1) e.textContent = s;
    else e.append(...formatted(s));
    out.push(e);
  }
  return out;
}

/** Appends `text`, formatted, to `el`. */
export function formatInto(el, text) {
  el.append(...formatted(text));
  return el;
}

/** The message without its formatting markers (as `clear` in
 * text_format.rs), for one-line previews. */
export function plainText(text) {
  return spans(String(text ?? "")).map(([k, s]) => (k > 1 ? plainText(s) : s)).join("");
}
