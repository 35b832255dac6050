// The panel opening and closing: a short fade and lift (frame.css), none
// when the visitor asks for reduced motion. Closing waits for the fade
// before the panel is hidden and the loader shrinks the iframe (`then`).

const FADE_MS = 160;
let closing = 0;

/** On a phone the open chat fills the screen (the loader says which). */
export function setPhone(small) {
  document.body.classList.toggle("phone", small);
}

export function showPanel(open, then) {
  const panel = document.getElementById("panel");
  clearTimeout(closing);
  panel.classList.remove("closing");
  // An image left open does not outlive the chat.
  if (!open) for (const box of panel.querySelectorAll(".lightbox")) box.remove();
  if (open || matchMedia("(prefers-reduced-motion: reduce)").matches || panel.hidden) {
    panel.hidden = !open;
    then();
    return;
  }
  panel.classList.add("closing");
  document.body.classList.remove("open");
  closing = setTimeout(() => {
    panel.classList.remove("closing");
    panel.hidden = true;
    then();
  }, FADE_MS);
}
