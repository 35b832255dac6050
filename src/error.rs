//! One error type for store, desk and the API adapters, and the catalogue
//! of every error they raise (kept the way ntfy's `server/errors.go` keeps
//! its errors: one named entry each). An entry is a stable code, a kind
//! (which the HTTP layer maps to a status) and a default message; a call
//! site may say more in the message, never invent a code. Each surface
//! spells the code its own way at its edge: the REST API as it is,
//! Support Board through its table in `api/support_board/transport.rs`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    /// The request is well formed but cannot be processed (422): an
    /// Idempotency-Key sent again with another request.
    Unprocessable,
    TooLarge,
    UriTooLong,
    UnsupportedMediaType,
    RateLimited,
    HeadersTooLarge,
    Unavailable,
    /// The disk is full: writes are refused (507), reads still work.
    InsufficientStorage,
    Internal,
}

/// One catalogue entry: what a client can count on for an error.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// The stable code, as the REST API sends it.
    pub code: &'static str,
    /// The message when the call site has nothing to add.
    pub message: &'static str,
}

impl Entry {
    /// This error, with its default message.
    pub fn err(&self) -> Error {
        self.with(self.message)
    }
    /// This error, with a message saying more.
    pub fn with(&self, message: impl Into<String>) -> Error {
        Error {
            kind: self.kind,
            code: self.code,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// Declares the entries and `CATALOGUE`, the list of them all.
macro_rules! catalogue {
    ($($(#[$doc:meta])* $name:ident: $kind:ident, $code:literal, $message:literal;)*) => {
        $($(#[$doc])* pub const $name: Entry = Entry {
            kind: Kind::$kind,
            code: $code,
            message: $message,
        };)*
        /// Every entry.
        #[cfg(test)]
        const CATALOGUE: &[&Entry] = &[$(&$name),*];
    };
}

catalogue! {
    // Anywhere
    NOT_FOUND: NotFound, "not_found", "not found";
    FORBIDDEN: Forbidden, "forbidden", "not allowed";
    UNAUTHORIZED: Unauthorized, "unauthorized", "authentication required";
    CONFLICT: Conflict, "conflict", "constraint violated";
    INTERNAL: Internal, "internal", "internal error";
    RATE_LIMITED: RateLimited, "rate_limited", "too many requests, try again later";
    DISK_FULL: InsufficientStorage, "disk_full",
        "the server's disk is full; writes are refused until space is freed";
    SHUTTING_DOWN: Unavailable, "shutting_down", "server is shutting down";
    TOO_MANY_WAITERS: Unavailable, "too_many_waiters",
        "too many clients are waiting; retry shortly";
    TOO_MANY_UPLOADS: Unavailable, "too_many_uploads",
        "too many uploads are arriving at once; retry shortly";
    METHOD_NOT_ALLOWED: MethodNotAllowed, "method_not_allowed", "method not allowed here";
    /// A file the command line would overwrite (backup).
    EXISTS: Conflict, "exists", "the file already exists";

    // The request (the first five answered by tiny_http itself, before a handler)
    MALFORMED_REQUEST: BadRequest, "bad_request",
        "malformed request line, header (only ASCII is allowed) or chunked body";
    REQUEST_TIMEOUT: RequestTimeout, "request_timeout", "the request did not arrive in time";
    URI_TOO_LONG: UriTooLong, "uri_too_long", "the request line is too long";
    HEADERS_TOO_LARGE: HeadersTooLarge, "headers_too_large",
        "the request headers are too large or too many";
    TOO_MANY_CONNECTIONS: Unavailable, "too_many_connections",
        "too many open connections; retry shortly";
    BODY_TOO_LARGE: TooLarge, "body_too_large", "the request body is too large";
    READ_ERROR: BadRequest, "read_error", "cannot read the body";
    INVALID_UTF8: BadRequest, "invalid_utf8", "the body is not valid UTF-8";
    INVALID_JSON: BadRequest, "invalid_json", "the body is not valid JSON";
    INVALID_FIELD: BadRequest, "invalid_field", "a field is not valid here";
    UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaType, "unsupported_media_type",
        "send Content-Type: application/json";
    INVALID_PARAMETER: BadRequest, "invalid_parameter", "a query parameter is not valid";
    MISSING_NAME: BadRequest, "missing_name", "name is required";
    MISSING_URL: BadRequest, "missing_url", "url is required";
    MISSING_QUERY: BadRequest, "missing_query", "q is required";

    // Fields
    TOO_LONG: BadRequest, "too_long", "a field is too long";
    TOO_LARGE: BadRequest, "too_large", "a field is too large";
    TOO_MANY: BadRequest, "too_many", "too many items";
    INVALID_CHARACTERS: BadRequest, "invalid_characters",
        "a field must not contain control characters";
    DUPLICATE_ID: BadRequest, "duplicate_id", "an id is used twice";
    INVALID_ID: BadRequest, "invalid_id", "not a valid id (letters, digits, - and _)";
    INVALID_LANGUAGE: BadRequest, "invalid_language", "not a language code";
    INVALID_TIMEZONE: BadRequest, "invalid_timezone", "unknown time zone";

    // Credentials
    INVALID_CREDENTIALS: Unauthorized, "invalid_credentials", "wrong email or password";
    REVOKED: Unauthorized, "revoked", "the credential of this request was revoked";
    CSRF_FAILED: Forbidden, "csrf_failed", "missing or wrong X-CSRF-Token header";
    STAFF_ACCOUNT: Forbidden, "staff_account", "staff log in with their password";
    INVALID_ROLE: BadRequest, "invalid_role", "role must be admin or agent";
    WEAK_PASSWORD: BadRequest, "weak_password", "password must have at least 8 characters";
    PASSWORD_TOO_LONG: BadRequest, "password_too_long", "password must be at most 72 bytes";

    // Users
    EMAIL_TAKEN: Conflict, "email_taken", "a user with this email already exists";
    EXTERNAL_ID_TAKEN: Conflict, "external_id_taken",
        "a user with this external id already exists";
    INVALID_EMAIL: BadRequest, "invalid_email", "email is not a valid address";
    INVALID_TYPE: BadRequest, "invalid_type", "unknown user type";
    MISSING_EMAIL: BadRequest, "missing_email", "an email address is required";
    BOT_USER: Conflict, "bot_user", "the bot user cannot be changed";
    SELF_DELETE: Conflict, "self_delete", "you cannot delete your own account";
    SELF_DISABLE: Conflict, "self_disable", "you cannot disable your own account";
    INVALID_SORTING: BadRequest, "invalid_sorting", "users cannot be sorted that way";

    // Conversations and messages
    INVALID_STATUS: BadRequest, "invalid_status",
        "status must be 0 (live), 1, 2, 3 (archive) or 4 (trash)";
    INVALID_AGENT: BadRequest, "invalid_agent", "agent_id is not an active agent or admin";
    INVALID_USER: BadRequest, "invalid_user", "user_id does not exist";
    INVALID_DEPARTMENT: BadRequest, "invalid_department", "department does not exist";
    MISSING_USER_ID: BadRequest, "missing_user_id", "user_id is required";
    NAME_TAKEN: Conflict, "name_taken", "a department with this name exists";
    EMPTY_MESSAGE: BadRequest, "empty_message", "a message needs a body or an attachment";
    TOO_MANY_ATTACHMENTS: BadRequest, "too_many_attachments",
        "at most 10 attachments per message";
    INVALID_ATTACHMENT: BadRequest, "invalid_attachment",
        "attachment url must be http(s) or a path on this server";
    INVALID_AVATAR: BadRequest, "invalid_avatar", "that links to a file that is not yours";
    INVALID_COLOR: BadRequest, "invalid_color", "color must be #rrggbb";
    DELETED: Conflict, "deleted", "the message was deleted";

    // Uploads
    EMPTY_FILE: BadRequest, "empty_file", "the file is empty";
    FILE_TOO_LARGE: TooLarge, "file_too_large", "the file is too large";
    FILE_TYPE_NOT_ALLOWED: UnsupportedMediaType, "file_type_not_allowed",
        "files of this type are not accepted";
    UPLOAD_TYPE_MISMATCH: UnsupportedMediaType, "upload_type_mismatch",
        "the file is not of the type it claims";
    /// An upload link without a valid signature, for someone outside the conversation.
    UNSIGNED_LINK: Forbidden, "invalid_link",
        "this link is not signed or has expired; open the conversation again for a fresh one";

    // The widget
    IDENTITY_INVALID: Forbidden, "identity_invalid", "the identity hash does not match";
    IDENTITY_REQUIRED: Forbidden, "identity_required", "this site requires a verified identity";
    EMAIL_NOT_ALLOWED: Forbidden, "email_not_allowed",
        "a transcript goes only to the contact's own email address";
    INVALID_RATING: BadRequest, "invalid_rating", "rating must be 1 or -1";
    TRANSCRIPT_LIMIT: RateLimited, "transcript_limit", "too many transcripts, try again later";

    // The knowledge base
    /// Kebab case: the REST API has answered it so from the start.
    ARTICLE_NOT_FOUND: NotFound, "article-not-found", "article not found";
    MISSING_TITLE: BadRequest, "missing_title", "every article needs a title";
    INVALID_LINK: BadRequest, "invalid_link", "link must be an http(s) URL";

    // Automations
    INVALID_AUTOMATION: BadRequest, "invalid_automation", "automations are objects";
    INVALID_AUTOMATION_TYPE: BadRequest, "invalid_automation_type",
        "not an automation type";
    INVALID_CONDITIONS: BadRequest, "invalid_conditions", "conditions must be an array";
    INVALID_CONDITION: BadRequest, "invalid_condition", "not a valid condition";
    INVALID_TRANSLATIONS: BadRequest, "invalid_translations",
        "translations are {language: {type: [...]}}";
    MISSING_MESSAGE: BadRequest, "missing_message", "the automation has no message";
    NOT_APPLICABLE: Conflict, "not_applicable",
        "this automation does not apply to you now (or already ran)";

    // Delivery channels without a provider
    EMAIL_NOT_CONFIGURED: Conflict, "email_not_configured", "no email provider is configured";
    MAILBOX_UNAVAILABLE: Unavailable, "mailbox_unavailable",
        "the mailbox server did not answer as expected";
    SMS_NOT_CONFIGURED: Conflict, "sms_not_configured", "no sms provider is configured";
    WHATSAPP_NOT_CONFIGURED: Conflict, "whatsapp_not_configured",
        "no whatsapp provider is configured";
    MESSENGER_NOT_CONFIGURED: Conflict, "messenger_not_configured",
        "no messenger provider is configured";
    TELEGRAM_NOT_CONFIGURED: Conflict, "telegram_not_configured",
        "no telegram provider is configured";
    VIBER_NOT_CONFIGURED: Conflict, "viber_not_configured", "no viber provider is configured";
    LINE_NOT_CONFIGURED: Conflict, "line_not_configured", "no line provider is configured";
    WECHAT_NOT_CONFIGURED: Conflict, "wechat_not_configured", "no wechat provider is configured";
    MESSAGING_PLATFORM_NOT_CONFIGURED: Conflict, "messaging_platform_not_configured",
        "no messaging platform provider is configured";

    // Messaging platforms (src/channels/)
    CHANNEL_SIGNATURE: Forbidden, "bad_signature",
        "the request is not signed the way the platform signs it";
    CHANNEL_PAYLOAD: BadRequest, "invalid_channel_payload",
        "the platform's request cannot be read";
    UNKNOWN_CHANNEL: NotFound, "unknown_channel", "no such messaging platform";
    CHANNEL_NOT_CONFIGURED: NotFound, "channel_not_configured",
        "this messaging platform is not configured";
    PUBLIC_URL_UNKNOWN: Conflict, "public_url_unknown",
        "this server does not know its public address: set FRONTPORCH_PUBLIC_URL";
    CHANNEL_UNAVAILABLE: Conflict, "channel_unavailable",
        "this messaging platform is not available in this version";
    INVALID_CHANNEL_SETTINGS: BadRequest, "invalid_channel_settings",
        "channels.<name> / sms.* settings are not valid";
    /// Free text outside the platform's reply window (WhatsApp: 24 hours
    /// after the customer's last message): only a template may be sent.
    REPLY_WINDOW_CLOSED: Conflict, "reply_window_closed",
        "the platform's reply window is closed: only a template can be sent";
    UNKNOWN_TEMPLATE: BadRequest, "unknown_template",
        "no such message template (see the setting channels.<name>.templates)";
    NO_TEMPLATES: Conflict, "no_templates", "this conversation's platform has no message templates";

    // Agent commands (src/desk/commands/): the engine
    UNKNOWN_COMMAND: BadRequest, "unknown_command", "no such command";
    // Commands: dot commands (dot.rs) and their REST
    INVALID_COMMAND: BadRequest, "invalid_command", "not a valid dot command";
    COMMAND_EXISTS: Conflict, "command_exists", "a command with this name exists";
    COMMAND_IN_USE: Conflict, "command_in_use", "an alias points to this command";
    /// Server commands running at once, at most 4.
    TOO_MANY_COMMANDS: Unavailable, "too_many_commands",
        "too many server commands are running; try again in a moment";

    // Commands: participants and the /v2 surface (participants.rs, api/chatshipper/)
    /// `/assign` without `meta.users` as an array of user ids.
    INVALID_USERS: BadRequest, "invalid_users", "meta.users must be an array of user ids";
    /// `/leave` (or `/close`) by someone who is no participant, or left.
    NOT_PARTICIPANT: Conflict, "not_participant", "the user is no participant of this conversation";
    /// `/accept` on an archived or trashed conversation.
    CONVERSATION_CLOSED: Conflict, "conversation_closed",
        "the conversation is closed: /notify queues it again first";
    /// A `/v2` message of a type this server does not take.
    UNSUPPORTED_MESSAGE_TYPE: BadRequest, "unsupported_message_type",
        "type must be command or chat (the ChatShipper message types this server takes)";

    // Commands: /set, /action, /import (props.rs, actions.rs, import.rs)
    INVALID_PROPERTY: BadRequest, "invalid_property",
        "/set takes @name, @category, @touchpoint or @language and a value, a key and a value, or meta";
    UNKNOWN_CATEGORY: BadRequest, "unknown_category", "no such category in the conversation's department";
    NO_CATEGORIES: Conflict, "no_department",
        "the conversation has no department, so no categories; give it a department first";
    INVALID_META_KEY: BadRequest, "invalid_meta_key",
        "a meta key is 1 to 64 characters and does not start with _";
    INVALID_ACTION: BadRequest, "invalid_action", "/action takes like, or comment and a text";
    TOO_MANY_LIKES: Conflict, "too_many_likes", "a message can have at most 100 likes";
    TOO_MANY_COMMENTS: Conflict, "too_many_comments", "a message can have at most 10 comments";
    IMPORT_REFUSED: Conflict, "import_refused", "this conversation cannot be imported here";

    // Commands: /notify, routing, /block (notify.rs, block.rs)
    /// A department's parent that does not exist, makes a cycle or a tree
    /// deeper than 10 levels.
    INVALID_PARENT: BadRequest, "invalid_parent", "parent_id is not a department this one may sit under";
    INVALID_ROUTING: BadRequest, "invalid_routing",
        "routing is {\"policy\": \"none\" or \"round_robin\", \"capacity\": 1 to 1000}";
    INVALID_CHANNEL: BadRequest, "invalid_channel",
        "a channel is email, sms or push with a staff user_id, or webhook with an endpoint_id";
    /// `/notify` on a conversation an agent has accepted.
    NOT_CLOSED: Conflict, "not_closed", "the conversation is active; only a closed or queued conversation can be notified";
    /// `/notify` with `meta.channels` or `meta.organizations` naming what does not exist.
    UNKNOWN_NOTIFY_CHANNEL: BadRequest, "unknown_notify_channel",
        "meta.channels names a channel that does not exist";
    UNKNOWN_ORGANIZATION: BadRequest, "unknown_organization",
        "meta.organizations names a department that does not exist";
    /// `/block` in a conversation whose owner is staff.
    NOT_BLOCKABLE: BadRequest, "not_blockable", "only a visitor or contact can be blocked";
    /// A blocked contact or address starting a session or posting.
    BLOCKED: Forbidden, "blocked",
        "You cannot start a chat here. If you think this is a mistake, contact the site owner.";

    // Commands: forms and /send (forms.rs)
    INVALID_FORM: BadRequest, "invalid_form", "the form is not valid";
    TOO_MANY_FORMS: Conflict, "too_many_forms", "an install keeps at most 200 forms";
    INVALID_ANSWERS: BadRequest, "invalid_answers", "the answers do not fit the form";
    FORM_NOT_OFFERED: Conflict, "form_not_offered",
        "the form is not offered in this conversation's department and category";
    FORM_ALREADY_OPEN: Conflict, "form_already_open", "the form is already open in this conversation";
    FORM_NOT_COMPLETED: Conflict, "form_not_completed",
        "meta.form must be a completed form of this conversation";
    NO_COMPLETED_FORMS: Conflict, "no_completed_forms", "no form of this conversation is completed";

    // Settings, webhooks, reports
    INVALID_KEY: BadRequest, "invalid_key", "invalid setting name";
    WEAK_SECRET: BadRequest, "weak_secret", "the identity secret is too weak";
    INVALID_SETTINGS: BadRequest, "invalid_settings", "the file is not a JSON object";
    INVALID_EMAIL_SETTINGS: BadRequest, "invalid_email_settings",
        "email.smtp / email.imap / email.templates are not valid";
    FETCH_FAILED: BadRequest, "fetch_failed", "cannot fetch the file";
    /// A file fetched for an import, larger than allowed.
    FETCH_TOO_LARGE: TooLarge, "too_large", "the file is too large";
    INVALID_EVENT_KIND: BadRequest, "invalid_event_kind", "invalid event kind";
    INVALID_FORMAT: BadRequest, "invalid_format", "not a webhook format (standard, support_board, chatshipper, chat2desk)";
    ENDPOINT_DISABLED: Conflict, "endpoint_disabled", "the endpoint is disabled; enable it first";
    INVALID_URL: BadRequest, "invalid_url", "not a valid URL";
    PRIVATE_ADDRESS: BadRequest, "private_address", "url resolves to a private address";
    INVALID_DATE: BadRequest, "invalid_date", "not a date (dd/mm/yyyy or yyyy-mm-dd)";
    INVALID_REPORT: BadRequest, "invalid_report", "not a report name";
    /// A Web Push subscription whose keys a browser could not have made.
    INVALID_SUBSCRIPTION: BadRequest, "invalid_subscription",
        "keys.p256dh must be a P-256 public key and keys.auth 16 bytes, base64url";

    // Issue 14, part A: TalkJS's REST API (api/talkjs/, desk/talkjs.rs)

    // Issue 14, part B: Chat2Desk's API and webhooks (api/chat2desk/, desk/chat2desk.rs)
    /// `messages/inbox` naming its client by both or neither of `id` and `phone`.
    C2D_CLIENT: BadRequest, "c2d_client", "send exactly one of id or phone to name the client";
    /// `tags/assign_to` with an `assignee_type` other than client or request.
    C2D_ASSIGNEE: BadRequest, "c2d_assignee", "assignee_type must be client or request";

    // Issue 14, part C: tags and quality scores (desk/tags.rs, desk/scores.rs)
    INVALID_TAG: BadRequest, "invalid_tag",
        "label (1-40 characters), group_name, description (up to 200) and colours (#rrggbb) must be valid";
    TAG_EXISTS: Conflict, "tag_exists", "a tag with this label exists";
    TOO_MANY_TAGS: Conflict, "too_many_tags", "an install keeps at most 500 tags";
    INVALID_SCORE: BadRequest, "invalid_score", "score must be a whole number on the request's scale";
    SCORE_NOT_ASKED: Conflict, "score_not_asked", "this request was not asked for a score";
    ALREADY_SCORED: Conflict, "already_scored", "this request has its score";
    INVALID_SCORES_SETTING: BadRequest, "invalid_scores_setting",
        "scores must be {enabled, scale (2-10), question, tags: {score: tag_id}}";

    // Issue 14, part D: macros, keyword bots, the menu (desk/steps.rs, macros.rs, keyword_bots.rs, menu.rs)
    INVALID_STEPS: BadRequest, "invalid_steps",
        "steps must be a list of at most 20 known actions whose ids exist, texts and URLs valid";
    INVALID_MACRO: BadRequest, "invalid_macro", "name (1-80 characters) and steps must be valid";
    MACRO_EXISTS: Conflict, "macro_exists", "a macro with this name exists";
    TOO_MANY_MACROS: Conflict, "too_many_macros", "an install keeps at most 200 macros";
    INVALID_KEYWORD_BOT: BadRequest, "invalid_keyword_bot",
        "name (1-80 characters), keywords (1-50, each 1-100 characters), cooldown_s (0-604800) and steps must be valid";
    TOO_MANY_KEYWORD_BOTS: Conflict, "too_many_keyword_bots", "an install keeps at most 100 keyword bots";
    INVALID_MENU: BadRequest, "invalid_menu",
        "menu: enabled, text (1-2000 characters), 1-9 items with key \"1\"..\"9\", a label and valid steps";

    // Issue 14, part E: the embedded inbox (desk/embed.rs, api/embed.rs)
    EMBED_TOKEN_INVALID: Unauthorized, "embed_token_invalid",
        "the embed token is unknown, already used, expired or revoked";
    EMBED_NEEDS_API_TOKEN: Forbidden, "embed_needs_api_token",
        "embed tokens are made with an admin API token, server-side";
    INVALID_EMBED_TTL: BadRequest, "invalid_embed_ttl", "ttl_s must be 1 to 300 seconds";
    INVALID_EMBED_USER: BadRequest, "invalid_embed_user",
        "give exactly one of user_id and email, naming an enabled agent or admin";
    INVALID_EMBED_VIEW: BadRequest, "invalid_embed_view",
        "minified_view must be 1, 2 or 3 (2 and 3 need a dialog_id)";

    // The arguments of Support Board functions (only that surface raises these)
    SECURITY_ERROR: Forbidden, "security_error", "an admin API token is required";
    MISSING_FUNCTION: BadRequest, "missing_function", "function is required";
    FUNCTION_NOT_SUPPORTED: BadRequest, "function_not_supported",
        "not a Support Board function Frontporch answers";
    INVALID_ARGUMENTS: BadRequest, "invalid_arguments", "the arguments are not valid";
    INVALID_ARTICLES: BadRequest, "invalid_articles", "articles must be an array";
    INVALID_AUTOMATIONS: BadRequest, "invalid_automations",
        "automations must be an object of arrays by type";
    INVALID_CATEGORIES: BadRequest, "invalid_categories", "categories must be an array";
    INVALID_LOGIN: BadRequest, "invalid_login", "login is not a valid login";
    MISSING_ARGUMENTS: BadRequest, "missing_arguments", "an argument is missing";
    MISSING_ARTICLE_ID: BadRequest, "missing_article_id", "article_id is required";
    MISSING_ARTICLES: BadRequest, "missing_articles",
        "articles is required (an empty JSON array clears them)";
    MISSING_CONVERSATION_ID: BadRequest, "missing_conversation_id",
        "settings.conversation_id is required";
    MISSING_FILE_URL: BadRequest, "missing_file_url", "file_url is required";
    MISSING_LOGIN: BadRequest, "missing_login", "login (the value login returned) is required";
    MISSING_AGENT_ID: BadRequest, "missing_agent_id", "agent_id is required";
    MISSING_MESSAGE_ID: BadRequest, "missing_message_id", "message_id is required";
    MISSING_MESSAGE_IDS: BadRequest, "missing_message_ids", "message_ids is required";
    MISSING_NOTE_ID: BadRequest, "missing_note_id", "note_id is required";
    MISSING_SETTING: BadRequest, "missing_setting", "setting is required";
    MISSING_USER_ID_OR_MESSAGE: BadRequest, "missing_user_id_or_message",
        "a user id and a message are required";
    MISSING_USER_IDS: BadRequest, "missing_user_ids", "user_ids is required";
    USER_EMAIL_NOT_FOUND: BadRequest, "user_email_not_found", "the user has no email address";
    USER_NOT_FOUND: NotFound, "user_not_found", "user not found";
    USER_OR_SENDER_NOT_FOUND: NotFound, "user_or_sender_not_found", "user not found";
    NOTE_NOT_FOUND: NotFound, "note_not_found", "note not found";

    // Issue 14, part A: TalkJS's REST API (`/v1/{appId}`)
    /// `{appId}` is not this install's `talkjs.app_id`.
    APP_NOT_FOUND: NotFound, "app_not_found", "no app has this id";
    /// A conversation's participant that is no TalkJS user yet.
    UNKNOWN_PARTICIPANT: BadRequest, "unknown_participant",
        "a participant is not a user: PUT the user first";
    /// A new conversation without a contact among its participants.
    MISSING_PARTICIPANTS: BadRequest, "missing_participants",
        "a new conversation needs participants, at least one of them not staff";
    SENDER_NOT_PARTICIPANT: BadRequest, "sender_not_participant",
        "the sender is not a participant of the conversation";
    MISSING_SENDER: BadRequest, "missing_sender", "a UserMessage needs a sender";
    SYSTEM_MESSAGE_SENDER: BadRequest, "system_message_sender",
        "a SystemMessage has no sender (type must be UserMessage when sender is given)";
    INVALID_MESSAGE_TYPE: BadRequest, "invalid_message_type",
        "type must be UserMessage or SystemMessage";
    /// A TalkJS PUT of a user id that a staff member (or the bot) has.
    STAFF_PROFILE: Conflict, "staff_profile",
        "this id is a staff member's; their profile is managed in Frontporch";
    IDEMPOTENCY_KEY_REUSED: Unprocessable, "idempotency_key_reused",
        "this Idempotency-Key was sent with another request";
    /// A setting the server generates (`talkjs.app_id`).
    READ_ONLY_SETTING: BadRequest, "read_only_setting", "this setting cannot be changed";
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
    /// Whether this is the catalogue's `entry`.
    pub fn is(&self, entry: &Entry) -> bool {
        self.kind == entry.kind && self.code == entry.code
    }
    /// Tells the client to wait `seconds` (at least one) before retrying.
    pub fn retry_in(mut self, seconds: u64) -> Error {
        self.retry_after = Some(seconds.max(1));
        self
    }
    pub fn not_found(what: &str) -> Error {
        NOT_FOUND.with(format!("{what} not found"))
    }
    pub fn forbidden(message: impl Into<String>) -> Error {
        FORBIDDEN.with(message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Error {
        UNAUTHORIZED.with(message)
    }
    pub fn internal(message: impl Into<String>) -> Error {
        INTERNAL.with(message)
    }
    /// A write refused because the disk (or file system) is full. Marks the
    /// store degraded; the next successful commit clears it.
    pub fn disk_full() -> Error {
        crate::metrics::set_disk_full(true);
        DISK_FULL.err().retry_in(DISK_FULL_RETRY_AFTER)
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
        RATE_LIMITED.err().retry_in(retry_after)
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
                return CONFLICT.with(format!("constraint violated: {e}"));
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
        INVALID_JSON.with(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_and_kind_name_one_entry() {
        let mut seen: Vec<(Kind, &str)> = CATALOGUE.iter().map(|e| (e.kind, e.code)).collect();
        let all = seen.len();
        seen.sort_unstable_by_key(|(k, c)| (*c, *k as u8));
        seen.dedup();
        assert_eq!(seen.len(), all, "two entries share a code and kind");
    }
}
