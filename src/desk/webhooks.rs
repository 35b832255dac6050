//! Webhook endpoints and their delivery log.

use super::{Actor, Desk};
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::outbox;
use crate::store::webhooks::{self, Endpoint};
use serde_json::{json, Value};

impl Desk {
    pub fn webhooks(&self, actor: &Actor) -> Result<Vec<Endpoint>> {
        actor.require_admin()?;
        self.store.read(webhooks::list)
    }

    /// Adds an endpoint; returns it with its signing secret (shown once).
    /// `format` is one of `webhook_formats::FORMATS`: `standard` (Standard
    /// Webhooks, a generated signing secret) or `support_board` (its body
    /// format; `key` is the admin's secret key, and `kinds` are Support
    /// Board webhook names).
    pub fn create_webhook(
        &self,
        actor: &Actor,
        url: String,
        kinds: Vec<String>,
        format: &str,
        key: Option<String>,
        allow_private: bool,
    ) -> Result<(Endpoint, String)> {
        actor.require_admin()?;
        crate::delivery::check_url(&url, allow_private)?;
        let kinds = check_kinds(kinds)?;
        let Some(f) = crate::webhook_formats::find(format) else {
            let names: Vec<&str> = crate::webhook_formats::FORMATS
                .iter()
                .map(|f| f.name)
                .collect();
            return Err(
                error::INVALID_FORMAT.with(format!("format must be {}", names.join(" or ")))
            );
        };
        (f.check_kinds)(&kinds)?;
        let secret = (f.secret)(key);
        super::check_len("secret", &secret, 200)?;
        let (s, uid, format) = (secret.clone(), actor.user_id, format.to_string());
        let ep = self.store.write(move |tx| {
            let ep = webhooks::insert(tx, &url, &s, &kinds, &format)?;
            tx.emit(
                "webhook.created",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "webhook": ep.to_json() }),
            )?;
            Ok(ep)
        })?;
        Ok((ep, secret))
    }

    pub fn update_webhook(
        &self,
        actor: &Actor,
        id: i64,
        url: Option<String>,
        kinds: Option<Vec<String>>,
        active: Option<bool>,
        allow_private: bool,
    ) -> Result<Endpoint> {
        actor.require_admin()?;
        if let Some(u) = &url {
            crate::delivery::check_url(u, allow_private)?;
        }
        let kinds = kinds.map(check_kinds).transpose()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            // New subscriptions are held to the endpoint's format, as at creation.
            if let Some(k) = &kinds {
                let format = webhooks::get(tx.conn, id)?.format;
                if let Some(f) = crate::webhook_formats::find(&format) {
                    (f.check_kinds)(k)?;
                }
            }
            let ep = webhooks::update(tx, id, url.as_deref(), kinds.as_deref(), active)?;
            tx.emit(
                "webhook.updated",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "webhook": ep.to_json() }),
            )?;
            Ok(ep)
        })
    }

    pub fn delete_webhook(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            webhooks::delete(tx, id)?;
            tx.emit(
                "webhook.deleted",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "webhook_id": id }),
            )?;
            Ok(())
        })
    }

    pub fn deliveries(
        &self,
        actor: &Actor,
        endpoint_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Value>> {
        actor.require_admin()?;
        self.store.read(|c| {
            webhooks::get(c, endpoint_id)?;
            outbox::list_for_endpoint(c, endpoint_id, before.unwrap_or(i64::MAX), limit)
        })
    }

    pub fn delivery(&self, actor: &Actor, id: i64) -> Result<Value> {
        actor.require_admin()?;
        self.store.read(|c| outbox::get(c, id))
    }

    /// Queues a delivery again, with the same webhook-id.
    pub fn replay_delivery(&self, actor: &Actor, id: i64) -> Result<Value> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            let d = outbox::get(tx.conn, id)?;
            if let Some(ep) = d["endpoint_id"].as_i64() {
                if !webhooks::get(tx.conn, ep)?.active {
                    return Err(error::ENDPOINT_DISABLED.err());
                }
            }
            outbox::replay(tx, id)?;
            tx.emit(
                "webhook.replayed",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "delivery_id": id }),
            )?;
            outbox::get(tx.conn, id)
        })
    }
}

fn check_kinds(kinds: Vec<String>) -> Result<Vec<String>> {
    let kinds = if kinds.is_empty() {
        vec!["*".to_string()]
    } else {
        kinds
    };
    if kinds.len() > 100 {
        return Err(error::TOO_MANY.with("at most 100 event kinds"));
    }
    for k in &kinds {
        if k.is_empty()
            || k.len() > 60
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._*-".contains(c))
        {
            return Err(error::INVALID_EVENT_KIND.with(format!("invalid event kind {k:?}")));
        }
    }
    Ok(kinds)
}
