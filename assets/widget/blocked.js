// A blocked visitor (`/block`): the server answers 403 `blocked` when they
// start a session or post. The widget then says so plainly, in the
// server's words (as text), where the composer was; the composer, the
// forms and the "new conversation" button go (frame.css, `body.blocked`).

/** Whether an API answer is the server refusing a blocked visitor. */
export function isBlocked(status, body) {
  return status === 403 && Boolean(body && body.error && body.error.code === "blocked");
}

/** Shows the notice instead of the composer (once; later calls update it). */
export function showBlocked(message) {
  document.body.classList.add("blocked");
  let p = document.getElementById("blocked-notice");
  if (!p) {
    p = document.createElement("p");
    p.id = "blocked-notice";
    p.className = "blocked-notice";
    p.setAttribute("role", "alert");
    document.getElementById("composer").before(p);
  }
  p.textContent = message || "You cannot start a chat here. If you think this is a mistake, contact the site owner.";
}
