-- Knowledge base, automations and reports (the Support Board surface).

CREATE TABLE article_categories (
  id       TEXT PRIMARY KEY,                -- short public id, e.g. "K92kl"
  title    TEXT NOT NULL,
  position INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per article and language; a translation shares its article's id.
CREATE TABLE articles (
  rowid      INTEGER PRIMARY KEY,
  id         TEXT NOT NULL,
  language   TEXT NOT NULL DEFAULT '',      -- '' is the default language
  title      TEXT NOT NULL,
  content    TEXT NOT NULL DEFAULT '',
  link       TEXT NOT NULL DEFAULT '',
  categories TEXT NOT NULL DEFAULT '[]',    -- JSON array of category ids
  position   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (id, language)
);
CREATE VIRTUAL TABLE articles_fts USING fts5(title, content, content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts(rowid, title, content) VALUES (new.rowid, new.title, new.content);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, content) VALUES ('delete', old.rowid, old.title, old.content);
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, content ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, content) VALUES ('delete', old.rowid, old.title, old.content);
  INSERT INTO articles_fts(rowid, title, content) VALUES (new.rowid, new.title, new.content);
END;

-- Ratings outlive edits of the article list, as in Support Board.
CREATE TABLE article_ratings (
  id         INTEGER PRIMARY KEY,
  article_id TEXT NOT NULL,
  rating     INTEGER NOT NULL,              -- 1 helpful, -1 not helpful
  created_at INTEGER NOT NULL
);
CREATE INDEX article_ratings_article ON article_ratings(article_id, id);

-- One row per automation and language ('' = default); data is the JSON
-- object as Support Board shapes it (name, message, conditions, ...).
CREATE TABLE automations (
  rowid    INTEGER PRIMARY KEY,
  id       TEXT NOT NULL,
  type     TEXT NOT NULL,                   -- emails, sms, messages, popups, design
  language TEXT NOT NULL DEFAULT '',
  position INTEGER NOT NULL,
  data     TEXT NOT NULL,
  UNIQUE (id, language)
);

-- Who an automation already ran for: it runs once per user.
CREATE TABLE automation_runs (
  automation_id TEXT NOT NULL,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (automation_id, user_id)
) WITHOUT ROWID;

-- Report rows that no other table records (article searches and views,
-- automation runs, direct messages, rows added with reports-update).
CREATE TABLE reports (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  value       TEXT,
  external_id TEXT,
  extra       TEXT,
  created_at  INTEGER NOT NULL
);
CREATE INDEX reports_name ON reports(name, created_at);
