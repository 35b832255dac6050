// ChatShipper's participants in the inbox: the thread's participants panel
// (each staff member with their flags; Accept / Leave for the agent reading
// when they are invited or take part) and the conversations assigned to the
// agent that they have not accepted yet, which "Mine" lists as "Invited".
// Names are inserted as text only.

import { el } from "./dom.js";

const FLAG_WORDS = { inbox: "invited", active: "active", accepted: "accepted", left: "left" };

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
 * Draws conversation `conv`'s staff participants (`participants`: the REST
 * rows, user fields plus `flags`) and my Accept / Leave buttons.
 * `ctx`: { api, me, conv, refresh } — `refresh()` redraws after a command.
 */
export function renderParticipants(participants, ctx) {
  const box = panel();
  const staff = (participants || []).filter((p) => p.id !== ctx.conv.user_id && !flagsOf(p).includes("owner"));
  box.replaceChildren(el("h4", { text: "Participants" }));
  const ul = el("ul", { class: "participant-list" });
  for (const p of staff) {
    const words = flagsOf(p).map((f) => FLAG_WORDS[f]).filter(Boolean);
    const li = el("li", { "data-user": String(p.id) }, el("span", { class: "participant-name", text: p.name || p.email || "#" + p.id }));
    for (const w of words) li.append(" ", el("span", { class: "flag flag-" + w, text: w }));
    ul.append(li);
  }
  if (!staff.length) ul.append(el("li", { class: "muted", text: "Nobody yet" }));
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
