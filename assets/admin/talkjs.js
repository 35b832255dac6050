// Settings → TalkJS: the install's TalkJS app id (generated on first start,
// read-only) and the base URL TalkJS REST clients call, each with a Copy
// button. The secret key is an API token (Settings → API tokens).

import { el } from "./dom.js";

export async function talkjsSettings(box, api) {
  const s = (await api("GET", "/settings")).settings;
  const appId = String(s["talkjs.app_id"] || "");
  box.append(
    el("p", { text: "TalkJS's REST API is served at the base URL below. Send an API token as the secret key: Authorization: Bearer <token>." }),
    copyRow("App id", appId, "talkjs-app-id"),
    copyRow("Base URL", location.origin + "/v1/" + appId, "talkjs-base-url"),
  );
}

function copyRow(label, value, id) {
  const input = el("input", { id, readonly: true, value, "aria-label": label });
  const copy = el("button", { type: "button", text: "Copy", onclick: () => { input.select(); navigator.clipboard?.writeText(value); } });
  return el("label", {}, el("span", { text: label }), input, copy);
}
