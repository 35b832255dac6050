// The agent's own profile (PATCH /api/v1/me): display name, a picture
// uploaded like any attachment, or initials on a colour they pick. It only
// ever edits the signed-in agent; admins manage others under Settings.

import { el } from "./dom.js";
import { avatarNode } from "../shared/avatar.js";
import { pushSwitch } from "./push.js";

const IMAGE_TYPES = "image/png,image/jpeg,image/gif,image/webp";

/** Wires the header's Profile button. `api(method, path, body)` is the
 * inbox's, `csrf()` its token, `me()` the current user, `saved(user)` is
 * called with the updated user. */
export function setupProfile({ button, api, csrf, me, saved }) {
  button.hidden = false;
  button.addEventListener("click", () => open({ api, csrf, me: me(), saved, button }));
}

/** Uploads a picture; its canonical link (the server signs it for readers). */
async function upload(file, csrf) {
  const res = await fetch("/api/v1/uploads?name=" + encodeURIComponent(file.name), {
    method: "POST", credentials: "same-origin", body: file,
    headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf() },
  });
  const up = await res.json();
  if (!res.ok) throw new Error(up.error ? up.error.message : "upload failed");
  return String(up.attachment.url).split("?")[0];
}

function open({ api, csrf, me, saved, button }) {
  // What the preview shows and Save sends: the avatar stays unless changed.
  const draft = { avatar: me.avatar || "", color: me.color || "#2e86de", changed: false };
  const first = el("input", { name: "first_name", required: true, maxlength: 100, value: me.first_name || "" });
  const last = el("input", { name: "last_name", maxlength: 100, value: me.last_name || "" });
  const color = el("input", { type: "color", name: "color", value: draft.color });
  const file = el("input", { type: "file", accept: IMAGE_TYPES, "aria-label": "Upload a picture" });
  const remove = el("button", { type: "button", text: "Remove picture" });
  const preview = el("span", { class: "profile-preview", "aria-hidden": "true" });
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const draw = () => {
    const name = [first.value, last.value].join(" ").trim();
    preview.replaceChildren(avatarNode({ name, avatar: draft.avatar, color: color.value }, "avatar profile-avatar"));
    remove.hidden = !draft.avatar;
  };
  const fail = (e) => { error.textContent = e.message; error.hidden = false; };
  file.addEventListener("change", async () => {
    const f = file.files[0];
    file.value = "";
    if (!f) return;
    try { draft.avatar = await upload(f, csrf); draft.changed = true; draw(); } catch (e) { fail(e); }
  });
  remove.addEventListener("click", () => { draft.avatar = ""; draft.changed = true; draw(); });
  for (const i of [first, last, color]) i.addEventListener("input", draw);

  const form = el("form", { method: "dialog", class: "profile-form" },
    el("h2", { text: "Your profile" }), preview,
    el("label", {}, el("span", { text: "First name" }), first),
    el("label", {}, el("span", { text: "Last name" }), last),
    el("label", {}, el("span", { text: "Picture" }), file), remove,
    el("label", {}, el("span", { text: "Colour (without a picture)" }), color),
    pushSwitch({ api, me }),
    error,
    el("div", { class: "profile-buttons" },
      el("button", { type: "submit", class: "primary", text: "Save" }),
      el("button", { type: "button", value: "cancel", text: "Cancel", onclick: () => dialog.close() })));
  const dialog = el("dialog", { class: "profile", "aria-label": "Your profile" }, form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { first_name: first.value, last_name: last.value };
    // The colour only once picked: until then it stays the one derived from the id.
    if (color.value !== draft.color) body.color = color.value;
    if (draft.changed) body.avatar = draft.avatar;
    try {
      const r = await api("PATCH", "/me", body);
      saved(r.user);
      dialog.close();
    } catch (err) { fail(err); }
  });
  dialog.addEventListener("close", () => { dialog.remove(); button.focus(); });
  document.body.append(dialog);
  draw();
  dialog.showModal();
  first.focus();
}
