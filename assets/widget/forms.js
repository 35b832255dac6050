// Form cards in the widget: an agent opened a form in the conversation (a
// message of type `form`); the visitor fills it in here. Labels, options
// and answers are put on the page as text, never as HTML.

const words = {
  en: { required: "required", submit: "Send", sent: "Sent", saving: "Sending…", missing: "Please fill in:", closed: "This form is closed.", failed: "Could not send the form:" },
  fr: { required: "obligatoire", submit: "Envoyer", sent: "Envoyé", saving: "Envoi…", missing: "Merci de remplir :", closed: "Ce formulaire est fermé.", failed: "Envoi du formulaire impossible :" },
  ar: { required: "مطلوب", submit: "إرسال", sent: "تم الإرسال", saving: "جارٍ الإرسال…", missing: "يرجى ملء:", closed: "هذا النموذج مغلق.", failed: "تعذّر إرسال النموذج:" },
};

/** Cards on the page by form id, and the forms' state as last read. */
const cards = new Map();
let known = null;

function w(ctx) { return words[ctx.lang()] || words.en; }

/** The forms open in the visitor's conversation (one read per page;
 * `again` reads anew, for a form opened since). */
function openForms(ctx, again) {
  if (!known || again) {
    known = ctx.api("GET", "/widget/conversations/" + ctx.conversation() + "/forms")
      .then((r) => new Map(r.forms.map((f) => [f.form.id, f])))
      .catch(() => { known = null; return null; });
  }
  return known;
}

function input(field, idBase) {
  const id = idBase + "-" + field.name;
  let el;
  switch (field.type) {
    case "textarea": el = document.createElement("textarea"); el.rows = 3; break;
    case "select": {
      el = document.createElement("select");
      const none = document.createElement("option");
      none.value = ""; none.textContent = "—";
      el.append(none);
      for (const o of field.options || []) {
        const opt = document.createElement("option");
        opt.value = o; opt.textContent = o;
        el.append(opt);
      }
      break;
    }
    default:
      el = document.createElement("input");
      el.type = { email: "email", number: "number", checkbox: "checkbox" }[field.type] || "text";
      if (field.type === "number") el.step = "any";
  }
  el.id = id;
  el.name = field.name;
  if (field.required) el.setAttribute("aria-required", "true");
  return el;
}

function setValue(el, v) {
  if (el.type === "checkbox") el.checked = v === true;
  else el.value = v == null ? "" : String(v);
}

function valueOf(el, field) {
  if (field.type === "checkbox") return el.checked;
  const v = el.value.trim();
  if (field.type === "number" && v !== "") return Number(v);
  return v === "" ? null : v;
}

/** Shows the card as sent: inputs locked, the button gone. */
function markSent(card, ctx) {
  card.form.classList.add("sent");
  for (const el of card.form.elements) el.disabled = true;
  card.button.hidden = true;
  card.status.className = "form-status done";
  card.status.textContent = w(ctx).sent;
}

function fill(card, state, ctx) {
  if (!state) return markSent(card, ctx);
  for (const f of card.fields) {
    const el = card.inputs.get(f.name);
    if (el && document.activeElement !== el && f.name in (state.answers || {})) setValue(el, state.answers[f.name]);
  }
  if (state.completed) markSent(card, ctx);
}

async function submit(card, ctx) {
  const t = w(ctx);
  const answers = {};
  const missing = [];
  for (const f of card.fields) {
    const v = valueOf(card.inputs.get(f.name), f);
    answers[f.name] = v;
    if (f.required && (v == null || v === false)) missing.push(f.label || f.name);
  }
  card.status.className = "form-status error-note";
  if (missing.length) { card.status.textContent = t.missing + " " + missing.join(", "); return; }
  card.button.disabled = true;
  card.status.className = "form-status";
  card.status.textContent = t.saving;
  try {
    const r = await ctx.api("PUT", "/widget/conversations/" + ctx.conversation() + "/forms/" + card.id, { answers });
    card.status.textContent = "";
    if (r.form.completed) markSent(card, ctx);
    else { card.status.className = "form-status error-note"; card.status.textContent = t.missing + " " + r.form.missing.join(", "); }
  } catch (e) {
    card.status.className = "form-status error-note";
    card.status.textContent = e.status === 404 ? t.closed : t.failed + " " + (e.message || "");
    if (e.status === 404) markSent(card, ctx);
  } finally {
    card.button.disabled = false;
  }
}

/** Draws the form of message `m` into its bubble. `ctx`: `{api, lang,
 * conversation}` from the frame. */
export function formCard(bubble, m, ctx) {
  const def = m.payload && m.payload.form;
  if (!def || !Array.isArray(def.fields) || m.deleted) return;
  const t = w(ctx);
  bubble.classList.add("form-bubble");
  const form = document.createElement("form");
  form.className = "form-card";
  form.noValidate = true;
  const title = document.createElement("div");
  title.className = "form-title";
  title.textContent = def.name || "";
  form.append(title);
  const inputs = new Map();
  const idBase = "fp-form-" + m.id;
  for (const f of def.fields) {
    const row = document.createElement("div");
    row.className = "form-row" + (f.type === "checkbox" ? " check" : "");
    const label = document.createElement("label");
    const el = input(f, idBase);
    label.htmlFor = el.id;
    label.textContent = f.label || f.name;
    if (f.required) {
      const star = document.createElement("span");
      star.className = "required";
      star.textContent = " *";
      star.title = t.required;
      star.setAttribute("aria-label", t.required);
      label.append(star);
    }
    if (f.type === "checkbox") row.append(el, label); else row.append(label, el);
    form.append(row);
    inputs.set(f.name, el);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = t.submit;
  const status = document.createElement("p");
  status.className = "form-status";
  status.setAttribute("role", "status");
  form.append(button, status);
  const card = { id: def.id, fields: def.fields, form, inputs, button, status };
  form.addEventListener("submit", (e) => { e.preventDefault(); submit(card, ctx); });
  bubble.replaceChildren(form);
  cards.set(def.id, card);
  openForms(ctx)
    .then((states) => (!states || states.has(def.id) ? states : openForms(ctx, true)))
    .then((states) => { if (states) fill(card, states.get(def.id), ctx); });
}

/** A `conversation.form` event: answers the agent filled, or completion. */
export function formEvent(d, ctx) {
  const card = cards.get(d.form_id);
  if (!card || !card.form.isConnected) return;
  fill(card, { answers: d.answers || {}, completed: !!d.completed }, ctx);
}

/** The conversation changed (new visitor, new conversation): read again. */
export function resetForms() { cards.clear(); known = null; }
