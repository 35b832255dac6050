//! Settings from flags, then `FRONTPORCH_*` environment variables, then
//! defaults. One struct, printed once at start.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on every commit: an acknowledged write survives power loss.
    Full,
    /// WAL fsync at checkpoints: survives a process crash, may lose the last
    /// commits on power loss.
    Normal,
}

impl Durability {
    pub fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// Who checkpoints the WAL into the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// Frontporch's own thread, every second (PASSIVE).
    Own,
    /// Another process (Litestream): Frontporch never checkpoints, so it
    /// cannot move the WAL under the replicator.
    External,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub addr: String,
    pub durability: Durability,
    pub checkpoints: Checkpoints,
    pub bcrypt_cost: u32,
    pub allow_private_webhooks: bool,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Threads answering HTTP requests. Writes wait for their group commit on
    /// these threads, so more threads means bigger groups.
    pub http_workers: usize,
    /// Long-poll and SSE clients held at once; past it, new ones get 503.
    pub max_waiters: usize,
    /// Seconds a long-poll request waits for an event.
    pub poll_seconds: u64,
    /// Largest accepted request body, in bytes.
    pub max_body: usize,
    /// Largest file upload, in bytes.
    pub max_upload: usize,
    /// Connections open at once (waiters included); past it, new ones get 503.
    pub max_connections: usize,
    /// Seconds for a whole request head, and for an idle keep-alive
    /// connection to send its next request.
    pub header_timeout: u64,
    /// Seconds a request body may pause; the whole body gets four times that.
    pub body_timeout: u64,
    /// Seconds a write to a client that does not read may block.
    pub write_timeout: u64,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    pub webhook_workers: usize,
    /// Base delay of the webhook retry backoff, in milliseconds.
    pub retry_base_ms: i64,
    /// Give up on a delivery after this long, in milliseconds.
    pub retry_window_ms: i64,
    /// Take the client IP from X-Forwarded-For (only behind your own proxy).
    pub trust_proxy: bool,
    /// Mark the session cookie Secure (when served over HTTPS).
    pub secure_cookies: bool,
    /// Rate limits on login, visitor sessions and visitor messages.
    pub rate_limits: bool,
    /// This server's public URL, as the outside world reaches it.
    pub public_url: String,
    /// Start with a new database even where an earlier install's files are
    /// (`serve --init` only: an environment variable left in a unit file
    /// would bring back the silent data loss this guards against).
    pub init: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match env(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name}: cannot parse {v:?}")),
    }
}

impl Config {
    /// Defaults and environment; flags are applied by the caller on top.
    pub fn from_env() -> Result<Config, String> {
        let durability = match env("FRONTPORCH_SYNC")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("full") => Durability::Full,
            Some("normal") => Durability::Normal,
            Some(v) => return Err(format!("FRONTPORCH_SYNC must be full or normal, not {v:?}")),
        };
        let checkpoints = match env("FRONTPORCH_CHECKPOINTS")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("on") => Checkpoints::Own,
            Some("off" | "litestream") => Checkpoints::External,
            Some(v) => {
                return Err(format!(
                    "FRONTPORCH_CHECKPOINTS must be on, off or litestream, not {v:?}"
                ))
            }
        };
        let bcrypt_cost = env_parse("FRONTPORCH_BCRYPT_COST", 11u32)?;
        if !(4..=16).contains(&bcrypt_cost) {
            return Err("FRONTPORCH_BCRYPT_COST must be between 4 and 16".into());
        }
        let max_waiters = env_parse("FRONTPORCH_MAX_WAITERS", 20_000usize)?;
        let seconds = |name, default| env_parse(name, default).map(|s: u64| s.clamp(1, 3600));
        Ok(Config {
            data_dir: PathBuf::from(
                env("FRONTPORCH_DATA").unwrap_or_else(|| "frontporch-data".into()),
            ),
            addr: env("FRONTPORCH_ADDR").unwrap_or_else(|| "0.0.0.0:8080".into()),
            durability,
            checkpoints,
            bcrypt_cost,
            allow_private_webhooks: env("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS").as_deref()
                == Some("1"),
            admin_email: env("FRONTPORCH_ADMIN_EMAIL"),
            admin_password: env("FRONTPORCH_ADMIN_PASSWORD"),
            http_workers: env_parse("FRONTPORCH_HTTP_WORKERS", 64usize)?.clamp(2, 1024),
            max_waiters,
            poll_seconds: env_parse("FRONTPORCH_POLL_SECONDS", 25u64)?.clamp(1, 120),
            max_body: env_parse("FRONTPORCH_MAX_BODY", 1usize << 20)?,
            max_upload: env_parse("FRONTPORCH_MAX_UPLOAD", 10usize << 20)?,
            // Every waiter is a connection; leave room for ordinary requests.
            max_connections: env_parse("FRONTPORCH_MAX_CONNECTIONS", max_waiters + 1024)?.max(1),
            header_timeout: seconds("FRONTPORCH_HEADER_TIMEOUT", 10)?,
            body_timeout: seconds("FRONTPORCH_BODY_TIMEOUT", 30)?,
            write_timeout: seconds("FRONTPORCH_WRITE_TIMEOUT", 30)?,
            max_header_bytes: env_parse("FRONTPORCH_MAX_HEADER_BYTES", 32usize << 10)?.max(1024),
            webhook_workers: env_parse("FRONTPORCH_WEBHOOK_WORKERS", 4usize)?.clamp(1, 64),
            retry_base_ms: env_parse("FRONTPORCH_RETRY_BASE_MS", 5_000i64)?.max(10),
            retry_window_ms: env_parse("FRONTPORCH_RETRY_WINDOW_MS", 3 * 24 * 3600 * 1000i64)?,
            trust_proxy: env("FRONTPORCH_TRUST_PROXY").as_deref() == Some("1"),
            secure_cookies: env("FRONTPORCH_SECURE_COOKIES").as_deref() == Some("1"),
            rate_limits: env("FRONTPORCH_RATE_LIMITS").as_deref() != Some("off"),
            public_url: env("FRONTPORCH_PUBLIC_URL").unwrap_or_default(),
            init: false,
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("frontporch.db")
    }
}
