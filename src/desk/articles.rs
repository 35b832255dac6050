//! The knowledge base: articles with translations and categories, full-text
//! search, ratings and views (the last three feed the reports).

use super::{check_len, Actor, Desk};
use crate::error::{self, Result};
use crate::store::articles;
pub use crate::store::articles::Article;
use crate::store::events::Audience;
use serde_json::json;
use std::collections::HashSet;

/// Which translation to read.
#[derive(Debug, Clone, PartialEq)]
pub enum Language {
    /// The default language.
    Default,
    /// This language, article by article falling back to the default.
    Code(String),
    /// Every language, each row tagged with its own.
    All,
}

impl Language {
    pub fn parse(v: Option<&str>) -> Language {
        match v.map(str::trim) {
            None | Some("") => Language::Default,
            Some("all") => Language::All,
            Some(code) => Language::Code(code.to_ascii_lowercase()),
        }
    }
}

/// A short public id like Support Board's ("6P2Oq").
pub fn short_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    crate::util::random_bytes(5)
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A client-given id: kept when sane, else a new one.
pub fn check_short_id(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(short_id());
    }
    if id.len() > 40
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(error::INVALID_ID.with(format!(
            "{id:?} is not a valid id (letters, digits, - and _)"
        )));
    }
    Ok(id.to_string())
}

/// A language code as clients send it (`fr`, `pt-BR`): 2 to 10 letters,
/// digits, `-` or `_`.
pub(super) fn check_language(code: &str) -> Result<()> {
    let ok = (2..=10).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(error::INVALID_LANGUAGE.with(format!("{code:?} is not a language code")));
    }
    Ok(())
}

fn check_article(a: &mut Article) -> Result<()> {
    a.id = check_short_id(&a.id)?;
    if a.title.trim().is_empty() {
        return Err(error::MISSING_TITLE.err());
    }
    check_len("title", &a.title, 300)?;
    check_len("content", &a.content, 100_000)?;
    check_len("link", &a.link, 2_000)?;
    let link = a.link.trim().to_ascii_lowercase();
    if !link.is_empty() && !link.starts_with("https://") && !link.starts_with("http://") {
        return Err(error::INVALID_LINK.err());
    }
    for c in &mut a.categories {
        *c = check_short_id(c)?;
    }
    Ok(())
}

impl Desk {
    /// Articles in `lang`, in their saved order.
    pub fn articles(&self, lang: &Language) -> Result<Vec<Article>> {
        let all = self.store.read(articles::all)?;
        Ok(match lang {
            Language::All => all,
            Language::Default => all.into_iter().filter(|a| a.language.is_empty()).collect(),
            Language::Code(code) => {
                let (default, rest): (Vec<_>, Vec<_>) =
                    all.into_iter().partition(|a| a.language.is_empty());
                default
                    .into_iter()
                    .map(|d| {
                        rest.iter()
                            .find(|t| &t.language == code && t.id == d.id)
                            .cloned()
                            .unwrap_or(d)
                    })
                    .collect()
            }
        })
    }

    /// One article; with `record`, counted as a view.
    pub fn view_article(&self, id: &str, lang: &Language, record: bool) -> Result<Article> {
        let a = self
            .articles(lang)?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| error::ARTICLE_NOT_FOUND.err())?;
        if record {
            self.record("articles-views", None, Some(a.id.clone()))?;
        }
        Ok(a)
    }

    /// Replaces the whole knowledge base: `articles` in the default
    /// language and `translations` by language code.
    pub fn save_articles(
        &self,
        actor: &Actor,
        mut list: Vec<Article>,
        translations: Vec<(String, Vec<Article>)>,
    ) -> Result<()> {
        actor.require_admin()?;
        let mut seen = HashSet::new();
        for a in &mut list {
            a.language = String::new();
            check_article(a)?;
        }
        for (code, items) in translations {
            check_language(&code)?;
            for mut a in items {
                a.language = code.to_ascii_lowercase();
                check_article(&mut a)?;
                list.push(a);
            }
        }
        if list.len() > 5_000 {
            return Err(error::TOO_MANY.with("at most 5,000 articles"));
        }
        for a in &list {
            if !seen.insert((a.id.clone(), a.language.clone())) {
                return Err(error::DUPLICATE_ID.with(format!("article id {} is used twice", a.id)));
            }
        }
        let uid = actor.user_id;
        self.store.write(move |tx| {
            articles::replace_all(tx, &list)?;
            tx.emit(
                "articles.updated",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "count": list.len() }),
            )?;
            Ok(())
        })
    }

    /// Articles matching `q` in `lang` (default-language matches stand in
    /// for articles without a translation); with `record`, the search
    /// counts in the articles-searches report (search-as-you-type records
    /// only the words the visitor settles on).
    pub fn search_articles(&self, q: &str, lang: &Language, record: bool) -> Result<Vec<Article>> {
        check_len("search", q, 200)?;
        // What is recorded in the reports is text, never control characters.
        let q = &super::text::clean_name(q);
        if q.trim().is_empty() {
            return Ok(vec![]);
        }
        let hits = self.store.read(|c| articles::search(c, q, 200))?;
        let visible = self.articles(lang)?;
        let mut out: Vec<Article> = Vec::new();
        for h in hits {
            let shown = match lang {
                Language::All => Some(h),
                _ => visible.iter().find(|a| a.id == h.id).cloned(),
            };
            if let Some(a) = shown {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        if record {
            self.record("articles-searches", Some(q.trim().to_string()), None)?;
        }
        Ok(out)
    }

    pub fn article_categories(&self) -> Result<Vec<(String, String)>> {
        self.store.read(articles::categories)
    }

    pub fn save_article_categories(
        &self,
        actor: &Actor,
        cats: Vec<(String, String)>,
    ) -> Result<()> {
        actor.require_admin()?;
        let mut checked = Vec::new();
        let mut seen = HashSet::new();
        for (id, title) in cats {
            let id = check_short_id(&id)?;
            if title.trim().is_empty() {
                return Err(error::MISSING_TITLE.with("every category needs a title"));
            }
            check_len("title", &title, 200)?;
            if !seen.insert(id.clone()) {
                return Err(error::DUPLICATE_ID.with(format!("category id {id} is used twice")));
            }
            checked.push((id, title.trim().to_string()));
        }
        if checked.len() > 500 {
            return Err(error::TOO_MANY.with("at most 500 categories"));
        }
        let uid = actor.user_id;
        self.store.write(move |tx| {
            articles::replace_categories(tx, &checked)?;
            tx.emit(
                "articles.categories_updated",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "count": checked.len() }),
            )?;
            Ok(())
        })
    }

    /// Adds a helpful (`true`) or unhelpful rating to an existing article.
    pub fn rate_article(&self, id: &str, helpful: bool) -> Result<()> {
        if !self.articles(&Language::All)?.iter().any(|a| a.id == id) {
            return Err(error::ARTICLE_NOT_FOUND.err());
        }
        let id = id.to_string();
        self.store
            .write(move |tx| articles::add_rating(tx, &id, if helpful { 1 } else { -1 }))
    }

    pub fn article_ratings(&self, id: &str) -> Result<Vec<i64>> {
        self.store.read(|c| articles::ratings(c, id))
    }
}
