// The participants in the inbox: the thread's participants panel (every
// participant, contacts and staff, with their flags; Accept / Leave for the
// agent reading when they are invited or take part), the conversations
// assigned to the agent that they have not accepted yet, which "Mine" lists
// as "Invited", and the names of a conversation with several contacts (a
// TalkJS conversation's participants) for its list row. Names are inserted
// as text only.

import { el } from "./dom.js";
import { avatarNode } from "../shared/avatar.js";

const FLAG_WORDS = { owner: "owner", member: "member", inbox: "invited", active: "active", accepted: "accepted", left: "left" };
const CONTACT_TYPES = ["user", "lead", "visitor"];

/** Whether a message's sender is a contact (not staff or a bot). */
export const isContact = (sender) => Boolean(sender) && CONTACT_TYPES.includes(sender.type);

/** The user ids a conversation's row names: a TalkJS conversation's participants. */
export function memberIds(c) {
  const ids = c && c.extra && c.extra.talkjs && c.extra.talkjs.participants;
  return Array.isArray(ids) ? ids.filter(Number.isInteger).slice(0, 20) : [];
}

/** "Alice, Bob — subject" for a conversation with several participants
 * (`users`: id → user, loaded), else "". */
export function rowName(c, users) {
  const ids = memberIds(c);
  if (ids.length < 2) return "";
  const names = ids.map((id) => users.get(id)).filter(Boolean).map((u) => u.name || u.email).filter(Boolean);
  if (!names.length) return "";
  return names.join(", ") + (c.title ? " — " + c.title : "");
}

/** Conversation ids assigned to me and not accepted yet (`inbox` flag). */
let invited = new Set();

/** Loads my invitations (`GET /me/invitations`); answers their rows. */
export async function loadInvitations(api) {
  const r = await api("GET", "/me/invitations");
  invited = new Set(r.conversations.map((c) => c.id));
  return r.conversations;
}

export const isInvited = (id) => invited.has(id);

/** Marks a list row "Invited" when the conversation waits for my /accept. */
export function markInvited(li, id) {
  if (!invited.has(id)) return;
  li.classList.add("invited");
  li.lastChild.append(el("span", { class: "invited-badge", text: "Invited" }));
}

const flagsOf = (p) => String(p.flags || "").split(",").map((f) => f.trim()).filter(Boolean);

/** The panel, made once in the contact sidebar after the contact's details. */
function panel() {
  let box = document.getElementById("participants");
  if (!box) {
    box = el("section", { id: "participants", class: "participants", "aria-label": "Participants" });
    document.getElementById("contact-details").after(box);
  }
  return box;
}

/**
 * Draws conversation `conv`'s participants (`participants`: the REST
 * rows, user fields plus `flags`) and my Accept / Leave buttons.
 * `ctx`: { api, me, conv, refresh } — `refresh()` redraws after a command.
 */
export function renderParticipants(participants, ctx) {
  const box = panel();
  const everyone = participants || [];
  const staff = everyone.filter((p) => p.id !== ctx.conv.user_id && !flagsOf(p).includes("owner"));
  box.replaceChildren(el("h4", { text: "Participants" }));
  const ul = el("ul", { class: "participant-list" });
  for (const p of everyone) {
    const words = flagsOf(p).map((f) => FLAG_WORDS[f]).filter(Boolean);
    const name = p.name || p.email || "#" + p.id;
    const li = el("li", { "data-user": String(p.id) }, avatarNode({ ...p, name }, "avatar mini"), el("span", { class: "participant-name", text: name }));
    for (const w of words) li.append(" ", el("span", { class: "flag flag-" + w, text: w }));
    ul.append(li);
  }
  if (!everyone.length) ul.append(el("li", { class: "muted", text: "Nobody yet" }));
  box.append(ul);
  const mine = staff.find((p) => p.id === ctx.me.id);
  const flags = mine ? flagsOf(mine) : [];
  const live = !flags.includes("left");
  const actions = el("div", { class: "participant-actions" });
  if (live && (flags.includes("inbox") || (flags.includes("active") && !flags.includes("accepted")))) actions.append(button("Accept", "/accept", ctx));
  if (live && ["inbox", "active", "accepted"].some((f) => flags.includes(f))) actions.append(button("Leave", "/leave", ctx));
  if (actions.childNodes.length) box.append(actions);
}

function button(label, command, ctx) {
  return el("button", {
    type: "button", class: "participant-" + command.slice(1), text: label,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        await ctx.api("POST", `/conversations/${ctx.conv.id}/commands`, { text: command });
        await loadInvitations(ctx.api).catch(() => {});
      } catch (err) {
        panel().append(el("p", { class: "error", role: "alert", text: err.message }));
      } finally {
        e.target.disabled = false;
      }
      await ctx.refresh();
    },
  });
}
