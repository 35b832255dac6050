// The inbox's service worker (served at /admin/sw.js, scope /admin/): it
// shows the notifications the server pushes (RFC 8030; the browser has
// decrypted them) and, when one is clicked, brings an open inbox tab
// forward on that conversation or opens the inbox there. Notifications
// are text only: title and body are given to showNotification as strings.

const INBOX = "/admin";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** The notification a push carries; anything unreadable still shows. */
function read(event) {
  if (!event.data) return {};
  try { return event.data.json() || {}; } catch (_) { return { body: event.data.text() }; }
}

/** Only our own pictures or https ones; else the site's icon. */
function icon(value) {
  const v = typeof value === "string" ? value : "";
  return v.startsWith("https://") || (v.startsWith("/") && !v.startsWith("//")) ? v : "/favicon.ico";
}

self.addEventListener("push", (event) => {
  const n = read(event);
  const id = Number(n.conversation_id) > 0 ? Number(n.conversation_id) : null;
  const options = {
    body: String(n.body || "").slice(0, 500),
    icon: icon(n.icon),
    data: { conversation_id: id },
  };
  if (n.tag) options.tag = String(n.tag).slice(0, 100);
  event.waitUntil(self.registration.showNotification(String(n.title || "Frontporch").slice(0, 200), options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const id = (event.notification.data || {}).conversation_id || null;
  event.waitUntil((async () => {
    const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const inbox = tabs.find((t) => {
      const path = new URL(t.url).pathname;
      return path === INBOX || path.startsWith(INBOX + "/");
    });
    if (inbox) {
      await inbox.focus();
      // push.js in the tab opens it (the tab is outside the scope: no navigate()).
      if (id) inbox.postMessage({ type: "open-conversation", id });
      return;
    }
    await self.clients.openWindow(id ? INBOX + "#conversation=" + id : INBOX);
  })());
});
