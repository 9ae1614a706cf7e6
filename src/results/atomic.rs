//! The life of a result folder on disk: checks on the destination before anything runs, the
//! temporary folder `.NAME.tmp-PID@HOST` it is written into, the rename into place that never
//! replaces a folder it did not check, and clean-up after interrupted runs.
//!
//! - Without `--force` the final rename is a no-replace rename (`renameat2` with
//!   `RENAME_NOREPLACE`), so two runs writing to the same folder at once cannot replace each
//!   other: the second gets [`PlaceError::Raced`].
//! - `--force` replaces only a folder that [`is_replaceable`] recognises.
//! - SIGINT and SIGTERM remove the temporary folders of the run before it exits
//!   ([`clean_up_on_signals`]); a later run removes those of processes that are gone (killed
//!   with SIGKILL, or a machine that lost power) and says so. Only this machine's: on a
//!   shared file system (shards of a cluster run writing into one parts folder) another
//!   node's process id means nothing here, so its temporary folders are left alone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::input::MAX_NAME_BYTES;

/// Why a result folder cannot be placed where it was asked for.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("result folder `{}` exists already", path.display())]
    Exists { path: PathBuf },
    /// Another process wrote the folder while this one was running.
    #[error("result folder `{}` appeared while this run was writing (another run wrote it); it was left as it is and this run's results were not kept", path.display())]
    Raced { path: PathBuf },
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A destination the user can fix, with what to do.
    #[error("{message}")]
    Input { message: String, hint: String },
}

impl PlaceError {
    fn io(path: &Path, source: std::io::Error) -> PlaceError {
        PlaceError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Temporary folders of this process, removed on SIGINT or SIGTERM. Held while a folder is
/// renamed into place, so a signal never finds one half-moved.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler that removes this process's temporary folders on SIGINT and SIGTERM,
/// then exits with 130 or 143 as a shell would. Call once, from the command.
pub fn clean_up_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // without the handler, a later run cleans up instead
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let held = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
            for path in held.iter() {
                // Files may still be appearing in it: try a few times.
                for _ in 0..5 {
                    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
                        break;
                    }
                }
            }
            if !held.is_empty() {
                eprintln!("interrupted: removed the unfinished result, nothing else was changed");
            }
            std::process::exit(128 + signal);
        }
    });
}

fn hold(path: &Path) {
    IN_FLIGHT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.to_path_buf());
}

fn release(held: &mut Vec<PathBuf>, path: &Path) {
    held.retain(|p| p != path);
}

/// Whether `path` is a folder arrears wrote (and so one `--force` may replace): an empty
/// folder, or one holding a run's `manifest.json` (with `format`), a run's or stress set's
/// `summary.json` (with `manifest.arrears_version`), a calibration's `calibration.json` (with
/// `arrears_version`) or a comparison's `comparison.csv`.
pub fn is_replaceable(path: &Path) -> bool {
    result_folder_problem(path).is_none()
}

/// Why `path` is not a result folder, or `None` when it is one.
pub fn result_folder_problem(path: &Path) -> Option<String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return Some(format!("it cannot be read ({e})")),
    };
    if meta.file_type().is_symlink() {
        return Some("it is a symbolic link".into());
    }
    if !meta.is_dir() {
        return Some("it is a file, not a folder".into());
    }
    let json = |name: &str| -> Option<serde_json::Value> {
        let file = path.join(name);
        let meta = std::fs::symlink_metadata(&file).ok()?;
        if !meta.is_file() || meta.len() > 64 << 20 {
            return None;
        }
        serde_json::from_slice(&std::fs::read(file).ok()?).ok()
    };
    // A folder with arrears' manifest (or a format-1 run's summary).
    if crate::results::is_result_folder(path) {
        return None;
    }
    if json("calibration.json").is_some_and(|v| v["arrears_version"].is_string()) {
        return None;
    }
    let comparison = std::fs::read(path.join("comparison.csv")).unwrap_or_default();
    if comparison.starts_with(b"figure,") && path.join("report.md").is_file() {
        return None;
    }
    match std::fs::read_dir(path).map(|mut entries| entries.next().is_none()) {
        Ok(true) => None,
        Ok(false) => Some(
            "it holds no `manifest.json` or `summary.json` with an arrears manifest, so it is not a result arrears wrote".into(),
        ),
        Err(e) => Some(format!("it cannot be read ({e})")),
    }
}

fn input(message: String, hint: &str) -> PlaceError {
    PlaceError::Input {
        message,
        hint: hint.into(),
    }
}

/// Everything about a destination that can be checked before a run: its name, what it is,
/// and whether it may be replaced. Removes stale temporary folders of dead processes beside it.
pub fn check_destination(dir: &Path, force: bool) -> Result<(), PlaceError> {
    let shown = dir.display();
    let Some(name) = dir.file_name() else {
        return Err(input(
            format!(
                "`--out {shown}` names no folder of its own: it would replace the folder it is in"
            ),
            "give a new folder, e.g. `--out output/run1`",
        ));
    };
    if name.len() > MAX_NAME_BYTES {
        return Err(input(
            format!(
                "result folder name `{}...` is {} bytes long; at most {MAX_NAME_BYTES} fit",
                name.to_string_lossy().chars().take(40).collect::<String>(),
                name.len()
            ),
            "choose a shorter `simulation.name` or `--out`",
        ));
    }
    if let Ok(meta) = std::fs::symlink_metadata(dir) {
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(dir)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            let state = if dir.exists() {
                "a symbolic link"
            } else {
                "a dangling symbolic link"
            };
            return Err(input(
                format!(
                    "result folder `{shown}` is {state} (to `{target}`); arrears does not write through links"
                ),
                "give the folder itself with `--out`, or remove the link",
            ));
        }
        if !meta.is_dir() {
            return Err(input(
                format!("result folder `{shown}` is a file, not a folder"),
                "give a folder with `--out`; arrears never replaces files",
            ));
        }
        if !force {
            return Err(PlaceError::Exists {
                path: dir.to_path_buf(),
            });
        }
        if let (Ok(cwd), Ok(abs)) = (std::env::current_dir(), std::fs::canonicalize(dir))
            && cwd.starts_with(&abs)
        {
            return Err(input(
                format!("`--force` would replace `{shown}`, which holds the current folder"),
                "run from another folder, or give another `--out`",
            ));
        }
        if let Some(why) = result_folder_problem(dir) {
            return Err(input(
                format!("`--force` replaces only result folders, and `{shown}` is not one: {why}"),
                "give a new folder with `--out`, or move that folder away yourself",
            ));
        }
    }
    let parent = parent_of(dir);
    let mut ancestor = Some(parent);
    while let Some(a) = ancestor {
        if let Ok(meta) = std::fs::metadata(a) {
            if !meta.is_dir() {
                return Err(input(
                    format!("cannot write into `{}`: it is a file", a.display()),
                    "give `--out` a path whose folders are folders",
                ));
            }
            break;
        }
        ancestor = a.parent().filter(|p| !p.as_os_str().is_empty());
    }
    remove_stale(parent);
    Ok(())
}

fn parent_of(dir: &Path) -> &Path {
    dir.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// This machine's name as temporary folders carry it (`@HOST`), when it has a usable one.
fn host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    let usable = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    usable.then(|| name.to_string())
}

/// `.NAME.tmp-PID@HOST` (or without `@HOST` where the machine has no usable name).
fn temporary_folder(parent: &Path, name: &str, kind: &str) -> PathBuf {
    let pid = std::process::id();
    parent.join(match host() {
        Some(host) => format!(".{name}.{kind}-{pid}@{host}"),
        None => format!(".{name}.{kind}-{pid}"),
    })
}

/// `(NAME, old, PID)` of a temporary folder name `.NAME.tmp-PID` or `.NAME.old-PID` of this
/// machine (with `@HOST` this machine's name, or without a host); `None` for another's.
fn temporary_name(file: &str) -> Option<(&str, bool, u32)> {
    let rest = file.strip_prefix('.')?;
    let rest = match rest.rsplit_once('@') {
        Some((rest, other)) => {
            if host().as_deref() != Some(other) {
                return None;
            }
            rest
        }
        None => rest,
    };
    let (stem, pid) = rest.rsplit_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    if let Some(name) = stem.strip_suffix(".tmp") {
        Some((name, false, pid))
    } else {
        stem.strip_suffix(".old").map(|name| (name, true, pid))
    }
}

fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes the temporary folders of dead processes in `parent`, and puts back a result that
/// an interrupted `--force` had moved aside before its replacement arrived. Says so on stderr.
fn remove_stale(parent: &Path) {
    if !Path::new("/proc/self").exists() {
        return; // cannot tell whether a process is alive
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut found: Vec<_> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name().to_str()?.to_string();
            let (name, old, pid) = temporary_name(&file)?;
            let is_dir = e.file_type().ok()?.is_dir();
            (is_dir && !process_alive(pid)).then(|| (e.path(), name.to_string(), old, pid))
        })
        .collect();
    found.sort();
    for (path, name, old, pid) in found {
        let home = parent.join(&name);
        if old && std::fs::symlink_metadata(&home).is_err() {
            if std::fs::rename(&path, &home).is_ok() {
                eprintln!(
                    "note: put back `{}`, which an interrupted run (process {pid}, now gone) had moved aside",
                    home.display()
                );
            }
            continue;
        }
        if std::fs::remove_dir_all(&path).is_ok() {
            eprintln!(
                "note: removed `{}`, the unfinished result of an interrupted run (process {pid}, now gone)",
                path.display()
            );
        }
    }
}

/// Renames `from` to `to` unless `to` exists, atomically.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // A file system without the flag: a plain rename still refuses a non-empty folder,
        // and every result folder has files.
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            if std::fs::symlink_metadata(to).is_ok() {
                return Err(std::io::ErrorKind::AlreadyExists.into());
            }
            std::fs::rename(from, to)
        }
        Err(e) => Err(e.into()),
    }
}

fn exists_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::AlreadyExists
        || e.kind() == std::io::ErrorKind::DirectoryNotEmpty
        || e.raw_os_error() == Some(rustix::io::Errno::EXIST.raw_os_error())
        || e.raw_os_error() == Some(rustix::io::Errno::NOTEMPTY.raw_os_error())
}

/// Fills a temporary folder beside `dir` with `write` and renames it into place: see the
/// module's notes.
pub fn write_atomically<E: From<PlaceError>>(
    dir: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    check_destination(dir, force)?;
    let parent = parent_of(dir);
    std::fs::create_dir_all(parent).map_err(|e| PlaceError::io(parent, e))?;
    let name = dir
        .file_name()
        .map_or("result".into(), |n| n.to_string_lossy().into_owned());
    let tmp = temporary_folder(parent, &name, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| PlaceError::io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| PlaceError::io(&tmp, e))?;
    hold(&tmp);
    if let Err(e) = write(&tmp) {
        let mut held = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        let _ = std::fs::remove_dir_all(&tmp);
        release(&mut held, &tmp);
        return Err(e);
    }
    let mut held = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    let result = place(dir, parent, &name, &tmp, force);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    release(&mut held, &tmp);
    result.map_err(E::from)
}

/// Renames the finished `tmp` to `dir`, replacing a result folder only with `force`.
fn place(dir: &Path, parent: &Path, name: &str, tmp: &Path, force: bool) -> Result<(), PlaceError> {
    let raced = || PlaceError::Raced {
        path: dir.to_path_buf(),
    };
    if force && std::fs::symlink_metadata(dir).is_ok() {
        // Move the old result aside first so a failed rename loses nothing, and check what
        // was moved: another process may have put something else there since the check.
        let old = temporary_folder(parent, name, "old");
        std::fs::rename(dir, &old).map_err(|e| PlaceError::io(dir, e))?;
        if let Some(why) = result_folder_problem(&old) {
            let _ = rename_no_replace(&old, dir);
            return Err(input(
                format!(
                    "`--force` replaces only result folders, and `{}` is not one: {why}",
                    dir.display()
                ),
                "give a new folder with `--out`, or move that folder away yourself",
            ));
        }
        if let Err(e) = rename_no_replace(tmp, dir) {
            let _ = rename_no_replace(&old, dir);
            return Err(if exists_error(&e) {
                raced()
            } else {
                PlaceError::io(dir, e)
            });
        }
        let _ = std::fs::remove_dir_all(&old);
        return Ok(());
    }
    rename_no_replace(tmp, dir).map_err(|e| {
        if exists_error(&e) {
            raced()
        } else {
            PlaceError::io(dir, e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machines_temporary_folders_are_judged() {
        assert_eq!(temporary_name(".r.tmp-42"), Some(("r", false, 42)));
        assert_eq!(temporary_name(".a-b.old-7"), Some(("a-b", true, 7)));
        assert_eq!(temporary_name("r.tmp-42"), None);
        // Another node of a cluster: its process ids mean nothing here.
        assert_eq!(
            temporary_name(".part-00001-of-00008.tmp-42@another-node-7"),
            None
        );
        if let Some(host) = host() {
            let tmp = temporary_folder(Path::new("/x"), "part-00001-of-00008", "tmp");
            let file = tmp.file_name().unwrap().to_str().unwrap();
            assert!(file.ends_with(&format!("@{host}")), "{file}");
            assert_eq!(
                temporary_name(file),
                Some(("part-00001-of-00008", false, std::process::id()))
            );
        }
    }
}
