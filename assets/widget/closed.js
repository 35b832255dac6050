// After closing: the thread stays readable, ends with a "Conversation
// closed" divider and a button that starts a new conversation, in place of
// the composer. (The server lets a visitor's message reopen a closed
// conversation, as Support Board does; the widget does not offer it, so a
// closed conversation is only reopened by staff, or by a message queued
// before it closed, which the widget then shows as reopened.)

/** Shows the divider at the end of `list` (once); `onNew` starts afresh.
 * Returns its button, or null when it was there already. */
export function showClosed(list, t, onNew) {
  if (list.querySelector(".closed-divider")) return null;
  const li = document.createElement("li");
  li.className = "closed-divider";
  li.setAttribute("role", "note");
  const text = document.createElement("span");
  text.textContent = t.closed;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "primary new-conversation";
  b.textContent = t.newConversation;
  b.addEventListener("click", onNew);
  li.append(text, b);
  list.append(li);
  return b;
}

export function hideClosed(list) {
  for (const d of list.querySelectorAll(".closed-divider")) d.remove();
}

/** Archive (3) and trash (4) are closed. */
export const isClosed = (status) => status === 3 || status === 4;
