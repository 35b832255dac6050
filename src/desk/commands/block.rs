//! `/block`: the contact (and the address they last wrote from) may not
//! start sessions or post; the conversation closes (archive). Also the
//! admin's list of blocks and lifting one, and the checks the API makes
//! (`refuse_blocked_address` on a new session, `visitor_arrives` on every
//! write a visitor token makes, in `api::dispatch`).

use super::{Outcome, Run};
use crate::desk::conversations::move_status;
use crate::desk::{Actor, Desk};
use crate::domain::Status;
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::{blocks, conversations as convs, users};
use serde_json::{json, Value};

pub fn block(desk: &Desk, run: &Run) -> Result<Outcome> {
    crate::desk::check_len("reason", &run.args, 500)?;
    let run = run.clone();
    desk.store.write(move |tx| {
        let id = run.conversation_id;
        let head = convs::head(tx.conn, id)?;
        let contact = users::find(tx.conn, head.user_id)?;
        if contact.as_ref().is_none_or(|u| u.is_staff()) {
            return Err(error::NOT_BLOCKABLE.err());
        }
        let block = match blocks::blocking(tx.conn, Some(head.user_id), None)? {
            Some(existing) => blocks::get(tx.conn, existing)?,
            None => {
                let ip = blocks::last_ip(tx.conn, head.user_id)?;
                let reason = crate::desk::text::clean_name(&run.args);
                let b = blocks::insert(
                    tx,
                    head.user_id,
                    ip.as_deref(),
                    &reason,
                    id,
                    run.actor.user_id,
                )?;
                tx.emit(
                    "contact.blocked",
                    Some(id),
                    Some(run.actor.user_id),
                    Audience::Staff,
                    json!({ "block": b }),
                )?;
                b
            }
        };
        move_status(tx, id, run.actor.user_id, head.status, Status::Archive)?;
        let note = run.note(tx, json!({ "block": block["id"] }))?;
        let mut out = Outcome::new(note);
        out.result = json!({ "block": block });
        Ok(out)
    })
}

impl Desk {
    /// Blocks, newest first (admins).
    pub fn blocks(&self, actor: &Actor, limit: i64, offset: i64) -> Result<Vec<Value>> {
        actor.require_admin()?;
        self.store.read(move |c| blocks::list(c, limit, offset))
    }

    /// Lifts block `id` (admins): the contact and address may chat again.
    pub fn lift_block(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            let b = blocks::get(tx.conn, id)?;
            blocks::delete(tx, id)?;
            tx.emit(
                "block.lifted",
                b["conversation_id"].as_i64(),
                Some(uid),
                Audience::Staff,
                json!({ "block": b }),
            )?;
            Ok(())
        })
    }

    /// A visitor session starting from `ip`: refused (403 `blocked`) when
    /// a block holds that address.
    pub fn refuse_blocked_address(&self, ip: &str) -> Result<()> {
        let Some(ip) = blockable(ip) else {
            return Ok(());
        };
        match self
            .store
            .read(move |c| blocks::blocking(c, None, Some(&ip)))?
        {
            Some(_) => Err(error::BLOCKED.err()),
            None => Ok(()),
        }
    }

    /// A visitor starting a session or posting from `ip`: refused when
    /// blocked (by contact or address); else their `last_ip` is recorded,
    /// written only when it changed.
    pub fn visitor_arrives(&self, user_id: i64, ip: &str) -> Result<()> {
        let ip = blockable(ip);
        let addr = ip.clone();
        let (blocked, last) = self.store.read(move |c| {
            Ok((
                blocks::blocking(c, Some(user_id), addr.as_deref())?,
                blocks::last_ip(c, user_id)?,
            ))
        })?;
        if blocked.is_some() {
            return Err(error::BLOCKED.err());
        }
        match ip {
            Some(ip) if last.as_deref() != Some(ip.as_str()) => self
                .store
                .write(move |tx| blocks::set_last_ip(tx, user_id, &ip)),
            _ => Ok(()),
        }
    }
}

/// The address a block may name, in its canonical spelling: an IP address
/// that is not loopback. Behind a reverse proxy on the same host without
/// `FRONTPORCH_TRUST_PROXY`, every visitor comes from 127.0.0.1, and a
/// block by that address would refuse everyone.
fn blockable(ip: &str) -> Option<String> {
    match ip
        .trim()
        .parse::<std::net::IpAddr>()
        .map(|a| a.to_canonical())
    {
        Ok(a) if !a.is_loopback() && !a.is_unspecified() => Some(a.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_and_garbage_are_never_blocked() {
        for ip in [
            "127.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "",
            "x",
            "1.2.3.4, 5.6.7.8",
        ] {
            assert_eq!(super::blockable(ip), None, "{ip}");
        }
        assert_eq!(
            super::blockable("203.0.113.9").as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            super::blockable("::ffff:203.0.113.9").as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            super::blockable("2001:DB8::1").as_deref(),
            Some("2001:db8::1")
        );
    }
}
