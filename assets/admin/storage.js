// Browser storage for the inbox, guarded in one place: in a third-party
// frame (the embedded inbox) Chromium may block it, and then merely
// reading `localStorage` throws. Every use in assets/admin goes through
// here; without storage, values live in memory for this page only.

function probe() {
  try {
    const s = window.localStorage;
    s.setItem("frontporch.probe", "1");
    s.removeItem("frontporch.probe");
    return s;
  } catch {
    return null;
  }
}

const local = probe();
const memory = new Map();

/** Whether the browser refuses this page its storage. */
export const storageBlocked = !local;

export const store = {
  get(key) {
    try { if (local) return local.getItem(key); } catch { /* blocked since */ }
    return memory.has(key) ? memory.get(key) : null;
  },
  set(key, value) {
    memory.set(key, String(value));
    try { local?.setItem(key, String(value)); } catch { /* kept in memory */ }
  },
  remove(key) {
    memory.delete(key);
    try { local?.removeItem(key); } catch { /* kept in memory */ }
  },
};
