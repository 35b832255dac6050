// Web Push for the signed-in agent: the service worker (sw.js, scope
// /admin/) is registered when the inbox starts, and the Profile dialog's
// switch turns notifications on or off for this browser: on asks
// permission, subscribes with the install's VAPID key and registers the
// device with the server; off removes it there and unsubscribes here.
// Which agent turned it on is remembered per browser, so a shared browser
// shows it on only for them.

import { el } from "./dom.js";
import { store } from "./storage.js";

const SW = "/admin/sw.js";
const SCOPE = "/admin/";
const OWNER = "frontporch.push.owner";

/** Why this browser cannot receive push, or "" when it can. */
export function unsupported() {
  if (!window.isSecureContext) return "Push notifications need the inbox on HTTPS.";
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return "This browser cannot receive push notifications.";
  }
  return "";
}

/** Registers the service worker, and follows its "open this conversation"
 * messages (a notification clicked while this tab is open). */
let started = false;
export function setupPush() {
  if (unsupported() || started) return;
  started = true;
  navigator.serviceWorker.register(SW, { scope: SCOPE }).catch((e) => console.warn("service worker:", e));
  navigator.serviceWorker.addEventListener("message", (e) => {
    const id = e.data && e.data.type === "open-conversation" ? Number(e.data.id) : 0;
    if (!(id > 0)) return;
    const hash = "#conversation=" + id;
    if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = hash;
  });
}

function keyBytes(b64url) {
  const s = atob(b64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function sameKey(sub, key) {
  const k = sub.options && sub.options.applicationServerKey;
  if (!k) return false;
  const a = new Uint8Array(k);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

/** The registration with its worker active (subscribing needs one). Not
 * `navigator.serviceWorker.ready`: the inbox at /admin is outside the
 * scope, so that promise would never settle. */
async function registration() {
  const reg = (await navigator.serviceWorker.getRegistration(SCOPE)) || await navigator.serviceWorker.register(SW, { scope: SCOPE });
  const starting = reg.installing || reg.waiting;
  if (reg.active || !starting) return reg;
  await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error("The service worker did not start; reload the page and try again.")), 15000);
    starting.addEventListener("statechange", () => { if (starting.state === "activated") { clearTimeout(t); ok(); } });
  });
  return reg;
}

/** On: permission, a subscription made with our key, registered with the server. */
async function turnOn(api, me) {
  const { public_key: publicKey, enabled } = await api("GET", "/push/key");
  if (!enabled) throw new Error("Push notifications are turned off for this install (setting push.enabled).");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    throw new Error("Notifications are blocked for this site. Allow them in the browser's site settings, then turn this on again.");
  }
  const reg = await registration();
  const key = keyBytes(publicKey);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, key)) { await sub.unsubscribe(); sub = null; }
  try {
    sub = sub || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (e) {
    throw new Error("The browser refused to subscribe (" + (e.message || e.name) + ").");
  }
  await api("POST", "/push/subscriptions", sub.toJSON());
  store.set(OWNER, String(me.id));
}

/** Off: the server forgets this device (found by registering it again,
 * which answers its id), then the browser drops the subscription. */
async function turnOff(api) {
  const reg = await navigator.serviceWorker.getRegistration(SCOPE);
  const sub = reg && await reg.pushManager.getSubscription();
  if (sub) {
    const r = await api("POST", "/push/subscriptions", sub.toJSON());
    await api("DELETE", "/push/subscriptions/" + r.subscription.id);
    await sub.unsubscribe();
  }
  store.remove(OWNER);
}

/** Signing out: this browser stops getting `me`'s notifications (a
 * shared browser must not show the next person a customer's words). */
export async function forgetDevice(api, me) {
  if (unsupported() || !me || store.get(OWNER) !== String(me.id)) return;
  await turnOff(api);
}

/** Whether this browser pushes to `me` now. */
async function isOn(me) {
  if (Notification.permission !== "granted" || store.get(OWNER) !== String(me.id)) return false;
  const reg = await navigator.serviceWorker.getRegistration(SCOPE);
  return Boolean(reg && await reg.pushManager.getSubscription());
}

/** The Profile dialog's switch for this browser. */
export function pushSwitch({ api, me }) {
  const box = el("input", { type: "checkbox", name: "push" });
  const note = el("p", { class: "push-note", role: "status" });
  const say = (text, error) => { note.textContent = text; note.className = error ? "push-note error" : "push-note"; };
  const label = el("label", { class: "push-switch" }, box,
    el("span", { text: "Push notifications on this device (new messages and assignments while the inbox is closed)" }));
  const why = unsupported();
  if (why) {
    box.disabled = true;
    say(why, true);
  } else {
    box.disabled = true;
    isOn(me).then((on) => { box.checked = on; box.disabled = false; }).catch(() => { box.disabled = false; });
    box.addEventListener("change", async () => {
      box.disabled = true;
      const want = box.checked;
      try {
        if (want) { await turnOn(api, me); say("On: this device will be notified."); } else { await turnOff(api); say("Off for this device."); }
      } catch (e) {
        box.checked = !want;
        say(e.message, true);
      }
      box.disabled = false;
    });
  }
  return el("div", { class: "push-setting" }, label, note);
}
