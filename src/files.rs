//! Output files that are never left half-written.
//!
//! Every file explr writes (figures, logs, checkpoints) goes through [`write_atomically`]: the
//! content is written to a hidden temporary file beside the target (same directory, so the final
//! `rename` is atomic on POSIX file systems), and only a complete file replaces the target. A run
//! stopped half-way — an error, a closed pipe, Ctrl-C or SIGTERM — leaves the previous file in
//! place. Temporary files in flight are registered, and [`install_interrupt_handler`] removes them
//! before the process exits with the conventional status 130 (128 + SIGINT).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use crate::error::{Error, Result};

/// Temporary files being written right now (removed on Ctrl-C).
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Exit status after Ctrl-C / SIGTERM: 128 + SIGINT, as a shell reports a program ended by it.
pub const INTERRUPTED_STATUS: i32 = 130;

fn io_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn registry() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A poisoned lock only means another thread panicked while holding it; the list is still
    // a list of paths.
    IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every registered temporary file (called on interruption).
pub fn remove_in_flight() {
    for path in registry().drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// Installs (once) the Ctrl-C / SIGTERM handler: remove the temporary files in flight, say one
/// line on stderr and exit with [`INTERRUPTED_STATUS`].
pub fn install_interrupt_handler() {
    HANDLER.call_once(|| {
        // Failing to install (another handler already owns the signal) only loses the cleanup.
        let _ = ctrlc::set_handler(|| {
            remove_in_flight();
            eprintln!("verify: interrupted");
            std::process::exit(INTERRUPTED_STATUS);
        });
    });
}

/// The hidden temporary name beside `path`, keeping its extension (image encoders pick the
/// format from it): `dir/.toy.png` → `dir/.toy.<pid>.tmp.png`.
pub fn temporary_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let name = format!(".{stem}.{}.tmp{ext}", std::process::id());
    path.with_file_name(name)
}

/// Writes `path` atomically: `write` fills the temporary path it is given, which then replaces
/// `path` by a rename. On any error the temporary file is removed and `path` is untouched.
pub fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(path, e))?;
        }
    }
    let tmp = temporary_path(path);
    registry().push(tmp.clone());
    let outcome =
        write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_error(path, e)));
    registry().retain(|p| p != &tmp);
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}

/// Reads a text file given as `flag`, refusing one over `max_bytes` before reading it (a huge or
/// endless file — `/dev/zero` — must not be slurped into memory).
pub fn read_text(path: &Path, flag: &str, max_bytes: u64) -> Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::invalid(
            flag,
            path.display(),
            format!("larger than {max_bytes} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| io_error(path, "not UTF-8 text"))
}

/// Writes bytes to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(|e| io_error(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("explr-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn temporary_name_keeps_the_extension_and_hides() {
        let t = temporary_path(Path::new("plots/toy.png"));
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".toy."), "{name}");
        assert!(name.ends_with(".tmp.png"), "{name}");
        assert_eq!(t.parent(), Some(Path::new("plots")));
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_and_no_temporary() {
        let dir = scratch("fail");
        let target = dir.join("figure.png");
        std::fs::write(&target, b"previous").unwrap();
        let err = write_atomically(&target, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(Error::Plot {
                path: "x".into(),
                reason: "stopped".into(),
            })
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"previous");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "only the target remains");
        assert!(!registry().iter().any(|p| p.starts_with(&dir)));
    }

    #[test]
    fn a_complete_write_replaces_the_file() {
        let dir = scratch("ok");
        let target = dir.join("sub").join("log.csv");
        write_bytes(&target, b"a,b\n").unwrap();
        write_bytes(&target, b"c,d\n").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"c,d\n");
        assert_eq!(
            std::fs::read_dir(target.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
