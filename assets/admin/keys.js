// The inbox's keyboard shortcuts: single keys without modifiers, as Gmail
// and Intercom use them. They never fire while typing (inputs, text areas,
// selects, contenteditable), nor with Ctrl, Alt or Meta held, so browser and
// screen-reader commands pass through; `?` opens the list of them.

/** [key, what it does, the action's name in `actions`]. */
export const SHORTCUTS = [
  ["j", "Next conversation", "next"],
  ["k", "Previous conversation", "previous"],
  ["u", "Next unanswered conversation", "nextUnanswered"],
  ["r", "Reply: focus the reply box", "reply"],
  ["n", "Write an internal note", "note"],
  ["a", "Assign the conversation to me", "assignMe"],
  ["e", "Archive the conversation", "archive"],
  ["/", "Search conversations", "search"],
  ["?", "Show these shortcuts", "help"],
  ["Esc", "Leave the reply box or search, back to the list", null],
];

function typing(target) {
  return Boolean(target && target.closest && target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
}

function inDialog(target) {
  return Boolean(target && target.closest && target.closest("dialog, [role=dialog]"));
}

/** Installs the shortcuts; `actions` maps each action name to a function. */
export function setupKeys(actions) {
  const overlay = helpOverlay();
  const all = { ...actions, help: overlay.open };
  // Capture: the field's own Esc handling (closing a suggestion list) runs after.
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && typing(e.target) && !e.target.closest("[role=dialog]") && actions.leave) actions.leave(e.target);
  }, true);
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (typing(e.target) || overlay.isOpen() || document.body.classList.contains("show-settings")) return;
    // A dialog in front (lightbox, profile) owns the keys: no acting on the conversation behind it.
    if (inDialog(e.target)) return;
    const hit = SHORTCUTS.find(([key, , name]) => name && key === e.key);
    if (!hit || !all[hit[2]]) return;
    e.preventDefault();
    Promise.resolve(all[hit[2]]()).then((said) => { if (typeof said === "string") announce(said); }, (err) => announce(err.message || String(err)));
  });
}

/** Tells screen-reader users what a shortcut did (a polite live region). */
export function announce(text) {
  let live = document.getElementById("keys-status");
  if (!live) {
    live = document.createElement("p");
    live.id = "keys-status";
    live.className = "sr-only";
    live.setAttribute("role", "status");
    document.body.append(live);
  }
  live.textContent = text;
}

/** The `?` dialog: the shortcuts as a list; Esc or Close shuts it and puts
 * the focus back where it was. */
function helpOverlay() {
  let back = null;
  const wrap = document.createElement("div");
  wrap.className = "keys-overlay";
  wrap.hidden = true;
  const box = document.createElement("div");
  box.className = "keys-box";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  box.setAttribute("aria-labelledby", "keys-title");
  box.id = "keys-help";
  const h = document.createElement("h2");
  h.id = "keys-title";
  h.textContent = "Keyboard shortcuts";
  const dl = document.createElement("dl");
  for (const [key, what] of SHORTCUTS) {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = what;
    dl.append(dt, dd);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Close";
  box.append(h, dl, close);
  wrap.append(box);
  document.body.append(wrap);

  const shut = () => {
    if (wrap.hidden) return;
    wrap.hidden = true;
    if (back && back.isConnected) back.focus();
    back = null;
  };
  close.addEventListener("click", shut);
  wrap.addEventListener("click", (e) => { if (e.target === wrap) shut(); });
  // Esc closes; Tab stays on the one control inside.
  wrap.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); shut(); }
    else if (e.key === "Tab") { e.preventDefault(); close.focus(); }
  });
  return {
    open() { back = document.activeElement; wrap.hidden = false; close.focus(); },
    isOpen: () => !wrap.hidden,
  };
}
