//! Waits that speak. A multi-process test waits on conditions (a height, a commit, a catch-up);
//! when one does not hold in time, the failure must say at once what was awaited and what the
//! nodes were doing. Every node the harness starts registers its log here ([`watch_log`]) for as
//! long as its handle lives, and [`wait_for`] — the one polling wait of the harness and the tests
//! — prints, past its deadline, the condition, how long it waited, and the last
//! [`TAIL_LINES`] lines of every registered log.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use catena_launcher::process::TAIL_LINES;

/// How often a wait checks its condition.
const POLL: Duration = Duration::from_millis(50);

/// The logs printed when a wait fails: (registration, name, path).
static WATCHED: Mutex<Vec<(u64, String, PathBuf)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A log registered for failed waits; unregistered when dropped.
#[derive(Debug)]
pub struct LogWatch {
    id: u64,
}

/// Registers `path` (a node's log, named `name` in reports) until the returned guard is dropped.
pub fn watch_log(name: impl Into<String>, path: PathBuf) -> LogWatch {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut watched) = WATCHED.lock() {
        watched.push((id, name.into(), path));
    }
    LogWatch { id }
}

impl Drop for LogWatch {
    fn drop(&mut self) {
        if let Ok(mut watched) = WATCHED.lock() {
            watched.retain(|(id, _, _)| *id != self.id);
        }
    }
}

/// Polls `check` every 50 ms until it returns `Some`; `Err` with the time waited once `timeout`
/// has passed.
pub fn poll<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Result<T, Duration> {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if started.elapsed() >= timeout {
            return Err(started.elapsed());
        }
        std::thread::sleep(POLL);
    }
}

/// Polls `check` until it returns `Some`; past `timeout`, panics with [`report`]: `what` it
/// waited for, how long, and every watched node's last log lines.
pub fn wait_for<T>(what: &str, timeout: Duration, check: impl FnMut() -> Option<T>) -> T {
    poll(timeout, check).unwrap_or_else(|waited| panic!("{}", report(what, timeout, waited)))
}

/// A failed wait described: the condition, the limit and the time waited, then the last lines of
/// each watched log.
pub fn report(what: &str, timeout: Duration, waited: Duration) -> String {
    let mut text = format!("timed out waiting for {what} (limit {timeout:?}, waited {waited:.1?})");
    let watched = WATCHED.lock().map(|w| w.clone()).unwrap_or_default();
    for (_, name, path) in watched {
        let lines = tail(&path, TAIL_LINES);
        text.push_str(&format!(
            "\n--- {name}: the last {} lines of {} ---",
            lines.len(),
            path.display()
        ));
        for line in lines {
            text.push_str("\n    ");
            text.push_str(&line);
        }
    }
    text
}

/// The last `count` lines of the file at `path` (read from its last 256 KiB), or none.
pub fn tail(path: &Path, count: usize) -> Vec<String> {
    const WINDOW: u64 = 256 << 10;
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    if file
        .seek(SeekFrom::Start(length.saturating_sub(WINDOW)))
        .is_err()
    {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_wait_names_its_condition_and_prints_each_watched_logs_last_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("node-1.log");
        let lines: Vec<String> = (1..=40).map(|i| format!("line {i}")).collect();
        std::fs::write(&log, lines.join("\n") + "\n").expect("write");
        let watch = watch_log("node-1", log.clone());
        let failure = std::panic::catch_unwind(|| {
            wait_for("height 5 on every node", Duration::from_millis(200), || {
                None::<()>
            })
        })
        .expect_err("the wait fails");
        let text = failure
            .downcast_ref::<String>()
            .expect("a formatted panic")
            .clone();
        assert!(
            text.starts_with("timed out waiting for height 5 on every node (limit 200ms, waited "),
            "{text}"
        );
        assert!(text.contains("--- node-1: the last 30 lines of "), "{text}");
        assert!(
            text.contains("line 11\n") && text.contains("line 40"),
            "{text}"
        );
        assert!(!text.contains("line 10\n"), "{text}");
        drop(watch);
        assert!(!report("x", Duration::ZERO, Duration::ZERO).contains("node-1"));
    }
}
