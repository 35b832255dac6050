// The help panel: the knowledge base's articles in the visitor's language,
// searched as they type, read in place and rated. Everything is shown as
// text; links open in a new tab without access to this frame.

const $ = (id) => document.getElementById(id);

/**
 * `api(method, path, body)` calls /api/v1; `lang()` is the widget's
 * language; `strings()` its current texts; `ensureVisitor()` starts a
 * visitor (ratings come from someone).
 */
export function setupHelp({ api, lang, strings, ensureVisitor, report, available = () => true }) {
  let all = [];
  let loaded = null;
  let current = null;
  let timer = 0;

  const show = (open) => {
    $("panel").classList.toggle("helping", open);
    $("help").hidden = !open;
    $("help-button").setAttribute("aria-expanded", String(open));
    if (open) { list(all); $("help-search").focus(); }
  };

  const list = (articles) => {
    $("help-article").hidden = true;
    $("help-list").hidden = false;
    const ul = $("help-results");
    ul.replaceChildren();
    for (const a of articles) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = a.title;
      b.addEventListener("click", () => open(a.id));
      const li = document.createElement("li");
      li.append(b);
      ul.append(li);
    }
    $("help-empty").hidden = articles.length > 0;
  };

  const open = async (id) => {
    try {
      const r = await api("GET", `/articles?id=${encodeURIComponent(id)}&language=${encodeURIComponent(lang())}`);
      current = r.article;
    } catch (e) { report(e); return; }
    $("help-list").hidden = true;
    $("help-article").hidden = false;
    $("help-title").textContent = current.title;
    $("help-content").textContent = current.content;
    const link = $("help-link");
    const safe = /^https?:\/\//i.test(current.link || "");
    link.hidden = !safe;
    if (safe) link.href = current.link; else link.removeAttribute("href");
    $("help-thanks").hidden = true;
    for (const b of document.querySelectorAll("#help-article .rate")) b.disabled = false;
  };

  // Results follow the typing; the words the visitor settles on (a pause)
  // are the search the reports count.
  let settled = 0;
  let recorded = "";
  const search = async (record) => {
    const q = $("help-search").value.trim();
    if (!q) { list(all); return; }
    if (record && q === recorded) return;
    if (record) recorded = q;
    try {
      const r = await api("GET", `/articles/search?q=${encodeURIComponent(q)}&language=${encodeURIComponent(lang())}&record=${record ? 1 : 0}`);
      list(r.articles);
    } catch (e) { report(e); }
  };

  $("help-button").addEventListener("click", () => show($("help").hidden));
  $("help-chat").addEventListener("click", () => show(false));
  $("help-back").addEventListener("click", () => list(all));
  $("help-search").addEventListener("input", () => {
    clearTimeout(timer); clearTimeout(settled);
    timer = setTimeout(() => search(false), 250);
    settled = setTimeout(() => search(true), 1500);
  });
  for (const b of document.querySelectorAll("#help-article .rate")) {
    b.addEventListener("click", async () => {
      if (!current) return;
      try {
        await ensureVisitor();
        await api("POST", "/articles/ratings", { article_id: current.id, helpful: b.dataset.helpful === "true" });
        for (const x of document.querySelectorAll("#help-article .rate")) x.disabled = true;
        $("help-thanks").hidden = false;
      } catch (e) { report(e); }
    });
  }

  return {
    /** Loads the articles; the help button shows only when there are some. */
    async load() {
      // Nothing to ask for until the config says there are articles.
      if (!available()) { $("help-button").hidden = true; return; }
      if (loaded === lang()) return;
      loaded = lang();
      try {
        all = (await api("GET", `/articles?language=${encodeURIComponent(loaded)}`)).articles;
      } catch (e) { report(e); all = []; loaded = null; }
      $("help-button").hidden = all.length === 0;
    },
    /** The texts that are attributes, after a language change. */
    translate() {
      const t = strings();
      $("help-button").setAttribute("aria-label", t.help);
      $("help-search").placeholder = t.searchArticles;
      $("help-search").setAttribute("aria-label", t.searchArticles);
    },
  };
}
