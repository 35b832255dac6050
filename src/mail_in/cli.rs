//! `frontporch mail-in`: one piped message, and the exit codes an MTA reads
//! (sysexits: 75 retries, 65 bounces).

use crate::desk::Desk;

pub const HELP: &str = "frontporch mail-in [--data DIR] < MESSAGE

Imports one RFC 5322 message read on stdin (at most 25 MiB) into its
conversation, while a server runs on the same data or not: for a Postfix or
Exim alias such as `support: \"| frontporch mail-in --data DIR\"`.
Exit 0: imported, or logged (auto-replies, repeats; bad mail kept as .eml
under DIR/mail/failed/). Exit 75 (EX_TEMPFAIL): nothing was recorded, the
MTA retries (the message is kept as .eml too when possible). Exit 65
(EX_DATAERR): too large, the MTA bounces it to its sender.
";

const EX_DATAERR: i32 = 65;
const EX_TEMPFAIL: i32 = 75;

/// Reads stdin and imports it with the desk `open` gives (and the upload
/// size limit); exits the process on failure.
pub fn run(open: impl FnOnce() -> Result<(Desk, usize), String>) -> Result<(), String> {
    use std::io::Read;
    let max = super::parse::MAX_RAW;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(max as u64 + 1)
        .read_to_end(&mut raw)
    {
        eprintln!("error: cannot read the message: {e}");
        std::process::exit(EX_TEMPFAIL);
    }
    if raw.len() > max {
        eprintln!("error: the message is larger than {max} bytes");
        std::process::exit(EX_DATAERR);
    }
    let (desk, max_upload) = match open() {
        Ok(d) => d,
        Err(e) => fail(&raw, e, None),
    };
    match desk.import_mail(&raw, "pipe", max_upload) {
        Ok(r) => {
            match r.outcome {
                "imported" => println!(
                    "imported into conversation {}",
                    r.conversation_id.unwrap_or(0)
                ),
                o => println!("{o}: {}", r.reason),
            }
            desk.shutdown();
            Ok(())
        }
        Err(e) => fail(&raw, e.to_string(), Some(&desk)),
    }
}

/// Nothing was recorded: keep the message if we can, and ask for a retry.
fn fail(raw: &[u8], e: String, desk: Option<&Desk>) -> ! {
    match desk.map(|d| d.keep_eml(raw)) {
        Some(Ok(path)) => eprintln!("error: {e} (message kept as {path}; try again)"),
        _ => eprintln!("error: {e} (try again)"),
    }
    if let Some(d) = desk {
        d.shutdown();
    }
    std::process::exit(EX_TEMPFAIL)
}
