// The emoji picker of the widget and the inbox: `button` toggles `box`,
// which is filled on first use; a click inserts the emoji at the caret of
// `input`.

export function emojiPicker(button, box, input, emoji) {
  button.addEventListener("click", () => {
    if (!box.children.length) {
      for (const e of emoji) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = e;
        b.setAttribute("aria-label", e);
        b.addEventListener("click", () => {
          const at = input.selectionStart ?? input.value.length;
          input.value = input.value.slice(0, at) + e + input.value.slice(input.selectionEnd ?? at);
          input.focus();
          input.selectionStart = input.selectionEnd = at + e.length;
        });
        box.append(b);
      }
    }
    box.hidden = !box.hidden;
    button.setAttribute("aria-expanded", String(!box.hidden));
  });
}
