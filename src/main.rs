//! Frontporch: a self-hosted live chat and customer-support server.
//! The command line: `serve` (default), `admin`, `token`, `backup`, `version`.

mod api;
mod app;
mod channels;
mod config;
mod delivery;
mod desk;
mod domain;
mod error;
mod http;
mod links;
mod mail_in;
mod metrics;
mod realtime;
mod store;
mod text_format;
mod tz;
mod util;
mod webhook_formats;

use config::Config;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const USAGE: &str = "frontporch — self-hosted live chat and customer support

Usage:
  frontporch [serve] [--data DIR] [--addr HOST:PORT] [--init]
  frontporch admin create --email E --password P [--role admin|agent] [--name NAME]
  frontporch admin reset-password --email E [--password P]
  frontporch token create --name N [--role admin|agent]
  frontporch backup FILE
  frontporch mail-in < MESSAGE
  frontporch version

Every command takes --data DIR (or FRONTPORCH_DATA; default ./frontporch-data)
and works while a server runs on the same data. `COMMAND --help` for more.
";

struct Args {
    positional: Vec<String>,
    flags: Vec<(String, String)>,
    help: bool,
}

fn parse_args(raw: Vec<String>) -> Result<Args, String> {
    let mut a = Args {
        positional: Vec::new(),
        flags: Vec::new(),
        help: false,
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        if arg == "--help" || arg == "-h" {
            a.help = true;
        } else if arg == "--init" {
            // The one flag without a value.
            a.flags.push(("init".into(), "1".into()));
        } else if let Some(name) = arg.strip_prefix("--") {
            let (k, v) = match name.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (
                    name.to_string(),
                    it.next().ok_or_else(|| format!("--{name} needs a value"))?,
                ),
            };
            a.flags.push((k, v));
        } else {
            a.positional.push(arg);
        }
    }
    Ok(a)
}

impl Args {
    fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self
            .flags
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()))
        {
            Some((k, _)) => Err(format!("unknown option --{k}")),
            None => Ok(()),
        }
    }
}

fn main() -> ExitCode {
    // tiny_http spawns a thread per connection; small stacks keep thousands
    // of them cheap. Must be set before the first thread starts.
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        std::env::set_var("RUST_MIN_STACK", "131072");
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn config(args: &Args) -> Result<Config, String> {
    let mut c = Config::from_env()?;
    if let Some(d) = args.flag("data") {
        c.data_dir = d.into();
    }
    if let Some(a) = args.flag("addr") {
        c.addr = a.into();
    }
    c.init |= args.flag("init").is_some();
    // Before anything opens (and so creates) the database.
    store::install::check(&c.data_dir, c.init)?;
    Ok(c)
}

fn run(args: Args) -> Result<(), String> {
    let cmd: Vec<&str> = args.positional.iter().map(String::as_str).collect();
    match cmd.as_slice() {
        [] | ["serve"] => {
            if args.help {
                print!("{}", HELP_SERVE);
                return Ok(());
            }
            args.only(&["data", "addr", "init"])?;
            serve(config(&args)?)
        }
        ["version"] => {
            println!("frontporch {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        ["admin", "create"] => {
            if args.help {
                print!("frontporch admin create --email E --password P [--role admin|agent] [--name NAME] [--data DIR]\n\nCreates a staff account that can log in to the inbox.\n");
                return Ok(());
            }
            args.only(&["data", "email", "password", "role", "name"])?;
            let desk = open_desk(&config(&args)?)?;
            let email = args.flag("email").ok_or("--email is required")?;
            let password = args.flag("password").ok_or("--password is required")?;
            let role = args.flag("role").unwrap_or("admin");
            if !matches!(role, "admin" | "agent") {
                return Err("--role must be admin or agent".into());
            }
            let (first, last) = split_name(args.flag("name").unwrap_or(""));
            let f = store::users::UserFields {
                user_type: Some(desk::Sent::read(role.into())),
                email: Some(email.into()),
                password: Some(password.into()),
                first_name: Some(first),
                last_name: Some(last),
                ..Default::default()
            };
            let u = desk.create_user(None, f).map_err(|e| e.to_string())?;
            println!("created {role} {} (id {})", email, u.id);
            desk.shutdown();
            Ok(())
        }
        ["admin", "reset-password"] => {
            if args.help {
                print!("frontporch admin reset-password --email E [--password P] [--data DIR]\n\nSets a new password (printed once when not given) and ends the user's sessions.\n");
                return Ok(());
            }
            args.only(&["data", "email", "password"])?;
            let desk = open_desk(&config(&args)?)?;
            let email = args.flag("email").ok_or("--email is required")?;
            let generated = util::random_token("", 12);
            let password = args.flag("password").unwrap_or(&generated);
            desk.reset_password(email, password)
                .map_err(|e| e.to_string())?;
            if args.flag("password").is_none() {
                println!("new password for {email}: {password}");
            } else {
                println!("password changed for {email}");
            }
            desk.shutdown();
            Ok(())
        }
        ["token", "create"] => {
            if args.help {
                print!("frontporch token create --name N [--role admin|agent] [--data DIR]\n\nPrints a new API token once; only its hash is stored.\n");
                return Ok(());
            }
            args.only(&["data", "name", "role"])?;
            let desk = open_desk(&config(&args)?)?;
            let name = args.flag("name").ok_or("--name is required")?;
            let (token, _) = desk
                .create_token(None, name, args.flag("role").unwrap_or("agent"))
                .map_err(|e| e.to_string())?;
            println!("{token}");
            desk.shutdown();
            Ok(())
        }
        ["backup", file] => {
            args.only(&["data"])?;
            let c = config(&args)?;
            let conn = store::Store::open_migrated(&c.db_path(), c.durability)
                .map_err(|e| e.to_string())?;
            store::backup(&conn, std::path::Path::new(file)).map_err(|e| e.to_string())?;
            println!("backup written to {file}");
            Ok(())
        }
        ["mail-in"] => {
            if args.help {
                print!("{}", mail_in::cli::HELP);
                return Ok(());
            }
            args.only(&["data"])?;
            mail_in::cli::run(|| {
                let c = config(&args)?;
                Ok((open_desk(&c)?, c.max_upload))
            })
        }
        ["backup"] if args.help => {
            print!("frontporch backup FILE [--data DIR]\n\nWrites a consistent copy of the database (VACUUM INTO), safe while the server runs.\n");
            Ok(())
        }
        _ if args.help => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command {:?}\n\n{USAGE}", cmd.join(" "))),
    }
}

const HELP_SERVE: &str = "frontporch serve [--data DIR] [--addr HOST:PORT] [--init]

Serves the widget, the inbox and the APIs. Creates DIR/frontporch.db on first
start and prints the first admin's email and one-time password. When DIR has
no database but shows an earlier install (the .frontporch-install marker,
files in uploads/, links.key, SQLite side files), it refuses to start; --init
starts over with an empty database there.

Environment:
  FRONTPORCH_DATA               data directory (default ./frontporch-data)
  FRONTPORCH_ADDR               listen address (default 0.0.0.0:8080; 127.0.0.1:0 picks a port)
  FRONTPORCH_ADMIN_EMAIL        first admin's email (first start only)
  FRONTPORCH_ADMIN_PASSWORD     first admin's password (first start only)
  FRONTPORCH_SYNC               full (default: durable on power loss) or normal
  FRONTPORCH_CHECKPOINTS=litestream   leave WAL checkpoints to Litestream (default on)
  FRONTPORCH_BCRYPT_COST        password hashing cost, 4..16 (default 11)
  FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS=1   allow webhooks to loopback/private addresses
  FRONTPORCH_TRUST_PROXY=1      take the client IP from X-Forwarded-For
  FRONTPORCH_SECURE_COOKIES=1   mark the session cookie Secure (HTTPS)
  FRONTPORCH_HTTP_WORKERS       request handler threads (default 64)
  FRONTPORCH_MAX_WAITERS        long-poll/SSE clients held at once (default 20000)
  FRONTPORCH_MAX_BODY           largest request body in bytes (default 1048576)
  FRONTPORCH_PUBLIC_URL         this server's public URL (Support Board webhooks' sender-url)
  FRONTPORCH_RATE_LIMITS=off    disable rate limits (test rigs, trusted networks only)
  FRONTPORCH_MAX_UPLOAD         largest file upload in bytes (default 10485760)
  RUST_LOG                      log filter (default info)
";

fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((f, l)) => (f.to_string(), l.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// A desk for CLI commands: its own writer beside any running server.
fn open_desk(c: &Config) -> Result<desk::Desk, String> {
    let conn =
        store::Store::open_migrated(&c.db_path(), c.durability).map_err(|e| e.to_string())?;
    let last = store::events::max_id(&conn).map_err(|e| e.to_string())?;
    drop(conn);
    let hub = realtime::Hub::new(last, 1, std::time::Duration::from_secs(1));
    let store = store::Store::open(
        &c.db_path(),
        c.durability,
        c.checkpoints,
        Box::new(|_| {}),
        webhook_formats::fan_out,
    )
    .map_err(|e| e.to_string())?;
    desk::Desk::new(store, hub, c.bcrypt_cost, c.data_dir.clone(), &c.public_url)
        .map_err(|e| e.to_string())
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn raise_fd_limit() {
    // SAFETY: plain libc calls on a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn serve(c: Config) -> Result<(), String> {
    raise_fd_limit();
    http::install_panic_hook();
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
    }
    let started = std::time::Instant::now();
    let path = c.db_path();
    let conn = store::Store::open_migrated(&path, c.durability).map_err(|e| e.to_string())?;
    let last = store::events::max_id(&conn).map_err(|e| e.to_string())?;
    drop(conn);
    let hub = realtime::Hub::new(
        last,
        c.max_waiters,
        std::time::Duration::from_secs(c.poll_seconds),
    );
    let delivery_slot: Arc<std::sync::OnceLock<Arc<delivery::Delivery>>> =
        Arc::new(std::sync::OnceLock::new());
    let hook = {
        let (hub, slot) = (hub.clone(), delivery_slot.clone());
        Box::new(move |events: &[Arc<store::Event>]| {
            hub.publish(events);
            if let Some(d) = slot.get() {
                d.notify();
            }
        })
    };
    let store = store::Store::open(
        &path,
        c.durability,
        c.checkpoints,
        hook,
        webhook_formats::fan_out,
    )
    .map_err(|e| e.to_string())?;
    let desk = Arc::new(
        desk::Desk::new(
            store.clone(),
            hub.clone(),
            c.bcrypt_cost,
            c.data_dir.clone(),
            &c.public_url,
        )
        .map_err(|e| e.to_string())?,
    );
    first_admin(&desk, &c)?;
    desk::commands::server::allow_private_addresses(c.allow_private_webhooks);
    let delivery = delivery::Delivery::start(
        store.clone(),
        delivery::Settings {
            workers: c.webhook_workers,
            allow_private: c.allow_private_webhooks,
            retry_base_ms: c.retry_base_ms,
            retry_window_ms: c.retry_window_ms,
            sender_url: c.public_url.clone(),
            links: desk.links.clone(),
            data_dir: c.data_dir.clone(),
        },
    );
    let _ = delivery_slot.set(delivery.clone());
    mail_in::poller::start(desk.clone(), c.max_upload, &STOP);
    desk::channel_media::start(
        desk.clone(),
        c.max_upload,
        c.allow_private_webhooks,
        c.retry_base_ms,
        &STOP,
    );
    let listener = std::net::TcpListener::bind(&c.addr)
        .map_err(|e| format!("cannot listen on {}: {e}", c.addr))?;
    let app = Arc::new(app::App {
        config: c.clone(),
        desk: desk.clone(),
        delivery: delivery.clone(),
        limits: http::ratelimit::Limiter::new(c.rate_limits),
    });
    let server = http::serve(app, listener, c.http_workers).map_err(|e| e.to_string())?;
    log::info!(
        "data {} (synchronous={}), {} workers, started in {:?}",
        path.display(),
        c.durability.pragma(),
        c.http_workers,
        started.elapsed()
    );
    println!("listening on http://{}", server.addr);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    log::info!("shutting down: finishing requests under way");
    hub.release_all();
    server.drain(std::time::Duration::from_secs(10));
    delivery.shutdown();
    store.shutdown();
    log::info!("stopped");
    Ok(())
}

/// On the very first start: the first admin, from the environment or with a
/// generated password printed once.
fn first_admin(desk: &desk::Desk, c: &Config) -> Result<(), String> {
    if desk.has_admin().map_err(|e| e.to_string())? {
        return Ok(());
    }
    let email = c
        .admin_email
        .clone()
        .unwrap_or_else(|| "admin@localhost.localdomain".into());
    let generated = util::random_token("", 12);
    let password = c
        .admin_password
        .clone()
        .unwrap_or_else(|| generated.clone());
    let f = store::users::UserFields {
        user_type: Some(desk::users::UserType::Admin.into()),
        email: Some(email.clone()),
        password: Some(password.clone()),
        first_name: Some("Admin".into()),
        ..Default::default()
    };
    desk.create_user(None, f)
        .map_err(|e| format!("cannot create the first admin: {e}"))?;
    if c.admin_password.is_some() {
        println!("first admin: {email} (password from FRONTPORCH_ADMIN_PASSWORD)");
    } else {
        println!(
            "first admin: {email} password: {password} (shown once; change it after logging in)"
        );
    }
    Ok(())
}
