//! Support Board functions beyond users, conversations and messages: the
//! knowledge base, automations, reports, logins, files and housekeeping.

use super::{ok, user_record, Args};
use crate::app::App;
use crate::desk::articles::Language;
use crate::desk::Actor;
use crate::error::{Error, Kind, Result};
use crate::store::articles::Article;
use crate::store::reports;
use serde_json::{json, Map, Value};

/// An article as Support Board lists it; `full: false` shortens the content.
fn article_record(a: &Article, full: bool) -> Value {
    let content = if full || a.content.chars().count() <= 100 {
        a.content.clone()
    } else {
        a.content
            .chars()
            .take(100)
            .collect::<String>()
            .trim_end()
            .to_string()
            + " ..."
    };
    let mut v = json!({
        "id": a.id, "title": a.title, "content": content, "link": a.link, "categories": a.categories,
    });
    if !a.language.is_empty() {
        v["language"] = json!(a.language);
    }
    v
}

/// A field as text: strings as they are, numbers written out, missing or
/// null as empty.
fn text(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `[{id, title, content, link, categories}]` from a JSON array.
fn articles_arg(v: Option<Value>) -> Result<Vec<Article>> {
    let list = match v {
        None => return Ok(vec![]),
        Some(Value::Array(list)) => list,
        // `{"articles": [...]}` as the seed's syntax line shows it.
        Some(Value::Object(mut m)) if m.get("articles").is_some_and(Value::is_array) => {
            match m.remove("articles") {
                Some(Value::Array(list)) => list,
                _ => vec![],
            }
        }
        Some(_) => return Err(Error::bad("invalid-articles", "articles must be an array")),
    };
    list.iter()
        .map(|v| {
            if !v.is_object() {
                return Err(Error::bad("invalid-articles", "each article is an object"));
            }
            Ok(Article {
                id: text(v, "id"),
                language: String::new(),
                title: text(v, "title"),
                content: text(v, "content"),
                link: text(v, "link"),
                categories: v["categories"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| c.as_str().map_or_else(|| c.to_string(), String::from))
                    .collect(),
            })
        })
        .collect()
}

/// The absolute URL of a file the desk saved.
fn file_url(app: &App, file: &Value) -> Value {
    json!(format!(
        "{}{}",
        app.config.public_url.trim_end_matches('/'),
        file["url"].as_str().unwrap_or("")
    ))
}

pub(super) fn call(app: &App, actor: &Actor, function: &str, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let lang = || Language::parse(a.str("articles_language").as_deref());
    match function {
        "get-articles" => {
            if let Some(id) = a
                .str("id")
                .filter(|v| !v.is_empty() && v != "-1" && v != "false")
            {
                return match desk.view_article(&id, &lang(), true) {
                    Ok(art) => ok(article_record(&art, true)),
                    Err(e) if e.kind == Kind::NotFound => ok(Value::Bool(false)),
                    Err(e) => Err(e),
                };
            }
            let mut list = desk.articles(&lang())?;
            let cats = a
                .str("categories")
                .filter(|v| !v.is_empty() && v != "false");
            if let Some(cat) = cats.as_deref().filter(|c| *c != "true") {
                list.retain(|art| art.categories.iter().any(|c| c == cat));
            }
            if let Some(n) = a.id("count")? {
                list.truncate(n.max(0) as usize);
            }
            let full = a.flag("full");
            let articles: Vec<Value> = list.iter().map(|x| article_record(x, full)).collect();
            if cats.as_deref() == Some("true") {
                let cats = categories(desk.article_categories()?);
                ok(json!([articles, cats]))
            } else {
                ok(Value::Array(articles))
            }
        }
        "save-articles" => {
            // Saving replaces every article: an explicit list (even empty)
            // is required, so a forgotten argument never wipes the base.
            if a.json("articles").is_none() {
                return Err(Error::bad(
                    "missing-articles",
                    "articles is required (an empty JSON array clears them)",
                ));
            }
            let list = articles_arg(a.json("articles"))?;
            let mut translations = Vec::new();
            if let Some(t) = a.json("translations") {
                let Value::Object(m) = t else {
                    return Err(Error::bad(
                        "invalid-translations",
                        "translations must be an object of arrays",
                    ));
                };
                for (code, items) in m {
                    translations.push((code, articles_arg(Some(items))?));
                }
            }
            desk.save_articles(actor, list, translations)?;
            ok(Value::Bool(true))
        }
        "search-articles" => {
            let q = a.str("search").unwrap_or_default();
            let found = desk.search_articles(&q, &lang(), true)?;
            ok(Value::Array(
                found.iter().map(|x| article_record(x, false)).collect(),
            ))
        }
        "get-articles-categories" => ok(categories(desk.article_categories()?)),
        "save-articles-categories" => {
            let list = a
                .json("categories")
                .and_then(|v| v.as_array().cloned())
                .ok_or_else(|| Error::bad("invalid-categories", "categories must be an array"))?;
            let cats = list
                .iter()
                .map(|c| match c.is_object() {
                    true => Ok((text(c, "id"), text(c, "title"))),
                    false => Err(Error::bad(
                        "invalid-categories",
                        "each category is {id, title}",
                    )),
                })
                .collect::<Result<Vec<_>>>()?;
            desk.save_article_categories(actor, cats)?;
            ok(Value::Bool(true))
        }
        "article-ratings" => {
            let id = a
                .str("article_id")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::bad("missing-article-id", "article_id is required"))?;
            match a.str("rating").filter(|v| !v.is_empty() && v != "false") {
                Some(r) => {
                    let helpful = match r.as_str() {
                        "1" => true,
                        "0" | "-1" => false,
                        _ => return Err(Error::bad("invalid-rating", "rating is 1 or 0")),
                    };
                    desk.rate_article(&id, helpful)?;
                    ok(Value::Bool(true))
                }
                // A JSON string, as the seed shows it.
                None => ok(json!(
                    serde_json::to_string(&desk.article_ratings(&id)?)?.replace(',', ", ")
                )),
            }
        }
        "automations-get" => {
            let (main, translations) = desk.automations(actor)?;
            ok(json!([main, translations]))
        }
        "automations-save" => {
            let main = a
                .json("automations")
                .and_then(|v| v.as_object().cloned())
                .ok_or_else(|| {
                    Error::bad(
                        "invalid-automations",
                        "automations must be an object of arrays by type",
                    )
                })?;
            let translations = a
                .json("translations")
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            desk.save_automations(actor, main, translations)?;
            ok(Value::Bool(true))
        }
        "automations-validate" => {
            let auto = automation_arg(a)?;
            let user = a.id("user_id")?.map(|id| desk.user(id)).transpose()?;
            match desk.validate_automation(&auto, user.as_ref())? {
                Some(later) => ok(json!({ "conditions": later, "repeat_id": "" })),
                None => ok(Value::Bool(false)),
            }
        }
        "automations-run-all" => ok(Value::Array(
            desk.run_all_automations(actor, a.id("user_id")?)?,
        )),
        "automations-run" => {
            let auto = automation_arg(a)?;
            let user = a.need_id("user_id", "missing-user-id")?;
            ok(Value::Bool(desk.run_automation(
                actor,
                &auto,
                user,
                a.flag("validate"),
            )?))
        }
        "reports" => {
            let name = a.str("name").unwrap_or_default();
            ok(desk.report(
                actor,
                &name,
                a.str("date_start").as_deref(),
                a.str("date_end").as_deref(),
                a.str("timezone").as_deref(),
            )?)
        }
        "reports-update" => {
            let text = |k: &str| a.str(k).filter(|v| !v.is_empty() && v != "false");
            let row = reports::Row {
                name: a.str("name").unwrap_or_default(),
                value: text("value"),
                external_id: text("external_id"),
                extra: text("extra"),
                created_at: 0,
            };
            desk.add_report_row(actor, row)?;
            ok(Value::Bool(true))
        }
        "csv-users" => ok(file_url(app, &desk.users_csv(actor)?)),
        "export-settings" => ok(file_url(app, &desk.export_settings(actor)?)),
        "import-settings" => {
            let url = a
                .str("file_url")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::bad("missing-file-url", "file_url is required"))?;
            let bytes = desk.fetch_file(&url, app.config.allow_private_webhooks, 1 << 20)?;
            let doc: Value = serde_json::from_slice(&bytes)
                .map_err(|_| Error::bad("invalid-settings", "the file is not JSON"))?;
            desk.import_settings(actor, doc)?;
            ok(Value::Bool(true))
        }
        "text-formatting-to-html" => ok(json!(crate::text_format::to_html(
            &a.str("message").unwrap_or_default()
        ))),
        "clear-text-formatting" => ok(json!(crate::text_format::clear(
            &a.str("message").unwrap_or_default()
        ))),
        "clean-data" => {
            desk.clean_data(actor)?;
            ok(Value::Bool(true))
        }
        "pusher-trigger" => {
            let channel = a.str("channel").filter(|v| !v.is_empty());
            let event = a.str("event").filter(|v| !v.is_empty());
            let (Some(channel), Some(event)) = (channel, event) else {
                return Err(Error::bad(
                    "missing-arguments",
                    "channel and event are required",
                ));
            };
            desk.trigger(
                actor,
                &channel,
                &event,
                a.json("data").unwrap_or(Value::Null),
            )?;
            ok(Value::Bool(true))
        }
        "login" => login(app, actor, a),
        "logout" => {
            if let Some(login) = a.str("login").filter(|v| !v.is_empty()) {
                desk.end_login(&login)?;
            }
            ok(Value::Bool(true))
        }
        "update-login" => {
            let login = a.str("login").filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::bad(
                    "missing-login",
                    "login (the value login returned) is required",
                )
            })?;
            let user = desk
                .login_user(&login)?
                .ok_or_else(|| Error::bad("invalid-login", "login is not a valid login"))?;
            let text = |k: &str| Some(a.str(k).unwrap_or_default());
            let fields = crate::store::users::UserFields {
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
        "get-avatar" => {
            let initial = |k: &str| {
                a.str(k)
                    .and_then(|v| v.trim().chars().find(|c| c.is_alphanumeric()))
            };
            let letters: String = [initial("first_name"), initial("last_name")]
                .into_iter()
                .flatten()
                .flat_map(char::to_uppercase)
                .collect();
            ok(json!(format!(
                "{}{}",
                app.config.public_url.trim_end_matches('/'),
                crate::api::pages::avatar_path(&letters)
            )))
        }
        _ => Err(Error::bad(
            "function-not-supported",
            format!("{function} is not a Support Board function Frontporch answers"),
        )),
    }
}

fn categories(list: Vec<(String, String)>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect(),
    )
}

fn automation_arg(a: &Args) -> Result<Value> {
    a.json("automation")
        .filter(Value::is_object)
        .ok_or_else(|| Error::bad("invalid-automation", "automation must be an object"))
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
            .and_then(|t| Ok((t, desk.user(id)?))),
        _ => {
            return Err(Error::bad(
                "missing-arguments",
                "email and password, or user_id, are required",
            ))
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
