//! One error type for store, desk and the API adapters. It carries a stable
//! machine code and a human message; the HTTP layer maps the kind to a status.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    TooLarge,
    UnsupportedMediaType,
    RateLimited,
    Unavailable,
    /// The disk is full: writes are refused (507), reads still work.
    InsufficientStorage,
    Internal,
}

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait, for `RateLimited`.
    pub retry_after: Option<u64>,
}

pub type Result<T> = std::result::Result<T, Error>;

/// Seconds a client is told to wait after a `disk_full` refusal.
pub const DISK_FULL_RETRY_AFTER: u64 = 30;

impl Error {
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Error {
        Error {
            kind,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(Kind::BadRequest, code, message)
    }
    pub fn not_found(what: &str) -> Error {
        Error::new(Kind::NotFound, "not_found", format!("{what} not found"))
    }
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::new(Kind::Forbidden, "forbidden", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Error {
        Error::new(Kind::Unauthorized, "unauthorized", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, code, message)
    }
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(Kind::Internal, "internal", message)
    }
    /// A write refused because the disk (or file system) is full. Marks the
    /// store degraded; the next successful commit clears it.
    pub fn disk_full() -> Error {
        crate::metrics::set_disk_full(true);
        Error {
            kind: Kind::InsufficientStorage,
            code: "disk_full",
            message: "the server's disk is full; writes are refused until space is freed".into(),
            retry_after: Some(DISK_FULL_RETRY_AFTER),
        }
    }
    pub fn is_disk_full(&self) -> bool {
        self.kind == Kind::InsufficientStorage
    }
    /// A file-system error: disk full (ENOSPC, EDQUOT) becomes `disk_full`,
    /// anything else an internal error saying what failed.
    pub fn io(what: &str, e: std::io::Error) -> Error {
        if matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        ) {
            return Error::disk_full();
        }
        Error::internal(format!("{what}: {e}"))
    }
    pub fn rate_limited(retry_after: u64) -> Error {
        Error {
            kind: Kind::RateLimited,
            code: "rate_limited",
            message: "too many requests, try again later".into(),
            retry_after: Some(retry_after.max(1)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            if f.code == rusqlite::ErrorCode::ConstraintViolation {
                return Error::conflict("conflict", format!("constraint violated: {e}"));
            }
            // SQLITE_FULL: logged once by the disk-full state, not per request.
            if f.code == rusqlite::ErrorCode::DiskFull {
                return Error::disk_full();
            }
        }
        log::error!("database error: {e}");
        Error::internal("database error")
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::bad("invalid_json", e.to_string())
    }
}
