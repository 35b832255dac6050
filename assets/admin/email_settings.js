// Settings → Email: the SMTP server (sending) and the IMAP mailbox
// (receiving), each with its check button, who gets notifications (per
// agent), the notification templates, and
// the email delivery log. Passwords are write-only: the API never returns
// them, so the field stays empty and an empty field keeps the stored one.

import { el, field, form, flash } from "./dom.js";

const SECURITY = ["starttls", "tls", "none"];

function serverFields(s, extra) {
  const security = el("select", { name: "security" }, ...SECURITY.map((v) => el("option", { value: v, text: v, selected: (s.security || "starttls") === v })));
  return [
    field("Host", el("input", { name: "host", required: true, value: s.host || "" })),
    field("Port", el("input", { name: "port", type: "number", min: 1, max: 65535, value: s.port ?? "" })),
    field("Security", security),
    field("Username", el("input", { name: "username", autocomplete: "off", value: s.username || "" })),
    field("Password", el("input", { name: "password", type: "password", autocomplete: "new-password",
      placeholder: s.password_set ? "(saved; leave empty to keep it)" : "" })),
    ...extra,
  ];
}

function serverValue(f, keys) {
  const v = { host: f.host.value.trim(), port: f.port.value ? Number(f.port.value) : null, security: f.security.value, username: f.username.value };
  if (f.password.value) v.password = f.password.value;
  for (const k of keys) v[k] = f[k].type === "number" ? (f[k].value ? Number(f[k].value) : null) : f[k].value.trim();
  return v;
}

/** The server's answer to a check, shown as text under its button. */
function answer() { return el("pre", { class: "hint email-answer", "aria-live": "polite" }); }

export async function emailSettings(box, api, rerender) {
  const s = (await api("GET", "/settings")).settings;
  const smtp = s["email.smtp"] || {};
  const imap = s["email.imap"] || {};

  const testAnswer = answer();
  const testTo = el("input", { type: "email", "aria-label": "Test recipient", placeholder: "you@example.com" });
  const test = el("button", { type: "button", text: "Send a test email", onclick: async () => {
    testAnswer.textContent = "Sending…";
    try {
      const r = await api("POST", "/email/test", { to: testTo.value.trim() });
      testAnswer.textContent = `${r.sent ? "Sent" : "Not sent"}: ${r.reply}`;
    } catch (err) { testAnswer.textContent = err.message; }
  } });
  box.append(el("h3", { text: "Sending (SMTP)" }), form(async (f) => {
    await api("PUT", "/settings", { "email.smtp": serverValue(f, ["from_address", "from_name"]) });
    flash("SMTP settings saved.");
    rerender();
  }, ...serverFields(smtp, [
    field("From address", el("input", { name: "from_address", type: "email", required: true, value: smtp.from_address || "" })),
    field("From name", el("input", { name: "from_name", value: smtp.from_name || "" })),
  ])), el("div", { class: "rows" }, testTo, test), testAnswer);

  const checkAnswer = answer();
  const check = el("button", { type: "button", text: "Check the mailbox now", onclick: async () => {
    checkAnswer.textContent = "Checking…";
    try {
      const r = await api("POST", "/email/check", {});
      checkAnswer.textContent = [r.reply ?? r.server ?? "", r.imported != null ? `${r.imported} imported` : ""].filter(Boolean).join(" — ") || JSON.stringify(r);
    } catch (err) { checkAnswer.textContent = err.message; }
  } });
  box.append(el("h3", { text: "Receiving (IMAP)" }), form(async (f) => {
    await api("PUT", "/settings", { "email.imap": serverValue(f, ["mailbox", "poll_seconds"]) });
    flash("IMAP settings saved.");
    rerender();
  }, ...serverFields(imap, [
    field("Mailbox", el("input", { name: "mailbox", value: imap.mailbox || "INBOX" })),
    field("Check every (seconds)", el("input", { name: "poll_seconds", type: "number", min: 10, max: 86400, value: imap.poll_seconds ?? 60 })),
  ])), check, checkAnswer);

  const n = s["email.notifications"] || {};
  const off = new Set(n.agents_off || []);
  const [agents, admins] = await Promise.all([api("GET", "/users?type=agent&limit=200"), api("GET", "/users?type=admin&limit=200")]);
  const staff = [...admins.users, ...agents.users];
  const tick = (name, on, label) => el("label", { class: "check" }, el("input", { type: "checkbox", name, checked: on }), el("span", { text: label }));
  box.append(el("h3", { text: "Notifications" }),
    el("p", { class: "hint", text: "Contacts who left the site get agents' replies by email; agents who are not online get new conversations and those assigned to them." }),
    form(async (f) => {
      const agentsOff = staff.filter((u) => !f[`agent_${u.id}`].checked).map((u) => u.id);
      await api("PUT", "/settings", { "email.notifications": {
        contacts: f.contacts.checked, agents: f.agents.checked, agents_off: agentsOff,
        every_minutes: f.every_minutes.value ? Number(f.every_minutes.value) : 10,
      } });
      flash("Notifications saved.");
    },
    tick("contacts", n.contacts !== false, "Email contacts who left the site"),
    tick("agents", n.agents !== false, "Email agents who are not online"),
    field("At most one per conversation every (minutes)", el("input", { name: "every_minutes", type: "number", min: 0, max: 10080, value: n.every_minutes ?? 10 })),
    ...staff.map((u) => tick(`agent_${u.id}`, !off.has(u.id), `${u.name}${u.email ? ` <${u.email}>` : ""}`))));

  const templates = s["email.templates"] || {};
  const t = (who, k) => templates.default?.[who]?.[k] || "";
  box.append(el("h3", { text: "Notification templates" }),
    el("p", { class: "hint", text: "Placeholders: {user_name}, {recipient_name}, {sender_name}, {agent_name}, {message}, {conversation_url}, {conversation_id}. Empty fields use the built-in text." }),
    form(async (f) => {
      const next = { ...templates, default: {
        user: { subject: f.user_subject.value, body: f.user_body.value },
        agent: { subject: f.agent_subject.value, body: f.agent_body.value },
      } };
      await api("PUT", "/settings", { "email.templates": next });
      flash("Templates saved.");
    },
    field("To contacts: subject", el("input", { name: "user_subject", value: t("user", "subject") })),
    field("To contacts: body", el("textarea", { name: "user_body", rows: 4, text: t("user", "body") })),
    field("To agents: subject", el("input", { name: "agent_subject", value: t("agent", "subject") })),
    field("To agents: body", el("textarea", { name: "agent_body", rows: 4, text: t("agent", "body") }))));

  const log = (await api("GET", "/email/deliveries?limit=50")).deliveries;
  const table = el("table", {}, el("tr", {}, ...["Queued", "To", "Subject", "State", "Server's reply", ""].map((h) => el("th", { text: h }))));
  for (const d of log) {
    // A failed email (5xx, or the retry window ran out) can be sent again, as a webhook delivery can.
    const replay = d.state === "dead"
      ? el("button", { type: "button", text: "Send again", onclick: async () => { await api("POST", `/deliveries/${d.id}/replay`); flash("Queued again."); } })
      : "";
    table.append(el("tr", {}, el("td", { text: d.created_at }), el("td", { text: (d.to || []).join(", ") }), el("td", { text: d.subject || "" }),
      el("td", { text: `${d.state} (${d.attempts})` }), el("td", { text: d.reply || d.last_error || "" }), el("td", {}, replay)));
  }
  box.append(el("h3", { text: "Sent email" }), table);

  // What came in: imported (with its conversation), ignored (auto-replies,
  // bounces, duplicates) or kept as .eml because it could not be read.
  const inbound = (await api("GET", "/email/inbound?limit=50")).inbound;
  const got = el("table", { class: "inbound-log" }, el("tr", {}, ...["Received", "Via", "From", "Subject", "Outcome", ""].map((h) => el("th", { text: h }))));
  for (const m of inbound) {
    const what = m.conversation_id
      ? el("a", { href: `/admin/chat?dialogID=${m.conversation_id}`, text: `#${m.conversation_id}` })
      : m.raw_path
        ? el("a", { href: `/api/v1/email/inbound/${m.id}/raw`, download: `inbound-${m.id}.eml`, text: "Download .eml" })
        : "";
    got.append(el("tr", {}, el("td", { text: m.created_at }), el("td", { text: m.via }), el("td", { text: m.sender || "" }),
      el("td", { text: m.subject || "" }), el("td", { text: m.reason ? `${m.outcome}: ${m.reason}` : m.outcome }), el("td", {}, what)));
  }
  box.append(el("h3", { text: "Received email" }), got);
}
