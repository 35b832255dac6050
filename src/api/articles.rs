//! The knowledge base in Frontporch's REST API: articles (public to read,
//! admins to write), their categories, search and ratings.

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::articles::Article;
use crate::desk::articles::Language;
use crate::error::{self, Result};
use crate::http::ratelimit;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/articles", Public, articles),
    r("PUT", "/api/v1/articles", Admin, save_articles),
    r("GET", "/api/v1/articles/search", Public, search),
    r("POST", "/api/v1/articles/ratings", Any, rate),
    r("GET", "/api/v1/article-categories", Public, categories),
    r("PUT", "/api/v1/article-categories", Admin, save_categories),
];

fn language(ctx: &Ctx) -> Language {
    Language::parse(ctx.q("language"))
}

fn list(articles: &[Article]) -> Value {
    Value::Array(articles.iter().map(Article::to_json).collect())
}

/// The rate at which an address may add article searches, views and
/// ratings to the reports: the knowledge base is public.
fn feedback_limit(app: &App, ctx: &Ctx) -> Result<()> {
    app.limits.check(
        &format!("article-feedback:{}", ctx.ip),
        ratelimit::ARTICLE_FEEDBACK_PER_IP,
    )
}

/// Whether this search or view counts; past the rate it is still answered.
fn counts(app: &App, ctx: &Ctx) -> bool {
    feedback_limit(app, ctx).is_ok()
}

/// `GET /articles`: every article in a language (`?language=fr`, or `all`),
/// of a category (`?category=`), or one (`?id=`, counted as a view).
pub fn articles(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    if let Some(id) = ctx.q("id") {
        let a = app
            .desk
            .view_article(id, &language(ctx), counts(app, ctx))?;
        return ok(json!({ "article": a.to_json() }));
    }
    let mut all = app.desk.articles(&language(ctx))?;
    if let Some(cat) = ctx.q("category") {
        all.retain(|a| a.categories.iter().any(|c| c == cat));
    }
    ok(json!({ "articles": list(&all) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveArticles {
    articles: Vec<Article>,
    #[serde(default)]
    translations: Map<String, Value>,
}

/// `PUT /articles`: replaces the knowledge base.
pub fn save_articles(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let body: SaveArticles = ctx.json()?;
    let mut translations = Vec::new();
    for (code, items) in body.translations {
        let items: Vec<Article> = serde_json::from_value(items)
            .map_err(|e| error::INVALID_JSON.with(format!("translations.{code}: {e}")))?;
        translations.push((code, items));
    }
    let actor = caller.actor()?;
    app.desk.save_articles(actor, body.articles, translations)?;
    ok(json!({ "articles": list(&app.desk.articles(&Language::All)?) }))
}

/// `GET /articles/search?q=`: full-text search of titles and contents;
/// `record=0` leaves it out of the reports (searching as one types).
pub fn search(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let q = ctx.q("q").ok_or_else(|| error::MISSING_QUERY.err())?;
    let record = !matches!(ctx.q("record"), Some("0" | "false")) && counts(app, ctx);
    let found = app.desk.search_articles(q, &language(ctx), record)?;
    ok(json!({ "articles": list(&found) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rating {
    article_id: String,
    helpful: bool,
}

/// `POST /articles/ratings`: a visitor or agent found an article helpful or not.
pub fn rate(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let r: Rating = ctx.json()?;
    feedback_limit(app, ctx)?;
    app.desk.rate_article(&r.article_id, r.helpful)?;
    let all = app.desk.article_ratings(&r.article_id)?;
    let helpful = all.iter().filter(|v| **v > 0).count();
    ok(json!({ "article_id": r.article_id, "helpful": helpful, "unhelpful": all.len() - helpful }))
}

fn categories_json(list: Vec<(String, String)>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect(),
    )
}

pub fn categories(app: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "categories": categories_json(app.desk.article_categories()?) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Category {
    #[serde(default)]
    id: String,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveCategories {
    categories: Vec<Category>,
}

/// `PUT /article-categories`: replaces the categories.
pub fn save_categories(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let body: SaveCategories = ctx.json()?;
    let cats = body
        .categories
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    app.desk.save_article_categories(caller.actor()?, cats)?;
    ok(json!({ "categories": categories_json(app.desk.article_categories()?) }))
}
