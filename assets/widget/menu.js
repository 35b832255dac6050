// The self-service menu in the widget: a bot message with `payload.menu`
// (`{items: [{key, label}]}`) gets one button per item; a click sends the
// item's key as the visitor's message, as typing it would. Labels are
// text, never HTML.

/** Adds the menu's buttons under `bubble`; `send(text)` posts a message. */
export function menuButtons(bubble, m, send) {
  const items = m && m.payload && m.payload.menu && Array.isArray(m.payload.menu.items) ? m.payload.menu.items : [];
  if (!items.length) return;
  const box = document.createElement("div");
  box.className = "menu-buttons";
  box.setAttribute("role", "group");
  for (const it of items.slice(0, 9)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "menu-button";
    b.textContent = String(it.label || it.key || "");
    b.addEventListener("click", () => {
      for (const o of box.querySelectorAll("button")) o.disabled = true;
      b.setAttribute("aria-pressed", "true");
      send(String(it.key));
    });
    box.append(b);
  }
  bubble.append(box);
}
