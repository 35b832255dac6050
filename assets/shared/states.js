// Message states (ticks) and timeline lines, for the widget and the inbox.
// Names in events are people's: everything goes in with textContent.

const RANK = { sent: 1, delivered: 2, read: 3 };

/** A message's state as its sender sees it. */
export function tickState(m) { return m.read ? "read" : m.delivered ? "delivered" : "sent"; }

/** Ticks for `state`: ✓ sent, ✓✓ delivered, ✓✓ and the word when read
 * (coloured by CSS); `words` ({sent, delivered, read}) are their text
 * alternative. */
export function ticks(state, words) {
  const s = document.createElement("span");
  setTicks(s, state, words);
  return s;
}

/** Moves ticks forward only: a late "delivered" never undoes "read". */
export function setTicks(s, state, words) {
  if ((RANK[s.dataset.state] || 0) >= RANK[state]) return;
  s.className = "ticks " + state;
  s.dataset.state = state;
  s.textContent = state === "sent" ? "✓" : state === "delivered" ? "✓✓" : "✓✓ " + words.read;
  s.setAttribute("role", "img");
  s.setAttribute("aria-label", words[state]);
  s.title = words[state];
}

/** Moves the ticks of the messages `ids` under `root` to `state`. */
export function markTicks(root, ids, state, words) {
  for (const id of ids || []) {
    const s = root.querySelector(`[data-id="${Number(id)}"] .ticks`);
    if (s) setTicks(s, state, words);
  }
}

/** A timeline line's text for an event, or "" when the thread shows none.
 * `w`: the words (assignedTo, unassigned, transferredTo, closed, reopened, rated). */
export function timelineText(ev, w) {
  const d = ev.data || {};
  const closed = (s) => s === 3 || s === 4;
  switch (ev.kind) {
    case "conversation.assigned":
      return d.agent_id == null ? w.unassigned : w.assignedTo + " " + (d.agent_name || "#" + d.agent_id);
    case "conversation.department":
      return d.department_id == null ? "" : w.transferredTo + " " + (d.department_name || "#" + d.department_id);
    case "conversation.status":
      if (closed(d.status) && !closed(d.previous)) return w.closed;
      if (!closed(d.status) && closed(d.previous)) return w.reopened;
      return "";
    case "conversation.rated":
      return w.rated + " " + (d.rating > 0 ? "👍" : "👎") + (d.comment ? " — " + d.comment : "");
    case "conversation.scored":
      // A quality score (issue 14); pages without the word show nothing.
      return w.scored ? `${w.scored} ${Number(d.score)}/${Number(d.scale)}` : "";
  }
  return "";
}

/** A centred line in the thread (once per event id), placed by its time
 * among items carrying `data-at`; `time` is the formatted time. */
export function addTimeline(root, ev, text, time) {
  if (!text || root.querySelector(`[data-event="${Number(ev.id)}"]`)) return null;
  const li = document.createElement("li");
  li.className = "event timeline";
  li.setAttribute("role", "note");
  li.dataset.event = ev.id;
  li.dataset.at = ev.created_at;
  const what = document.createElement("span");
  what.textContent = text;
  const when = document.createElement("span");
  when.className = "meta";
  when.textContent = " · " + time;
  li.append(what, when);
  const next = [...root.children].find((c) => c.dataset.at && c.dataset.at > ev.created_at);
  root.insertBefore(li, next || null);
  return li;
}
