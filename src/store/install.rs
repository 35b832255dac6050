//! Is this data directory a new install? A missing database in a directory
//! that Frontporch used before (uploads, a backup, the install marker) is a
//! lost or misplaced database, not a first start: creating an empty one
//! there would hand out a new first admin and orphan every file, in silence.

use std::path::Path;

/// Written beside the database on its first start; names the install.
pub const MARKER: &str = ".frontporch-install";
pub const DB_FILE: &str = "frontporch.db";

/// Refuses to start on a data directory that shows an earlier install but
/// has no database, unless `init` says to start over. With `init`, SQLite
/// files left by the old database are moved aside (a stale WAL would
/// otherwise be replayed into the new one).
pub fn check(data_dir: &Path, init: bool) -> Result<(), String> {
    if data_dir.join(DB_FILE).exists() {
        return Ok(());
    }
    let signs = earlier_install(data_dir);
    if signs.is_empty() {
        return Ok(());
    }
    if !init {
        return Err(format!(
            "{dir} has no {DB_FILE} but holds an earlier Frontporch install ({found}).\n\
             Refusing to start with an empty database. Restore the database (for example \
             from a `frontporch backup` file, copied to {dir}/{DB_FILE}), point --data at \
             the right directory, or, to really start over with an empty database and a \
             new first admin, run `frontporch serve --init`.",
            dir = data_dir.display(),
            found = signs.join(", "),
        ));
    }
    let stamp = crate::util::now_ms();
    for name in [
        "frontporch.db-wal",
        "frontporch.db-shm",
        "frontporch.db-journal",
        MARKER,
    ] {
        let from = data_dir.join(name);
        if from.exists() {
            let to = data_dir.join(format!("{name}.before-init-{stamp}"));
            std::fs::rename(&from, &to)
                .map_err(|e| format!("cannot move {} aside: {e}", from.display()))?;
            log::warn!("--init: moved {} to {}", from.display(), to.display());
        }
    }
    log::warn!(
        "--init: starting a new, empty database in {} ({})",
        data_dir.display(),
        signs.join(", ")
    );
    Ok(())
}

/// What in `data_dir` shows that Frontporch ran there before: its own files
/// only (a `.gitkeep` or a mount's `lost+found` shows nothing).
fn earlier_install(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return Vec::new(); // no directory yet: a new install
    };
    let mut signs: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            match name.as_str() {
                "uploads" if is_empty_dir(&e.path()) => None,
                "uploads" => Some("uploads/ with files".to_string()),
                MARKER => Some(format!("{MARKER} {}", install_id(data_dir))),
                "links.key"
                | "frontporch.db-wal"
                | "frontporch.db-shm"
                | "frontporch.db-journal" => Some(name),
                _ if name.starts_with("frontporch.db") => Some(name),
                _ => None,
            }
        })
        .collect();
    signs.sort();
    signs.truncate(10); // enough to recognise it; the directory may be big
    signs
}

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

fn install_id(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join(MARKER))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("install_id=").map(|v| v.trim().to_string()))
        })
        .unwrap_or_default()
}

/// Writes the install marker beside a database that has none (its first
/// start, or an install older than the marker).
pub fn mark(data_dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let path = data_dir.join(MARKER);
    if path.exists() {
        return Ok(());
    }
    let mut f = std::fs::File::create(&path)?;
    writeln!(
        f,
        "# Frontporch was installed here. Without frontporch.db beside this file,\n\
         # `frontporch serve` refuses to start unless given --init.\n\
         install_id={}\ncreated_at={}",
        crate::util::random_token("", 12),
        crate::util::rfc3339(crate::util::now_ms())
    )?;
    f.sync_all()
}
