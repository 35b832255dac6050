// A thread shown by time: a message's <li> (with data-at = its created_at
// and data-id) goes after the last entry that is not later, so imported
// copies (which keep their origin's time but get new ids) sit where they
// happened. The newest message is appended (after a queued bubble or a
// rating line, as before); an older one goes after the last entry that is
// not later.

/** Whether entry `c` comes at or before (`at`, `id`). */
function notLater(c, at, id) {
  if (c.dataset.at < at) return true;
  if (c.dataset.at > at) return false;
  // Same time: messages by id; a timeline line before the message.
  return !c.dataset.id || Number(c.dataset.id) <= id;
}

/** Places `li` into `root` by its time, scanning from the newest end; a
 * message newer than every timed entry is appended, as it always was. */
export function placeByTime(root, li) {
  const at = li.dataset.at || "";
  const id = Number(li.dataset.id) || 0;
  let after = null;
  let newest = true;
  for (let c = root.lastElementChild; c; c = c.previousElementSibling) {
    if (!c.dataset.at) continue;
    if (notLater(c, at, id)) { after = c; break; }
    newest = false;
  }
  if (newest) { root.append(li); return; }
  if (after) { after.after(li); return; }
  const firstTimed = [...root.children].find((c) => c.dataset.at);
  root.insertBefore(li, firstTimed || null);
}
