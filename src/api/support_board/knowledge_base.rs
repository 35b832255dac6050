//! Support Board's knowledge base: articles, categories, translations, search and ratings.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::articles::Article;
use crate::desk::articles::Language;
use crate::desk::Actor;
use crate::error::{self, Kind, Result};
use serde_json::{json, Value};

pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("get-articles", get_articles),
    ("save-articles", save_articles),
    ("search-articles", search_articles),
    ("get-articles-categories", get_articles_categories),
    ("save-articles-categories", save_articles_categories),
    ("article-ratings", article_ratings),
];

fn get_articles(app: &App, _actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    if let Some(id) = a
        .str("id")
        .filter(|v| !v.is_empty() && v != "-1" && v != "false")
    {
        return match desk.view_article(&id, &language(a), true) {
            Ok(art) => ok(article_record(&art, true)),
            Err(e) if e.kind == Kind::NotFound => ok(Value::Bool(false)),
            Err(e) => Err(e),
        };
    }
    let mut list = desk.articles(&language(a))?;
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

fn save_articles(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    // Saving replaces every article: an explicit list (even empty)
    // is required, so a forgotten argument never wipes the base.
    if a.json("articles").is_none() {
        return Err(error::MISSING_ARTICLES.err());
    }
    let list = articles_arg(a.json("articles"))?;
    let mut translations = Vec::new();
    if let Some(t) = a.json("translations") {
        let Value::Object(m) = t else {
            return Err(
                error::INVALID_TRANSLATIONS.with("translations must be an object of arrays")
            );
        };
        for (code, items) in m {
            translations.push((code, articles_arg(Some(items))?));
        }
    }
    desk.save_articles(actor, list, translations)?;
    ok(Value::Bool(true))
}

fn search_articles(app: &App, _actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let q = a.str("search").unwrap_or_default();
    let found = desk.search_articles(&q, &language(a), true)?;
    ok(Value::Array(
        found.iter().map(|x| article_record(x, false)).collect(),
    ))
}

fn get_articles_categories(app: &App, _actor: &Actor, _a: &Args) -> Result<Value> {
    let desk = &app.desk;
    ok(categories(desk.article_categories()?))
}

fn save_articles_categories(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let list = a
        .json("categories")
        .and_then(|v| v.as_array().cloned())
        .ok_or_else(|| error::INVALID_CATEGORIES.err())?;
    let cats = list
        .iter()
        .map(|c| match c.is_object() {
            true => Ok((text(c, "id"), text(c, "title"))),
            false => Err(error::INVALID_CATEGORIES.with("each category is {id, title}")),
        })
        .collect::<Result<Vec<_>>>()?;
    desk.save_article_categories(actor, cats)?;
    ok(Value::Bool(true))
}

fn article_ratings(app: &App, _actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a
        .str("article_id")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| error::MISSING_ARTICLE_ID.err())?;
    match a.str("rating").filter(|v| !v.is_empty() && v != "false") {
        Some(r) => {
            let helpful = match r.as_str() {
                "1" => true,
                "0" | "-1" => false,
                _ => return Err(error::INVALID_RATING.with("rating is 1 or 0")),
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
        Some(_) => return Err(error::INVALID_ARTICLES.err()),
    };
    list.iter()
        .map(|v| {
            if !v.is_object() {
                return Err(error::INVALID_ARTICLES.with("each article is an object"));
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

fn categories(list: Vec<(String, String)>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect(),
    )
}

/// `articles_language`: the translation asked for.
fn language(a: &Args) -> Language {
    Language::parse(a.given("articles_language").as_deref())
}
