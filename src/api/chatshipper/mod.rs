//! ChatShipper's API (`/v2`): conversations and messages in ChatShipper's
//! shapes, ids written as strings, commands posted as `"type": "command"`
//! messages. Authorised by an API token (or a staff session) as a bearer.

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::commands::CommandInput;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this surface, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[r(
    "POST",
    "/v2/conversations/{id}/messages",
    Staff,
    post_message,
)];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    meta: Map<String, Value>,
    user: Option<String>,
}

fn post_message(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let input: NewMessage = ctx.json()?;
    let user = input
        .user
        .map(|u| u.parse::<i64>())
        .transpose()
        .map_err(|_| crate::error::INVALID_FIELD.with("user must be a user id"))?;
    match input.kind.as_str() {
        "command" => {
            let command = CommandInput {
                text: input.text,
                meta: input.meta,
                user,
                explicit: true,
                client_id: None,
            };
            let out = app
                .desk
                .run_command(caller.actor()?, ids[0], command)?
                .expect("an explicit command runs or fails");
            let m = &out.command;
            Ok(Resp::json(
                201,
                &json!({ "id": m.id.to_string(), "type": "command", "text": m.body,
                    "conversation": m.conversation_id.to_string() }),
            )
            .into())
        }
        _ => Err(crate::error::INVALID_FIELD.with("type must be command")),
    }
}
