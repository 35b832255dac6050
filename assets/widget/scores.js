// Quality scores in the widget (Chat2Desk): when an agent archives the
// conversation and scores are enabled, the server sends
// `conversation.score_asked` {scale, question}; the widget shows the scale
// as buttons at the end of the thread. A click posts the score (once);
// the card then thanks the visitor. On reload the card comes back from
// `GET /widget/conversations/{id}/score` while the score is still due.
// All text is set with textContent.

const THANKS = { en: "Thank you for your score", fr: "Merci pour votre note", ar: "شكرًا على تقييمك" };

function thanks(ctx, score, scale) {
  const lang = (ctx.lang && ctx.lang()) || "en";
  return `${THANKS[lang] || THANKS.en}: ${score}/${scale}`;
}

/** The card of conversation `id` (made once, kept last in the thread). */
function card(ctx, id) {
  const list = ctx.list();
  let li = list.querySelector(`.score-card[data-conversation="${Number(id)}"]`);
  if (!li) {
    li = document.createElement("li");
    li.className = "score-card";
    li.setAttribute("role", "group");
    li.dataset.conversation = id;
  }
  list.append(li);
  return li;
}

function showThanks(ctx, id, score, scale) {
  const li = card(ctx, id);
  const p = document.createElement("p");
  p.className = "score-thanks";
  p.textContent = thanks(ctx, score, scale);
  li.replaceChildren(p);
  ctx.scrollDown();
}

/** The question and one button per score (in place of the thumbs
 * rating, so the visitor is asked one thing). */
function showScale(ctx, id, scale, question) {
  const thumbs = document.getElementById("rating");
  if (thumbs) thumbs.hidden = true;
  const li = card(ctx, id);
  const q = document.createElement("p");
  q.className = "score-question";
  q.textContent = question;
  const row = document.createElement("div");
  row.className = "score-buttons";
  for (let n = 1; n <= scale; n++) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "score-button";
    b.textContent = String(n);
    b.setAttribute("aria-label", `${n} / ${scale}`);
    b.addEventListener("click", async () => {
      for (const o of row.querySelectorAll("button")) o.disabled = true;
      try {
        const r = await ctx.api("POST", `/widget/conversations/${id}/score`, { score: n });
        showThanks(ctx, id, r.score.score, r.score.scale);
      } catch (e) {
        // Scored meanwhile (another tab): the server's answer stands.
        if (e.status === 409) return loadScore(ctx);
        for (const o of row.querySelectorAll("button")) o.disabled = false;
      }
    });
    row.append(b);
  }
  q.id = `score-q-${Number(id)}`;
  row.setAttribute("aria-labelledby", q.id);
  li.replaceChildren(q, row);
  ctx.scrollDown();
}

/** The frame's event hook. */
export function scoreEvent(e, ctx) {
  const id = ctx.conversation();
  if (!id || e.conversation_id !== id) return;
  const d = e.data || {};
  if (e.kind === "conversation.score_asked") showScale(ctx, id, Number(d.scale) || 5, d.question || "");
  if (e.kind === "conversation.scored") showThanks(ctx, id, d.score, d.scale);
}

/** After the thread loads: the card, when the score is asked and due. */
export async function loadScore(ctx) {
  const id = ctx.conversation();
  if (!id) return;
  const r = await ctx.api("GET", `/widget/conversations/${id}/score`);
  const s = r.score;
  if (!s || id !== ctx.conversation()) return;
  if (s.score == null) showScale(ctx, id, s.scale, r.question || "");
  else showThanks(ctx, id, s.score, s.scale);
}
