//! Checks on an input file before it is read (scenario, calibration file, loan tape, panel):
//! it must be a regular file, so `/dev/zero`, a FIFO or a directory is refused instead of
//! read forever or misdescribed, and a symbolic link is named rather than followed silently.

use std::path::{Path, PathBuf};

/// Longest folder name the temporary name `.NAME.tmp-PID` still fits in (255 bytes on Linux
/// file systems, less the dot, `.tmp-` and ten digits of a process id).
pub const MAX_NAME_BYTES: usize = 255 - 1 - 5 - 10;

/// What an input path turned out to be, when it can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Where a symbolic link leads (fully resolved), `None` for a plain file.
    pub link_to: Option<PathBuf>,
    pub len: u64,
}

/// Why an input path cannot be read, as a lowercase fragment ("it is a directory, not a
/// regular file"); callers name the file. A path that does not exist passes: the caller's
/// own open says so in its words (with its hint about where the path comes from).
pub fn check_regular(path: &Path) -> Result<Checked, String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    let link = match std::fs::symlink_metadata(path) {
        Ok(link) => link,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Checked {
                link_to: None,
                len: 0,
            });
        }
        Err(e) => return Err(describe_io(&e)),
    };
    let link_to = if link.file_type().is_symlink() {
        match std::fs::canonicalize(path) {
            Ok(target) => Some(target),
            Err(_) => {
                let target = std::fs::read_link(path)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                return Err(format!(
                    "it is a symbolic link to `{target}`, which does not exist"
                ));
            }
        }
    } else {
        None
    };
    let meta = std::fs::metadata(path).map_err(|e| describe_io(&e))?;
    let kind = file_kind(&meta);
    if let Some(kind) = kind {
        return Err(match &link_to {
            Some(target) => format!(
                "it is a symbolic link to `{}`, which is {kind}, not a regular file",
                target.display()
            ),
            None => format!("it is {kind}, not a regular file"),
        });
    }
    Ok(Checked {
        link_to,
        len: meta.len(),
    })
}

/// `None` for a regular file; otherwise what it is, with its article.
fn file_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// An IO error in words, without the OS's capitalised suffix where a plainer one exists.
pub fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotADirectory => "a folder in the path is a file".into(),
        _ => error.to_string(),
    }
}

/// Cuts `text` to at most `max` characters, marking the cut with its length.
pub fn snippet(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}... ({count} characters, cut)")
}
