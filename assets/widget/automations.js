// Automations in the widget: the server sends those whose server-side
// conditions hold (GET /widget/automations); this checks the client-side
// ones once a second against the host page (URL, referrer, scroll, time on
// the page, returning visitor) and acts: a pop-up shown once, a design
// applied, or a chat message the server posts from the bot (once per
// visitor). Everything shown is text.

/** Does `text` match `value` (a comma-separated list) by `criterion`? */
function matches(criterion, value, text) {
  const t = String(text || "").toLowerCase();
  const vals = String(value).split(",").map((v) => v.trim().toLowerCase()).filter(Boolean);
  const has = vals.some((v) => t.includes(v));
  const exact = vals.some((v) => t === v);
  switch (criterion) {
    case "does-not-contain": return !has;
    case "is-exactly": return exact;
    case "is-not": return !exact;
    default: return has; // contains
  }
}

/** One client-side condition, `[name, criterion, value]` or `[name, value]`. */
export function holds(cond, page, visits, now = Date.now()) {
  const [name, a, b] = cond;
  const criterion = b === undefined ? "" : String(a);
  const value = String(b === undefined ? a : b);
  switch (name) {
    case "include_urls": return matches(criterion, value, page.url);
    case "exclude_urls": return !matches(criterion, value, page.url);
    case "website": return matches("contains", value, page.url);
    case "referring": return matches(criterion, value, page.referrer);
    case "browsing_time": return (now - page.since) / 1000 >= Number(value);
    case "scroll_position": return page.scroll >= Number(value);
    case "returning_visitor": return /first|new/.test(criterion + value) ? visits <= 1 : visits > 1;
    // custom_variable reads the host page's variables, which this frame cannot see.
    default: return false;
  }
}

/**
 * `api` calls /api/v1; `page()` is the host page ({url, referrer, scroll,
 * since}); `store` keeps what was shown; `lang()`; `ensureVisitor()`;
 * `popup(a)` shows a pop-up; `design(a)` applies one; `report(e)` logs.
 */
export function setupAutomations({ api, page, store, lang, ensureVisitor, popup, design, report }) {
  let pending = [];
  let timer = 0;
  const visits = Number(store.get("visits") || 0) + 1;
  store.set("visits", visits);
  let shown = [];
  try { shown = JSON.parse(store.get("popups") || "[]"); } catch { shown = []; }

  const act = async (a) => {
    if (a.type === "design") return design(a);
    if (a.type === "popups") {
      if (shown.includes(a.id)) return;
      shown.push(a.id);
      store.set("popups", JSON.stringify(shown.slice(-100)));
      return popup(a);
    }
    if (a.type === "messages") {
      await ensureVisitor();
      await api("POST", "/widget/automations/run", { id: a.id });
    }
  };

  const tick = async () => {
    const p = page();
    const due = pending.filter((a) => (a.conditions || []).every((c) => Array.isArray(c) && holds(c, p, visits)));
    if (!due.length) return;
    pending = pending.filter((a) => !due.includes(a));
    for (const a of due) {
      try { await act(a); } catch (e) { report(e); }
    }
  };

  return {
    /** (Re)loads the automations for this visitor or page. */
    async load() {
      try {
        const r = await api("GET", `/widget/automations?language=${encodeURIComponent(lang())}`);
        pending = r.automations || [];
      } catch (e) { report(e); pending = []; }
      clearInterval(timer);
      if (pending.length) { timer = setInterval(tick, 1000); tick(); }
    },
  };
}
