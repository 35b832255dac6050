// Settings screens for the knowledge base (articles, translations,
// categories) and the reports. Every value shown comes from the API and is
// inserted as text.

import { el, field, form, flash } from "./dom.js";

/** Saves the whole knowledge base: default-language articles + translations. */
async function saveAll(api, all) {
  const articles = [];
  const translations = {};
  for (const a of all) {
    const item = { id: a.id, title: a.title, content: a.content, link: a.link, categories: a.categories };
    if (a.language) (translations[a.language] ||= []).push(item);
    else articles.push(item);
  }
  await api("PUT", "/articles", { articles, translations });
}

export async function knowledgeBase(box, api, again) {
  const [r, c] = await Promise.all([api("GET", "/articles?language=all"), api("GET", "/article-categories")]);
  const all = r.articles;
  const cats = c.categories;
  const catName = (id) => (cats.find((x) => x.id === id) || { title: id }).title;

  const editor = el("div");
  const edit = (article) => {
    const a = article || { id: "", language: "", title: "", content: "", link: "", categories: [] };
    const boxes = cats.map((x) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "category", value: x.id, checked: a.categories.includes(x.id) }), el("span", { text: x.title })));
    const of = el("select", { name: "of" }, el("option", { value: "", text: "— a new article —" }),
      ...all.filter((x) => !x.language).map((x) => el("option", { value: x.id, text: x.title })));
    of.value = a.id;
    editor.replaceChildren(el("h3", { text: article ? "Edit the article" : "Add an article or a translation" }), form(async (f) => {
      const item = {
        id: f.of.value, language: f.language.value.trim().toLowerCase(), title: f.title.value, content: f.content.value,
        link: f.link.value.trim(), categories: [...f.querySelectorAll("input[name=category]:checked")].map((i) => i.value),
      };
      if (item.language && !item.id) throw new Error("A translation belongs to an existing article: pick it first.");
      const at = item.id ? all.findIndex((x) => x.id === item.id && x.language === item.language) : -1;
      if (at >= 0) all[at] = item; else all.push(item);
      await saveAll(api, all);
      flash("Knowledge base saved.");
      again();
    },
    field("Article (for a translation, the one it translates)", of),
    field("Language (empty = the default; e.g. fr for a French translation)", el("input", { name: "language", value: a.language, maxlength: 10 })),
    field("Title", el("input", { name: "title", required: true, value: a.title, maxlength: 300 })),
    field("Content", el("textarea", { name: "content", rows: 8, text: a.content })),
    field("Link (optional)", el("input", { name: "link", type: "url", value: a.link })),
    cats.length ? el("fieldset", { class: "checks" }, el("legend", { text: "Categories" }), ...boxes) : null));
  };

  const list = el("ul", { class: "rows", "aria-label": "Articles" });
  for (const a of all) {
    const label = `${a.title}${a.language ? " [" + a.language + "]" : ""}${a.categories.length ? " · " + a.categories.map(catName).join(", ") : ""}`;
    list.append(el("li", { "data-id": a.id }, el("span", { text: label }),
      el("button", { type: "button", text: "Edit", onclick: () => edit(a) }),
      el("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
        const what = a.language ? `the ${a.language} translation of “${a.title}”` : `“${a.title}” and its translations`;
        if (!confirm(`Delete ${what}?`)) return;
        await saveAll(api, all.filter((x) => a.language ? x !== a : x.id !== a.id));
        again();
      } })));
  }
  edit(null);

  const catList = el("ul", { class: "rows", "aria-label": "Categories" });
  for (const x of cats) {
    catList.append(el("li", {}, el("span", { text: x.title }), el("code", { text: x.id }),
      el("button", { type: "button", class: "danger", text: "Remove", onclick: async () => {
        await api("PUT", "/article-categories", { categories: cats.filter((y) => y !== x) });
        again();
      } })));
  }
  box.append(el("p", { class: "hint", text: "Articles answer common questions; integrations read and search them through the API (GET /api/v1/articles, Support Board's get-articles)." }),
    list, editor, el("h3", { text: "Categories" }), catList,
    form(async (f) => {
      await api("PUT", "/article-categories", { categories: [...cats, { id: "", title: f.cat.value }] });
      again();
    }, field("New category", el("input", { name: "cat", required: true, maxlength: 200 }))));
}

const REPORTS = [
  "conversations", "missed-conversations", "conversations-time", "visitors", "leads", "users", "registrations",
  "agents-response-time", "agents-conversations", "agents-conversations-time", "agents-ratings",
  "countries", "languages", "browsers", "os", "subscribe", "follow-up",
  "articles-searches", "articles-ratings", "articles-views-single", "articles-views",
  "message-automations", "email-automations", "sms-automations", "direct-messages", "direct-emails", "direct-sms",
  "scores", "scores-distribution",
];

function duration(seconds) {
  const m = Math.floor(seconds / 60);
  return m ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}

export async function reports(box, api) {
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const name = el("select", { name: "name" }, ...REPORTS.map((n) => el("option", { value: n, text: n })));
  const out = el("div", { class: "report" });
  const show = async (f) => {
    const q = new URLSearchParams({ name: f.name.value, date_start: f.start.value, date_end: f.end.value, timezone: zone });
    const r = (await api("GET", "/reports?" + q)).report;
    const rows = Object.entries(r.data);
    const max = Math.max(1, ...rows.map(([, v]) => v[0] || 0));
    const fmt = (v) => (r.label_type === 2 ? duration(v) : String(v));
    const table = el("table", {}, el("tr", {}, ...r.table.map((h) => el("th", { text: h })), el("th", { text: "" })));
    for (const [label, values] of rows) {
      const bar = el("span", { class: "bar" });
      bar.style.width = `${Math.round(((values[0] || 0) / max) * 100)}%`;
      table.append(el("tr", {}, el("td", { text: label }), el("td", { text: values.map(fmt).join(" / ") }), el("td", { class: "bar-cell" }, bar)));
    }
    out.replaceChildren(el("h3", { text: r.title }), el("p", { class: "hint", text: `${r.description} Days in ${zone}.` }),
      rows.length ? table : el("p", { text: "Nothing in this period." }));
  };
  const f = form(show, field("Report", name),
    field("From", el("input", { name: "start", type: "date", value: monthAgo, required: true })),
    field("To", el("input", { name: "end", type: "date", value: today, required: true })));
  f.querySelector("button[type=submit]").textContent = "Show";
  box.append(f, out);
  try { await show(f); } catch (err) { flash(err.message, true); }
}
