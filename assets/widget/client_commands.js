// Dot commands an agent ran for this visitor (realtime `command.client`,
// never stored). The frame runs nothing: a script or a redirect goes to
// the loader in the host page (which runs a script only where the site set
// `frontporchSettings.allowClientCommands = true`); `open_url` becomes a
// link the visitor clicks to open it in a new tab. Only http(s) URLs.

import { webUrl } from "../shared/rich.js";

/** `d`: {command, script} or {command, action, url}. */
export function clientCommand(d, { toHost, list, scrollDown }) {
  if (typeof d.script === "string") return toHost("client-command", { script: d.script });
  const url = webUrl(d.url);
  if (!url) return;
  if (d.action === "redirect") return toHost("client-command", { action: "redirect", url: url.href });
  if (d.action !== "open_url") return;
  const a = document.createElement("a");
  a.className = "open-url";
  a.href = url.href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.textContent = url.host + (url.pathname === "/" ? "" : url.pathname);
  const li = document.createElement("li");
  li.className = "msg command-link";
  li.append(a);
  list.append(li);
  scrollDown();
}
