// The widget header's "who answers": up to three agents (avatar and first
// name, online ones first, as the server orders them) and how soon they
// typically reply, from the server's median first-response time.

import { avatarNode } from "../shared/avatar.js";

const REPLY_KEYS = { minutes: "replyMinutes", hour: "replyHour", hours: "replyHours", day: "replyDay" };

/** "Typically replies in …" in the visitor's language, or "" without data. */
export function replyText(t, reply) {
  const key = reply && REPLY_KEYS[reply.bucket];
  return (key && t[key]) || "";
}

/** Fills `box` with the agents' avatars and names (hidden when none). */
export function drawTeam(box, agents) {
  const list = (Array.isArray(agents) ? agents : []).slice(0, 3);
  box.replaceChildren();
  box.hidden = list.length === 0;
  if (!list.length) return;
  const faces = document.createElement("span");
  faces.className = "team-faces";
  for (const a of list) faces.append(avatarNode(a, "avatar team-avatar"));
  const names = document.createElement("span");
  names.className = "team-names";
  names.textContent = list.map((a) => a.first_name || a.name || "").filter(Boolean).join(", ");
  box.append(faces, names);
}
