// A person's avatar as DOM, the same in the widget and the inbox: their
// picture when they have one, else their initials on their colour. Names are
// set as text, never HTML; the colour is used only if it is #rrggbb.

/** One or two initials of a display name ("Ann Lee" → "AL"). */
export function initials(name) {
  // Words' first letters or digits: punctuation and symbols are no initials.
  const words = String(name || "").trim().split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  const first = (w) => (w.match(/[\p{L}\p{N}]/u) || [""])[0];
  const s = words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0] || "?");
  return s.toUpperCase() || "?";
}

/** An <img> for a picture link of ours (or http/https), else a <span> of initials. */
export function avatarNode(person, cls = "avatar") {
  const p = person || {};
  const url = typeof p.avatar === "string" ? p.avatar : "";
  if (/^(https?:\/\/|\/uploads\/)/.test(url)) {
    const img = document.createElement("img");
    img.className = cls;
    img.src = url;
    img.alt = "";
    return img;
  }
  const span = document.createElement("span");
  span.className = cls + " initials";
  span.textContent = initials(p.name);
  span.setAttribute("aria-hidden", "true");
  if (/^#[0-9a-f]{6}$/i.test(p.color || "")) { span.style.background = p.color; span.style.color = "#fff"; }
  return span;
}
