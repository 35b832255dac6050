// The composer's command list: typing `/` or `.` at the start of the reply
// box lists the commands (the admin's dot commands from
// `GET /api/v1/commands`, `.end`, and the slash commands), filtered as
// you type; arrow keys move, Enter or Tab chooses, Esc closes. An ARIA
// listbox the textarea points at with aria-activedescendant. Text only.

const SLASH = [
  ["notify", "Queue the conversation and notify the available channels"],
  ["assign", "Add agents to the conversation's participants"],
  ["join", "Join the conversation without accepting it"],
  ["accept", "Accept the conversation"],
  ["leave", "Leave the conversation"],
  ["close", "Leave the conversation (same as /leave)"],
  ["block", "Block the contact and close the conversation"],
  ["set", "Set a property: /set @name …, /set key value"],
  ["action", "Like or comment a message: /action like, /action comment …"],
  ["send", "Send the completed forms as results"],
  ["import", "Merge another conversation into this one: /import <id>"],
];

const KINDS = {
  message: "Canned message", server: "Asks your server", client: "Runs in the visitor's page",
  alias: "Alias", open_url: "Opens a link for the visitor", redirect: "Moves the visitor's page",
};

/** Wires the list to `input` (the composer's textarea) inside `form`. */
export function setupCommandMenu({ input, form, api }) {
  const menu = document.createElement("ul");
  menu.id = "command-menu";
  menu.className = "suggest command-menu";
  menu.setAttribute("role", "listbox");
  menu.setAttribute("aria-label", "Commands");
  menu.hidden = true;
  input.before(menu);
  input.setAttribute("aria-controls", "command-menu");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");

  let dots = [];
  let loadedAt = 0;
  let items = [];
  let active = 0;

  // Reloaded at most once a minute, so commands added since show up.
  async function load() {
    if (loadedAt && Date.now() - loadedAt < 60000) return;
    loadedAt = Date.now();
    try {
      const r = await api("GET", "/commands");
      dots = r.commands.map((c) => ({
        text: "." + c.name,
        hint: c.description || (c.kind === "alias" && c.value ? "Alias of ." + c.value : KINDS[c.kind] || ""),
      }));
    } catch { loadedAt = 0; }
  }

  /** The sign and the name typed so far, when that is all before the caret. */
  const typed = () => /^([./])([\p{L}\p{N}_-]*)$/u.exec(input.value.slice(0, input.selectionStart));

  async function update() {
    if (!typed()) return close();
    await load();
    const m = typed();
    if (!m) return close();
    const all = m[1] === "."
      ? [...dots.filter((d) => d.text !== ".end"), { text: ".end", hint: "Close the conversation" }]
      : SLASH.map(([name, hint]) => ({ text: "/" + name, hint }));
    const q = m[0].toLowerCase();
    items = all.filter((c) => c.text.toLowerCase().startsWith(q)).slice(0, 12);
    if (!items.length) return close();
    active = Math.min(active, items.length - 1);
    draw();
  }

  function draw() {
    menu.replaceChildren(...items.map((c, i) => {
      const li = document.createElement("li");
      li.id = "command-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      const name = document.createElement("strong");
      name.textContent = c.text;
      li.append(name, c.hint ? " — " + c.hint : "");
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
      return li;
    }));
    menu.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.setAttribute("aria-activedescendant", "command-option-" + active);
    menu.children[active]?.scrollIntoView({ block: "nearest" });
  }

  function close() {
    menu.hidden = true;
    items = [];
    active = 0;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  /** Puts the chosen command in place of what was typed, and a space. */
  function choose(i) {
    const c = items[i];
    if (!c) return;
    const rest = input.value.slice(input.selectionStart).replace(/^\S*\s*/, "");
    input.value = c.text + " " + rest;
    const caret = c.text.length + 1;
    input.setSelectionRange(caret, caret);
    close();
    input.focus();
  }

  input.addEventListener("input", update);
  input.addEventListener("blur", close);
  // Captured on the form, before the composer's own keys (Enter sends).
  form.addEventListener("keydown", (e) => {
    if (menu.hidden || e.target !== input || e.isComposing) return;
    const stop = () => { e.preventDefault(); e.stopPropagation(); };
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      stop();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      draw();
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) {
      stop();
      choose(active);
    } else if (e.key === "Escape") {
      stop();
      close();
    }
  }, true);
}
