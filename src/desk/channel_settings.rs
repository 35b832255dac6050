//! Messaging platforms' settings, the desk's side: `channels.<name>` (the
//! platform's `fields`, strings, plus `api_base`) checked when saved,
//! secrets write-only (read back as `<field>_set`, kept when a save does
//! not send them, as email keeps its SMTP password), the admin-listed
//! templates `channels.<name>.templates`, and the test send of Settings →
//! Channels, answered with the platform's real reply.

use super::{check_len, Actor, Desk};
use crate::channels::{self, Config, Outgoing, Platform, Sent};
use crate::error::{self, Result};
use crate::store::settings;
use serde_json::{json, Map, Value};

/// `channels.<name>`: one platform's setting.
pub const PREFIX: &str = "channels.";
/// Longest value of a field (tokens, ids, phone numbers).
const MAX_FIELD: usize = 1000;
const MAX_TEMPLATES: usize = 100;

fn bad(key: &str, why: &str) -> error::Error {
    error::INVALID_CHANNEL_SETTINGS.with(format!("{key}: {why}"))
}

/// What a settings key names: a platform's setting, or its templates.
enum Key {
    Platform(&'static Platform),
    Templates,
}

fn key_of(key: &str) -> Option<std::result::Result<Key, error::Error>> {
    let rest = key.strip_prefix(PREFIX)?;
    let (name, templates) = match rest.strip_suffix(".templates") {
        Some(n) => (n, true),
        None => (rest, false),
    };
    Some(match channels::platform(name) {
        None => Err(bad(key, "no such messaging platform")),
        Some(p) if templates && !p.caps.templates => {
            Err(bad(key, "this platform has no templates"))
        }
        Some(_) if templates => Ok(Key::Templates),
        Some(p) => Ok(Key::Platform(p)),
    })
}

/// An `api_base`: an http(s) URL with a host, on one line.
fn check_api_base(key: &str, s: &str) -> Result<()> {
    let lower = s.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let uri = s.parse::<ureq::http::Uri>().ok();
    let host_ok = uri
        .as_ref()
        .and_then(|u| u.host())
        .is_some_and(|h| !h.is_empty());
    if !scheme_ok || !host_ok || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(key, "api_base must be an http(s) URL"));
    }
    Ok(())
}

/// `channels.<name>` as sent, checked, with the stored secrets kept where
/// none is sent. A kept secret only goes to the API it was given for: a
/// save that changes `api_base` must send the secrets again (or anyone with
/// an admin session could have them sent to a host of theirs).
pub fn check_platform(p: &Platform, key: &str, v: &Value, stored: Option<&Value>) -> Result<Value> {
    let Some(o) = v.as_object() else {
        return Err(bad(key, "must be an object (or null to remove it)"));
    };
    let known = |k: &str| {
        k == "api_base"
            || p.fields.iter().any(|f| f.name == k)
            || p.fields
                .iter()
                .any(|f| f.secret && k.strip_suffix("_set") == Some(f.name))
    };
    if let Some(k) = o.keys().find(|k| !known(k)) {
        return Err(bad(key, &format!("unknown field {k}")));
    }
    let mut out = Map::new();
    for (k, val) in o {
        if k.ends_with("_set") && !p.fields.iter().any(|f| f.name == k) {
            continue; // what a read showed, sent back: not a value
        }
        let s = match val {
            Value::Null => continue,
            Value::String(s) => s.trim(),
            _ => return Err(bad(key, &format!("{k} must be a string"))),
        };
        check_len(&format!("{key}.{k}"), s, MAX_FIELD)?;
        super::text::refuse_controls(&format!("{key}.{k}"), s)?;
        if k == "api_base" && !s.is_empty() {
            check_api_base(key, s)?;
        }
        if !s.is_empty() {
            out.insert(k.clone(), json!(s));
        }
    }
    let base = |m: Option<&Map<String, Value>>| {
        m.and_then(|m| m.get("api_base"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string()
    };
    let stored = stored.and_then(Value::as_object);
    for f in p.fields.iter().filter(|f| f.secret) {
        if out.contains_key(f.name) || o.get(f.name).is_some_and(Value::is_null) {
            continue; // sent, or removed on purpose
        }
        let Some(kept) = stored
            .and_then(|s| s.get(f.name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        if base(stored) != base(Some(&out)) {
            return Err(bad(
                key,
                &format!("send {} again: api_base changed", f.name),
            ));
        }
        out.insert(f.name.to_string(), json!(kept));
    }
    Ok(Value::Object(out))
}

/// `channels.<name>.templates`: `[{name, language, text}]`, as the
/// platform's console lists them (the text shows in the conversation;
/// `{{1}}`, `{{2}}` are the body parameters).
pub fn check_templates(key: &str, v: &Value) -> Result<()> {
    let list = v
        .as_array()
        .ok_or_else(|| bad(key, "must be a list of {name, language, text}"))?;
    if list.len() > MAX_TEMPLATES {
        return Err(bad(key, &format!("at most {MAX_TEMPLATES} templates")));
    }
    for t in list {
        let o = t
            .as_object()
            .ok_or_else(|| bad(key, "a template is {name, language, text}"))?;
        if let Some(k) = o
            .keys()
            .find(|k| !["name", "language", "text"].contains(&k.as_str()))
        {
            return Err(bad(key, &format!("unknown field {k}")));
        }
        for (f, max) in [("name", 512), ("language", 20), ("text", 4096)] {
            let s = o
                .get(f)
                .and_then(Value::as_str)
                .ok_or_else(|| bad(key, &format!("each template needs a {f} (a string)")))?;
            if f != "text" && s.trim().is_empty() {
                return Err(bad(key, &format!("a template's {f} is empty")));
            }
            check_len(&format!("{key}.{f}"), s, max)?;
            if f != "text" {
                super::text::refuse_controls(&format!("{key}.{f}"), s)?;
            }
        }
    }
    Ok(())
}

/// The settings as anyone reads them: each platform's secrets out,
/// `<field>_set` instead.
pub fn redact(all: &mut Map<String, Value>) {
    for (k, v) in all.iter_mut() {
        redact_value(k, v);
    }
}

/// One setting as read (`channels.<name>` loses its secrets).
pub fn redact_value(key: &str, v: &mut Value) {
    let Some(Ok(Key::Platform(p))) = key_of(key) else {
        return;
    };
    if let Some(o) = v.as_object_mut() {
        for f in p.fields.iter().filter(|f| f.secret) {
            let set = o
                .remove(f.name)
                .is_some_and(|s| s.as_str().is_some_and(|s| !s.is_empty()));
            o.insert(format!("{}_set", f.name), json!(set));
        }
    }
}

impl Desk {
    /// Checks the `channels.*` settings among `values` (in place): secrets
    /// kept when not sent.
    pub(super) fn prepare_channel_settings(&self, values: &mut Map<String, Value>) -> Result<()> {
        let keys: Vec<String> = values.keys().cloned().collect();
        for key in keys {
            let Some(k) = key_of(&key) else { continue };
            let k = k?;
            let v = &values[&key];
            if v.is_null() {
                continue;
            }
            match k {
                Key::Templates => check_templates(&key, v)?,
                Key::Platform(p) => {
                    let stored = self.store.read(|c| settings::get(c, &key))?;
                    let checked = check_platform(p, &key, v, stored.as_ref())?;
                    values.insert(key, checked);
                }
            }
        }
        super::sms::check_settings(values)
    }

    /// The platform named `name` and its config, or `unknown_channel` /
    /// `channel_not_configured`.
    pub fn channel_config(&self, name: &str) -> Result<(&'static Platform, Config)> {
        let p = channels::named(name)?;
        let key = format!("{PREFIX}{name}");
        let setting = self.store.read(|c| settings::get(c, &key))?;
        let c = Config::load(p, setting, self.links.public_url())?;
        Ok((p, c))
    }

    /// Settings → Channels: each platform, its fields (which are secret
    /// or required), its default API host, what it can do, and the inbound
    /// URL to paste in its console (with our public URL, when known).
    pub fn channel_platforms(&self, actor: &Actor) -> Result<Vec<Value>> {
        // No secrets here: the composer reads the reply windows too.
        actor.require_staff()?;
        let public = self.links.public_url();
        Ok(channels::PLATFORMS
            .iter()
            .map(|p| {
                let fields: Vec<Value> = p
                    .fields
                    .iter()
                    .map(|f| json!({ "name": f.name, "secret": f.secret, "required": f.required }))
                    .collect();
                json!({
                    "name": p.name, "label": p.label, "sources": p.sources, "fields": fields,
                    "api_base": p.api_base,
                    "inbound_path": format!("/channels/{}", p.name),
                    "inbound_url": (!public.is_empty()).then(|| format!("{public}/channels/{}", p.name)),
                    "caps": { "max_text": p.caps.max_text, "media": p.caps.media,
                              "reply_window_hours": p.caps.reply_window_hours,
                              "templates": p.caps.templates, "statuses": p.caps.statuses },
                    "register": p.register.is_some(),
                })
            })
            .collect())
    }

    /// Settings → Channels' "Send a test message": sent now through the
    /// platform, its answer returned as it is; recorded nowhere.
    pub fn send_test_channel(
        &self,
        actor: &Actor,
        name: &str,
        to: &str,
        text: &str,
        allow_private: bool,
    ) -> Result<Value> {
        actor.require_admin()?;
        let (p, config) = self.channel_config(name)?;
        let to = to.trim();
        if to.is_empty() {
            return Err(error::MISSING_ARGUMENTS.with("to is required"));
        }
        check_len("to", to, 200)?;
        super::text::refuse_controls("to", to)?;
        let text = if text.trim().is_empty() {
            "This is a test message from Frontporch: sending works."
        } else {
            text
        };
        check_len("text", text, p.caps.max_text)?;
        let out = Outgoing {
            to: to.to_string(),
            source: p.sources[0].to_string(),
            text: text.to_string(),
            ..Default::default()
        };
        let http = crate::delivery::platform_http::PlatformHttp::new(allow_private);
        Ok(sent_json(
            (p.send)(&http, &config, &out).hide_secrets(p, &config),
        ))
    }
}

impl Desk {
    /// Settings → Channels' "Register": tells the platform our inbound URL
    /// through its API (Telegram's `setWebhook`, ...); its answer as a test
    /// send's. Platforms that take the URL only in their console answer
    /// `channel_unavailable`.
    pub fn register_channel(
        &self,
        actor: &Actor,
        name: &str,
        allow_private: bool,
    ) -> Result<Value> {
        actor.require_admin()?;
        let (p, config) = self.channel_config(name)?;
        let Some(register) = p.register else {
            return Err(error::CHANNEL_UNAVAILABLE.with(format!(
                "{} takes its webhook URL in its own console only",
                p.label
            )));
        };
        if config.inbound_url().is_empty() {
            return Err(error::PUBLIC_URL_UNKNOWN.err());
        }
        let http = crate::delivery::platform_http::PlatformHttp::new(allow_private);
        let sent = register(&http, &config, config.inbound_url());
        Ok(sent_json(sent.hide_secrets(p, &config)))
    }
}

/// What a send came to, as the APIs answer it.
pub fn sent_json(s: Sent) -> Value {
    match s {
        Sent::Ok { ids, response } => json!({ "ok": true, "ids": ids, "response": response }),
        Sent::Failed {
            status,
            text,
            retry,
        } => json!({ "ok": false, "status": status, "error": text, "retry": retry }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tg() -> &'static Platform {
        channels::platform("telegram").unwrap()
    }

    #[test]
    fn known_string_fields_only() {
        let k = "channels.telegram";
        assert!(check_platform(
            tg(),
            k,
            &json!({"bot_token": "1:a", "secret_token": "s"}),
            None
        )
        .is_ok());
        for bad in [
            json!({"bot_token": 1}),
            json!({"password": "x"}),
            json!({"api_base": "ftp://x.example"}),
            json!({"api_base": "javascript:alert(1)"}),
            json!({"api_base": "http://"}),
            json!({"bot_token": "a\r\nb"}),
            json!({"bot_token": "x".repeat(1001)}),
            json!("text"),
        ] {
            assert!(check_platform(tg(), k, &bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_kept_for_the_same_api_and_never_read_back() {
        let k = "channels.telegram";
        let stored =
            json!({"bot_token": "1:a", "secret_token": "s", "api_base": "http://127.0.0.1:9"});
        let v = check_platform(
            tg(),
            k,
            &json!({"bot_token_set": true, "api_base": "http://127.0.0.1:9/"}),
            Some(&stored),
        )
        .unwrap();
        assert_eq!(v["bot_token"], "1:a");
        assert_eq!(v["secret_token"], "s");
        assert!(check_platform(
            tg(),
            k,
            &json!({"api_base": "http://evil.example"}),
            Some(&stored)
        )
        .is_err());
        let mut all = Map::new();
        all.insert(k.into(), v);
        all.insert("other".into(), json!({"bot_token": "stays"}));
        redact(&mut all);
        assert!(all[k].get("bot_token").is_none());
        assert_eq!(all[k]["bot_token_set"], true);
        assert_eq!(all["other"]["bot_token"], "stays");
    }

    #[test]
    fn templates_are_listed() {
        let k = "channels.whatsapp.templates";
        assert!(check_templates(
            k,
            &json!([{"name": "hello", "language": "en_US", "text": "Hi {{1}}"}])
        )
        .is_ok());
        assert!(check_templates(k, &json!([{"name": "", "language": "en", "text": ""}])).is_err());
        assert!(check_templates(k, &json!({"name": "x"})).is_err());
        assert!(matches!(
            key_of("channels.telegram.templates"),
            Some(Err(_))
        ));
        assert!(matches!(key_of("channels.fax"), Some(Err(_))));
        assert!(key_of("email.smtp").is_none());
    }
}
