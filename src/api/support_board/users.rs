//! Support Board's user functions: records, lists, presence, and logins.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::users::{User, UserFields, UserType};
use crate::desk::Actor;
use crate::error::{self, Kind, Result};
use crate::util::sql_datetime;
use serde_json::{json, Map, Value};

pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("get-user", get_user),
    ("get-user-extra", get_user_extra),
    ("get-users", get_users),
    ("search-users", get_users),
    ("count-users", count_users),
    ("get-user-language", get_user_language),
    ("current-url", current_url),
    ("update-user-to-lead", update_user_to_lead),
    ("get-agent", get_agent),
    ("get-agents-ids", get_agents_ids),
    ("agents-online", agents_online),
    ("add-user", add_user),
    ("update-user", update_user),
    ("delete-user", delete_user),
    ("delete-users", delete_users),
    ("is-online", is_online),
    ("get-bot-id", get_bot_id),
    ("get-new-users", get_new_users),
    ("get-online-users", get_online_users),
    ("delete-leads", delete_leads),
    ("get-users-with-details", get_users_with_details),
    ("login", login),
    ("logout", logout),
    ("update-login", update_login),
    ("get-avatar", get_avatar),
];

fn get_user(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    match desk.find_user(actor, a.need_id("user_id", &error::MISSING_USER_ID)?)? {
        Some(u) => {
            let mut v = user_record(&u, a.flag("extra"));
            if let Some(details) = v.get_mut("details").and_then(Value::as_array_mut) {
                details.extend(platform_details(&desk.platform_ids(actor, u.id)?));
            }
            ok(v)
        }
        None => ok(Value::Bool(false)),
    }
}

fn get_user_extra(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    match desk.find_user(actor, a.need_id("user_id", &error::MISSING_USER_ID)?)? {
        Some(u) => {
            let all = details(&u);
            match a.str("slug").filter(|s| !s.is_empty() && s != "false") {
                Some(slug) => ok(all
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["slug"] == slug.as_str())
                    .map_or_else(
                        || a.0.get("default").cloned().unwrap_or(Value::Bool(false)),
                        |d| d["value"].clone(),
                    )),
                None => ok(all),
            }
        }
        None => ok(json!([])),
    }
}

fn get_users(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let types: Vec<String> = a.strings("user_types");
    let page = a.id("pagination")?.unwrap_or(1).max(1);
    let ids = a
        .ids("user_ids")
        .filter(|_| a.str("user_ids").as_deref() != Some("false"));
    let sorting = sorting(a)?;
    let search = a.str("search");
    let q = crate::desk::users::ListQuery {
        types: &types,
        search: search.as_deref(),
        search_details: true,
        ids: ids.as_deref(),
        sort: sorting.as_ref().map(|(c, d)| (c.as_str(), *d)),
        limit: 100,
        offset: (page - 1) * 100,
    };
    let users = desk.find_users(actor, q)?;
    let extra = extra_slugs(a);
    ok(Value::Array(
        users
            .iter()
            .map(|u| with_extra(user_record(u, false), u, extra.as_deref()))
            .collect(),
    ))
}

fn count_users(app: &App, actor: &Actor, _a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let mut counts = Map::new();
    for t in ["all", "lead", "user", "visitor"] {
        counts.insert(t.into(), s(0));
    }
    for (t, n) in desk.user_counts(actor)? {
        if counts.contains_key(&t) {
            counts.insert(t, s(n));
        }
    }
    ok(Value::Object(counts))
}

fn get_user_language(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let u = desk.user(actor, a.need_id("user_id", &error::MISSING_USER_ID)?)?;
    ok(u.language
        .filter(|l| l != "en" && !l.is_empty())
        .map_or(Value::Bool(false), Value::String))
}

fn current_url(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("user_id", &error::MISSING_USER_ID)?;
    match a.str("url").filter(|u| !u.is_empty()) {
        Some(url) => {
            desk.update_user(
                actor,
                id,
                UserFields {
                    current_url: Some(url),
                    ..Default::default()
                },
            )?;
            ok(Value::Bool(true))
        }
        None => ok(desk
            .user(actor, id)?
            .current_url
            .map_or(Value::Bool(false), Value::String)),
    }
}

fn update_user_to_lead(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("user_id", &error::MISSING_USER_ID)?;
    desk.update_user(
        actor,
        id,
        UserFields {
            user_type: Some(UserType::Lead.into()),
            ..Default::default()
        },
    )?;
    ok(Value::Bool(true))
}

fn get_agent(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    match desk.find_user(actor, a.need_id("agent_id", &error::MISSING_AGENT_ID)?)? {
        Some(u) if u.user_type.is_agent() => ok(user_record(&u, false)),
        _ => ok(Value::Bool(false)),
    }
}

fn get_agents_ids(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let mut types = vec!["agent".to_string()];
    if a.str("admins").as_deref() != Some("false") {
        types.push("admin".into());
    }
    let users = desk.list_users(actor, &types, None, i64::MAX, 0)?;
    ok(Value::Array(users.iter().map(|u| json!(u.id)).collect()))
}

fn agents_online(app: &App, _actor: &Actor, _a: &Args) -> Result<Value> {
    let desk = &app.desk;
    ok(Value::Bool(!desk.online_staff()?.is_empty()))
}

fn add_user(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let mut f = user_fields(a);
    if f.first_name.is_none() {
        f.first_name = Some("User".into());
    }
    if f.last_name.is_none() {
        f.last_name = Some(format!("#{}", crate::util::random_below(100_000)));
    }
    if f.user_type.is_none() {
        f.user_type = Some(
            if f.email.as_deref().unwrap_or("").is_empty() {
                UserType::Visitor
            } else {
                UserType::User
            }
            .into(),
        );
    }
    if f.email.as_deref() == Some("") {
        f.email = None;
    }
    let u = desk.create_user(Some(actor), f)?;
    ok(json!(u.id))
}

fn update_user(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("user_id", &error::MISSING_USER_ID)?;
    desk.update_user(actor, id, user_fields(a))?;
    ok(Value::Bool(true))
}

fn delete_user(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    desk.delete_user(actor, a.need_id("user_id", &error::MISSING_USER_ID)?)?;
    ok(Value::Bool(true))
}

fn delete_users(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let ids = a.need_ids("user_ids", &error::MISSING_USER_IDS)?;
    for id in ids {
        desk.delete_user(actor, id)?;
    }
    ok(Value::Bool(true))
}

fn is_online(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("user_id", &error::MISSING_USER_ID)?;
    desk.user(actor, id)?;
    let online = desk.online_users(actor, false, None)?;
    ok(Value::Bool(online.iter().any(|u| u.id == id)))
}

fn get_bot_id(app: &App, _actor: &Actor, _a: &Args) -> Result<Value> {
    let desk = &app.desk;
    ok(s(desk.bot_id))
}

fn get_new_users(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let since = a.str("datetime").unwrap_or_default();
    let users = desk.list_users(actor, &[], None, 1000, 0)?;
    let newer = |u: &User| match since.parse::<i64>() {
        Ok(id) => u.id > id,
        Err(_) => sql_datetime(u.created_at).as_str() > since.as_str(),
    };
    ok(Value::Array(
        users
            .iter()
            .filter(|u| newer(u))
            .map(|u| user_record(u, false))
            .collect(),
    ))
}

fn get_online_users(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let exclude = a.ids("exclude_id").unwrap_or_default();
    let sorting = sorting(a)?.unwrap_or(("creation_time".into(), true));
    let online = desk.online_users(
        actor,
        a.flag("agents"),
        Some((sorting.0.as_str(), sorting.1)),
    )?;
    ok(Value::Array(
        online
            .iter()
            .filter(|u| !exclude.contains(&u.id) && u.id != desk.bot_id)
            .map(|u| user_record(u, false))
            .collect(),
    ))
}

fn delete_leads(app: &App, actor: &Actor, _a: &Args) -> Result<Value> {
    let desk = &app.desk;
    for u in desk.list_users(actor, &["lead".to_string()], None, i64::MAX, 0)? {
        desk.delete_user(actor, u.id)?;
    }
    ok(Value::Bool(true))
}

fn get_users_with_details(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let wanted: Vec<String> = a.strings("details");
    let only: Option<Vec<i64>> = match a.str("user_ids").as_deref() {
        Some("all") | Some("false") | Some("") => None,
        _ => a.ids("user_ids"),
    };
    let users = desk.list_users(actor, &[], None, i64::MAX, 0)?;
    let mut out = Map::new();
    for detail in wanted {
        let rows: Vec<Value> = users
            .iter()
            .filter(|u| only.as_ref().is_none_or(|ids| ids.contains(&u.id)))
            .filter_map(|u| {
                let value = match detail.as_str() {
                    "email" => u.email.clone(),
                    "phone" => u.phone.clone(),
                    "language" => u.language.clone(),
                    "current_url" => u.current_url.clone(),
                    other => u.custom.get(other).map(|v| {
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string())
                    }),
                }?;
                Some(json!({ "id": u.id, "value": value }))
            })
            .collect();
        out.insert(detail, Value::Array(rows));
    }
    ok(Value::Object(out))
}

fn logout(app: &App, _actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    if let Some(login) = a.str("login").filter(|v| !v.is_empty()) {
        desk.end_login(&login)?;
    }
    ok(Value::Bool(true))
}

fn update_login(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let login = a
        .str("login")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| error::MISSING_LOGIN.err())?;
    let user = desk
        .login_user(&login)?
        .ok_or_else(|| error::INVALID_LOGIN.err())?;
    let text = |k: &str| Some(a.str(k).unwrap_or_default());
    let fields = crate::desk::users::UserFields {
        first_name: text("first_name"),
        last_name: text("last_name"),
        email: text("email"),
        avatar: text("profile_image"),
        department_id: if user.is_staff() {
            Some(a.id("department")?).flatten()
        } else {
            None
        },
        ..Default::default()
    };
    desk.update_user(actor, user.id, fields)?;
    ok(json!(login))
}

fn get_avatar(app: &App, _actor: &Actor, a: &Args) -> Result<Value> {
    let initial = |k: &str| {
        a.str(k)
            .and_then(|v| v.trim().chars().find(|c| c.is_alphanumeric()))
    };
    let letters: String = [initial("first_name"), initial("last_name")]
        .into_iter()
        .flatten()
        .flat_map(char::to_uppercase)
        .collect();
    ok(absolute_url(app, &crate::api::pages::avatar_path(&letters)))
}

/// `login`: email and password, or user_id (the admin token vouches for
/// it). Answers `[user, login]` where login is a Frontporch token: a staff
/// session for agents, a visitor token for contacts.
fn login(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let via = actor.token_id;
    let desk = &app.desk;
    let email = a.str("email").filter(|v| !v.is_empty());
    let password = a.str("password").filter(|v| !v.is_empty());
    let result = match (email, password, a.id("user_id")?) {
        (Some(email), Some(password), _) => match desk.login(&email, &password, via) {
            Ok(session) => Ok((session.token, session.user)),
            Err(e) if e.kind == Kind::Unauthorized => desk.contact_login(&email, &password, via),
            Err(e) => Err(e),
        },
        (None, None, Some(id)) => desk
            .contact_token(id, via)
            .and_then(|t| Ok((t, desk.user(actor, id)?))),
        _ => {
            return Err(
                error::MISSING_ARGUMENTS.with("email and password, or user_id, are required")
            )
        }
    };
    match result {
        Ok((token, user)) => {
            let mut rec = user_record(&user, false);
            rec["token"] = json!(token);
            let keep = [
                "id",
                "profile_image",
                "first_name",
                "last_name",
                "email",
                "user_type",
                "token",
            ];
            let rec: Map<String, Value> = keep
                .iter()
                .map(|k| (k.to_string(), rec[*k].clone()))
                .collect();
            ok(json!([rec, token]))
        }
        Err(e)
            if matches!(
                e.kind,
                Kind::Unauthorized | Kind::NotFound | Kind::Forbidden
            ) =>
        {
            ok(Value::Bool(false))
        }
        Err(e) => Err(e),
    }
}
