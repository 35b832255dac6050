//! Knowledge-base articles (one row per article and language), their
//! categories and ratings.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, Row};

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Article {
    #[serde(default)]
    pub id: String,
    /// `""` is the default language.
    #[serde(default)]
    pub language: String,
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub link: String,
    #[serde(default)]
    pub categories: Vec<String>,
}

impl Article {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "language": self.language, "title": self.title,
            "content": self.content, "link": self.link, "categories": self.categories,
        })
    }
}

const COLS: &str = "id, language, title, content, link, categories";

fn from_row(r: &Row) -> rusqlite::Result<Article> {
    let cats: String = r.get(5)?;
    Ok(Article {
        id: r.get(0)?,
        language: r.get(1)?,
        title: r.get(2)?,
        content: r.get(3)?,
        link: r.get(4)?,
        categories: serde_json::from_str(&cats).unwrap_or_default(),
    })
}

/// Every article in every language, in their saved order.
pub fn all(conn: &Connection) -> Result<Vec<Article>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM articles ORDER BY language, position"
    ))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Replaces every article and translation with `articles`.
pub fn replace_all(tx: &Tx, articles: &[Article]) -> Result<()> {
    tx.conn.execute("DELETE FROM articles", [])?;
    let mut st = tx.conn.prepare_cached(
        "INSERT INTO articles (id, language, title, content, link, categories, position, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, a) in articles.iter().enumerate() {
        let cats = serde_json::to_string(&a.categories).unwrap_or_else(|_| "[]".into());
        st.execute(params![
            a.id, a.language, a.title, a.content, a.link, cats, i as i64, tx.now
        ])?;
    }
    Ok(())
}

/// Articles whose title or content match the FTS5 query `q`, best first.
pub fn search(conn: &Connection, q: &str, limit: i64) -> Result<Vec<Article>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {} FROM articles_fts f JOIN articles a ON a.rowid = f.rowid
         WHERE articles_fts MATCH ?1 ORDER BY bm25(articles_fts, 4.0, 1.0) LIMIT ?2",
        COLS.split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let rows = st.query_map(params![super::search::fts_query(q), limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn categories(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut st =
        conn.prepare_cached("SELECT id, title FROM article_categories ORDER BY position")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn replace_categories(tx: &Tx, cats: &[(String, String)]) -> Result<()> {
    tx.conn.execute("DELETE FROM article_categories", [])?;
    let mut st = tx.conn.prepare_cached(
        "INSERT INTO article_categories (id, title, position) VALUES (?1, ?2, ?3)",
    )?;
    for (i, (id, title)) in cats.iter().enumerate() {
        st.execute(params![id, title, i as i64])?;
    }
    Ok(())
}

pub fn add_rating(tx: &Tx, article_id: &str, rating: i64) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO article_ratings (article_id, rating, created_at) VALUES (?1, ?2, ?3)",
        params![article_id, rating, tx.now],
    )?;
    Ok(())
}

pub fn ratings(conn: &Connection, article_id: &str) -> Result<Vec<i64>> {
    let mut st = conn
        .prepare_cached("SELECT rating FROM article_ratings WHERE article_id = ?1 ORDER BY id")?;
    let rows = st.query_map([article_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
