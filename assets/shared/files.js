// Files in the widget and the inbox: dropping or pasting them onto the
// thread, uploading with a progress bar (and a cancel button), the file
// card of a non-image attachment, and the image lightbox. Names are text
// (textContent, attributes), never HTML; nothing is rendered inline but
// raster images.

const IMAGE = /^image\/(png|jpeg|gif|webp)$/;

/** Whether an attachment may be shown as an image (never SVG). */
export function isImage(a) {
  return IMAGE.test((a && a.type) || "");
}

/** A size in human units: 512 B, 2.0 KB, 3.4 MB. */
export function humanSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return n + " B";
  const units = ["KB", "MB", "GB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return v.toFixed(1) + " " + units[i];
}

/** A short type for a card: the name's extension, else the MIME subtype. */
export function typeLabel(a) {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec((a && a.name) || "");
  if (ext) return ext[1].toUpperCase();
  const sub = String((a && a.type) || "").split("/")[1] || "";
  return sub.slice(0, 12).toUpperCase();
}

/** A page with a folded corner (an SVG: no emoji font is needed). */
function docIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "file-icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M6 2.5h8l5 5v14H6zM14 2.5v5h5M9 12.5h7M9 16h7");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.8");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}

/** Fills `link` (an <a> to the file) with a file card: name, size, type. */
export function fileCard(link, a, fallbackName) {
  link.classList.add("file-card");
  const icon = docIcon();
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = (a && a.name) || fallbackName || "file";
  const meta = document.createElement("span");
  meta.className = "file-meta";
  meta.textContent = [humanSize(a && a.size), typeLabel(a)].filter(Boolean).join(" · ");
  const text = document.createElement("span");
  text.className = "file-text";
  text.append(name, meta);
  link.replaceChildren(icon, text);
  return link;
}

/** Opens `src` full size over `over` (the page, or the widget's card); Esc,
 * the close button or a click outside the image close it, and focus goes
 * back where it was. */
export function openLightbox(src, name, labels, over = document.body) {
  const opener = document.activeElement;
  const box = document.createElement("div");
  box.className = "lightbox";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  box.setAttribute("aria-label", name || labels.image);
  const img = document.createElement("img");
  img.src = src;
  img.alt = name || "";
  const close = document.createElement("button");
  close.type = "button";
  close.className = "lightbox-close";
  close.setAttribute("aria-label", labels.closeImage);
  close.textContent = "×";
  box.append(img, close);
  function done() {
    box.remove();
    if (opener && opener.isConnected && opener.focus) opener.focus();
  }
  close.addEventListener("click", done);
  box.addEventListener("click", (e) => { if (e.target === box) done(); });
  box.addEventListener("keydown", (e) => {
    // Esc closes the image, not the chat behind it; Tab stays inside.
    if (e.key === "Escape") { e.stopPropagation(); e.preventDefault(); done(); }
    else if (e.key === "Tab") { e.preventDefault(); close.focus(); }
  });
  if (over !== document.body) box.classList.add("inside");
  over.append(box);
  close.focus();
  return { close: done, element: box };
}

/** Uploads `file` with XMLHttpRequest (for its upload progress). Resolves
 * with the server's JSON; rejects with an Error carrying `status` (0 for a
 * network failure) and `cancelled` when `cancel()` was called. */
export function upload(url, file, headers, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((ok, fail) => {
    xhr.open("POST", url);
    for (const [k, v] of Object.entries(headers || {})) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) return ok(body);
      const err = new Error((body && body.error && body.error.message) || "HTTP " + xhr.status);
      err.status = xhr.status;
      err.code = body && body.error && body.error.code;
      fail(err);
    });
    xhr.addEventListener("error", () => fail(Object.assign(new Error("network error"), { status: 0 })));
    xhr.addEventListener("abort", () => fail(Object.assign(new Error("cancelled"), { status: 0, cancelled: true })));
    xhr.send(file);
  });
  return { done, cancel: () => xhr.abort() };
}

/** What to tell the user about a failed upload, in their language. */
export function uploadError(err, labels) {
  switch (err.status) {
    case 413: return labels.fileTooLarge;
    case 415: return labels.fileType;
    case 429: case 503: return labels.tooManyUploads;
    case 507: return labels.diskFull;
    case 0: return labels.uploadFailed;
    default: return err.status === 400 && err.code === "empty_file" ? labels.emptyFile : err.message || labels.uploadFailed;
  }
}

/** One upload's row: name, a progress bar and a cancel button, before `before`. */
function progressRow(file, before, labels, cancel) {
  const row = document.createElement("div");
  row.className = "upload-progress";
  row.setAttribute("role", "status");
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = labels.uploading + " " + file.name;
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", labels.uploading + " " + file.name);
  const stop = document.createElement("button");
  stop.type = "button";
  stop.className = "upload-cancel";
  stop.textContent = labels.cancel;
  stop.addEventListener("click", cancel);
  row.append(name, bar, stop);
  before.parentNode.insertBefore(row, before);
  return { row, bar };
}

/**
 * Wires a screen's files: `picker` (an <input type=file>), drops on `zone`
 * and pastes of files into it all go through `send(file)`.
 *   start(file, onProgress) → { done: Promise<attachment>, cancel }
 *   sent(attachment)        → puts it in a message
 *   failed(text)            → shows an error
 *   ready()                 → false while drops and pastes are not taken
 *                             (no thread, or a form shown instead of it)
 */
export function wireFiles({ zone, picker, before, labels, start, sent, failed, ready = () => true }) {
  async function send(file) {
    let up = null;
    const ui = progressRow(file, before(), labels(), () => up && up.cancel());
    try {
      up = await start(file, (f) => { ui.bar.value = f; });
      sent(await up.done);
    } catch (err) {
      if (!err.cancelled) failed(uploadError(err, labels()));
    } finally {
      ui.row.remove();
    }
  }
  function sendAll(list) {
    // One at a time, in order, at most 10 per gesture.
    const files = Array.from(list || []).slice(0, 10);
    return files.reduce((p, f) => p.then(() => send(f)), Promise.resolve());
  }
  picker.addEventListener("change", () => {
    const files = Array.from(picker.files || []);
    picker.value = "";
    sendAll(files);
  });
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  zone.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dropping");
  });
  zone.addEventListener("dragleave", (e) => { if (!zone.contains(e.relatedTarget)) zone.classList.remove("dropping"); });
  zone.addEventListener("drop", (e) => {
    zone.classList.remove("dropping");
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    e.preventDefault();
    if (!ready()) return;
    sendAll(e.dataTransfer.files);
  });
  zone.addEventListener("paste", (e) => {
    const files = e.clipboardData ? Array.from(e.clipboardData.files || []) : [];
    // Pasted text stays text.
    if (!files.length) return;
    e.preventDefault();
    if (!ready()) return;
    sendAll(files);
  });
  return { send: sendAll };
}
