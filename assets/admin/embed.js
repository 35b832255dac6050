// The embedded inbox: Chat2Desk's `/chat/all?dialogID=N&minifiedView=1|2|3`
// (also `/admin/chat?...`). Mode 1 is the inbox without its menu, 2 one
// conversation with its reply box, 3 one conversation read-only. A
// third-party frame may keep no cookie and no storage, so the login is an
// embed token spent once (or a password login marked `embed`), and the
// session it answers is held here, in memory, and sent as a bearer.
// Problems (a bad link, a conversation not found, blocked storage) are
// said in the frame, never left as a blank or dead page.

import { storageBlocked } from "./storage.js";

const params = new URLSearchParams(location.search);
const mode = Number(params.get("minifiedView"));

/** The embed mode (1, 2 or 3), or 0 for the full inbox. */
export const minified = [1, 2, 3].includes(mode) ? mode : 0;

/** Whether the page runs inside another site's frame. */
function framed() {
  try { return window.top !== window.self; } catch { return true; }
}

/** Whether logins here are embedded ones (the partitioned cookie). */
export const embedded = Boolean(minified) || framed();

let session = null;

/** The held session's header, for every API request and upload. */
export function embedHeaders() {
  return session ? { Authorization: "Bearer " + session } : {};
}

/** The login request's body, marked when the page is embedded. */
export function loginBody(body) {
  return embedded ? { ...body, embed: true } : body;
}

/** Keeps the session a login answered (only embedded logins carry one). */
export function loggedIn(answer) {
  if (answer && answer.session) session = answer.session;
}

/** Forgets the held session (logging out). */
export function forget() {
  session = null;
}

/** The conversation the URL names (`dialogID`), or why it names none: modes
 * 2 and 3 need one, mode 1 and the full inbox take it as optional. */
export function dialog() {
  const raw = params.get("dialogID");
  if (minified < 2) return { id: /^[0-9]{1,15}$/.test(raw || "") ? Number(raw) : null };
  if (!raw) return { error: "This view shows one conversation: its link needs dialogID=<conversation number>." };
  if (!/^[0-9]{1,15}$/.test(raw) || Number(raw) < 1) return { error: `“${raw}” is not a conversation number (dialogID).` };
  return { id: Number(raw) };
}

/** A link to the same view at the top level, in a new tab. */
function newTabLink(text) {
  const q = new URLSearchParams(params);
  q.delete("embed_token");
  const a = document.createElement("a");
  a.href = location.pathname + "?" + q;
  a.target = "_blank";
  a.rel = "noopener";
  a.textContent = text;
  return a;
}

/** Says something in the frame, above everything (`kind`: its element id;
 * `after`: more words after the link). */
function say(kind, text, link, after) {
  let box = document.getElementById(kind);
  if (!box) {
    box = document.createElement("p");
    box.id = kind;
    box.className = "embed-note";
    box.setAttribute("role", kind === "embed-problem" ? "alert" : "status");
    document.body.prepend(box);
  }
  box.replaceChildren(text);
  if (link) box.append(" ", newTabLink(link));
  if (after) box.append(" " + after);
  if (kind !== "embed-problem") {
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "×";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", () => box.remove());
    box.append(" ", close);
  }
  return box;
}

/** A problem that stops the embedded view (a bad link, a conversation not found). */
export function problem(text) {
  document.body.classList.add("embed-failed");
  return say("embed-problem", text);
}

/** Before the inbox starts: spends the URL's embed token (single use, so it
 * leaves the address bar at once) and tells when storage is blocked. */
export async function startEmbed() {
  if (embedded && storageBlocked) {
    say("embed-storage", "This browser blocks storage in embedded pages: open the inbox in a new tab.", "Open the inbox in a new tab",
      "(It works here too, but keeps no preferences.)");
  }
  const token = params.get("embed_token");
  if (!token) return;
  const q = new URLSearchParams(params);
  q.delete("embed_token");
  const rest = String(q);
  history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  try {
    const res = await fetch("/api/v1/auth/embed", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin", body: JSON.stringify({ token }),
    });
    const answer = await res.json().catch(() => null);
    if (!res.ok) throw new Error((answer && answer.error && answer.error.message) || "HTTP " + res.status);
    loggedIn(answer);
  } catch {
    say("embed-login", "This embed link has expired or was already used: reload the page that shows it, or log in.");
  }
}

/** Opens the URL's conversation in the embed modes, or says why it cannot:
 * a missing or bad `dialogID`, or one this agent cannot see. */
export async function openDialog(open) {
  const d = dialog();
  if (d.error) return problem(d.error);
  if (!d.id) return;
  try {
    await open(d.id);
  } catch (e) {
    if (e.status === 401) throw e;
    problem(e.status === 404 || e.status === 403
      ? `Conversation ${d.id} was not found, or you cannot see it.`
      : `Conversation ${d.id} could not be opened: ${e.message}`);
  }
}
