// The queue of messages not yet accepted by the server, shared by the widget
// and the inbox. Each message has an id of its own (`client_id`), so a retry
// of one that did arrive (the answer got lost) gets the same message back,
// never a second one.

function clientId() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Whether an error is worth waiting out (the network, an overloaded or
 * restarting server) rather than showing the message as not sent. API
 * errors carry an HTTP `status`; network errors do not. */
function transient(err) {
  return err.status === undefined || err.status === 408 || err.status === 429 || err.status >= 500;
}

/**
 * Sends queued messages in order, one at a time. `send(q)` posts one (with
 * `q.client_id`) and shows the result; `draw(q)` shows it as sending or,
 * once `q.failed`, as not sent with a retry; `report(err)` logs a failure.
 * A dead connection is waited out (again when the browser is back online,
 * or after a back-off); five refusals in a row, or any other error, mark
 * the message failed until `retry(q)`.
 */
export function createOutbox({ send, draw, report = () => {} }) {
  /** Oldest first. A message seen arriving by the event stream is `sent`. */
  const items = [];
  let flushing = false;
  let timer = 0;

  async function flush() {
    if (flushing) return;
    flushing = true;
    clearTimeout(timer);
    try {
      for (;;) {
        const q = items.find((x) => !x.failed);
        if (!q) break;
        if (q.sent) { items.splice(items.indexOf(q), 1); continue; }
        try {
          await send(q);
          items.splice(items.indexOf(q), 1);
        } catch (err) {
          report(err);
          if (q.sent) continue;
          q.tries += 1;
          if (transient(err) && (err.status === undefined || q.tries < 5)) {
            timer = setTimeout(flush, Math.min(1000 * 2 ** q.tries, 30000));
            break;
          }
          q.failed = true;
          q.error = err.status === undefined ? "" : err.message;
          draw(q);
        }
      }
    } finally {
      flushing = false;
    }
  }

  /** Queues a message; `fields` are kept on the entry (`message`, ...). */
  function add(fields) {
    const q = { client_id: clientId(), failed: false, sent: false, error: "", tries: 0, li: null, ...fields };
    items.push(q);
    draw(q);
    flush();
  }

  function retry(q) {
    q.failed = false;
    q.error = "";
    q.tries = 0;
    draw(q);
    flush();
  }

  window.addEventListener("online", () => { for (const q of items) q.tries = 0; flush(); });
  return { items, add, retry };
}
