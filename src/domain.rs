//! The domain's values: what a conversation's status and a user's type can
//! be. The store reads and writes them (their numbers and names are the
//! database's, which are Support Board's), the desk reasons with them and
//! re-exports them (`desk::conversations::Status`, `desk::users::UserType`),
//! and each surface maps them to its own spelling. Every module may import
//! this one; it imports none of them.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A conversation's status. Serialized as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum Status {
    Live = 0,
    WaitingForUser = 1,
    WaitingForAgent = 2,
    Archive = 3,
    Trash = 4,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Live,
        Status::WaitingForUser,
        Status::WaitingForAgent,
        Status::Archive,
        Status::Trash,
    ];
    /// The inbox: live and both waiting states (the default of every list).
    pub const INBOX: [Status; 3] = [
        Status::Live,
        Status::WaitingForUser,
        Status::WaitingForAgent,
    ];

    pub fn from_code(code: i64) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
    /// A number given as text (`"2"`).
    pub fn parse_code(text: &str) -> Option<Status> {
        text.parse().ok().and_then(Status::from_code)
    }
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
    pub fn code(self) -> i64 {
        self as i64
    }
    pub fn name(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::WaitingForUser => "waiting_for_user",
            Status::WaitingForAgent => "waiting_for_agent",
            Status::Archive => "archive",
            Status::Trash => "trash",
        }
    }
    /// Archived or trashed: an answer does not reopen it.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Archive | Status::Trash)
    }
}

/// A user's type. Serialized as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserType {
    #[default]
    Visitor,
    Lead,
    User,
    Agent,
    Admin,
    Bot,
}

impl UserType {
    pub const ALL: [UserType; 6] = [
        UserType::Visitor,
        UserType::Lead,
        UserType::User,
        UserType::Agent,
        UserType::Admin,
        UserType::Bot,
    ];
    pub fn parse(name: &str) -> Option<UserType> {
        UserType::ALL.into_iter().find(|t| t.as_str() == name)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Visitor => "visitor",
            UserType::Lead => "lead",
            UserType::User => "user",
            UserType::Agent => "agent",
            UserType::Admin => "admin",
            UserType::Bot => "bot",
        }
    }
    /// Agents and admins: who can be assigned and who replies as staff.
    pub fn is_agent(self) -> bool {
        matches!(self, UserType::Agent | UserType::Admin)
    }
    /// Agents, admins and bots: the staff side of a conversation.
    pub fn is_staff(self) -> bool {
        self.is_agent() || self == UserType::Bot
    }
}

/// A domain value with a spelling clients send: a number or a name.
pub trait Spelled: Copy {
    type Raw: for<'de> Deserialize<'de>;
    fn read(raw: &Self::Raw) -> Option<Self>;
}

impl Spelled for Status {
    type Raw = i64;
    fn read(raw: &i64) -> Option<Status> {
        Status::from_code(*raw)
    }
}

impl Spelled for UserType {
    type Raw = String;
    fn read(raw: &String) -> Option<UserType> {
        UserType::parse(raw)
    }
}

/// A value as a client sent it: a known one, or what came instead. The
/// desk's JSON inputs hold these, so that the desk refuses an unknown value
/// where it checks that field (with that field's code, in its usual order),
/// not the JSON parser. Surfaces that map their own spelling send `Known`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent<T: Spelled> {
    Known(T),
    Unknown(T::Raw),
}

impl<T: Spelled> Sent<T> {
    /// What a client sent, known or not.
    pub fn read(raw: T::Raw) -> Sent<T> {
        match T::read(&raw) {
            Some(v) => Sent::Known(v),
            None => Sent::Unknown(raw),
        }
    }
    pub fn known(&self) -> Option<T> {
        match self {
            Sent::Known(v) => Some(*v),
            Sent::Unknown(_) => None,
        }
    }
}

impl<T: Spelled> From<T> for Sent<T> {
    fn from(v: T) -> Sent<T> {
        Sent::Known(v)
    }
}

impl<'de, T: Spelled> Deserialize<'de> for Sent<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sent<T>, D::Error> {
        T::Raw::deserialize(d).map(Sent::read)
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl Serialize for UserType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.code().into())
    }
}

impl FromSql for Status {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Status> {
        let code = i64::column_result(v)?;
        Status::from_code(code).ok_or(FromSqlError::OutOfRange(code))
    }
}

impl ToSql for UserType {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for UserType {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<UserType> {
        UserType::parse(v.as_str()?).ok_or(FromSqlError::InvalidType)
    }
}

/// Colours of initials avatars (a user's default, by id; `/avatars/*.svg`,
/// by letters), one palette so a person looks the same everywhere.
pub const AVATAR_COLORS: &[&str] = &[
    "#1abc9c", "#2e86de", "#8e44ad", "#e67e22", "#e74c3c", "#16a085", "#2c3e50", "#d35400",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(Status::from_name(s.name()), Some(s));
        }
        assert_eq!(Status::from_code(5), None);
        for t in UserType::ALL {
            assert_eq!(UserType::parse(t.as_str()), Some(t));
        }
        assert!(UserType::parse("owner").is_none());
    }

    #[test]
    fn sent_values_keep_what_is_unknown() {
        let s: Sent<Status> = serde_json::from_str("3").unwrap();
        assert_eq!(s, Sent::Known(Status::Archive));
        let s: Sent<Status> = serde_json::from_str("9").unwrap();
        assert_eq!((s.known(), s), (None, Sent::Unknown(9)));
        let t: Sent<UserType> = serde_json::from_str("\"owner\"").unwrap();
        assert_eq!(t, Sent::Unknown("owner".into()));
        assert_eq!(
            serde_json::json!([Status::Trash, UserType::Bot]),
            serde_json::json!([4, "bot"])
        );
    }
}
