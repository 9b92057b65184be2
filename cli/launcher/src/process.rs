//! Child processes under deadlines. Every wait on a child ends: past its deadline the child is
//! sent SIGTERM, then SIGKILL after a grace period, and the caller gets a [`WaitError`] that
//! names the command, how long it waited and the last lines the child printed.
//!
//! A command run with [`Bounded::spawn`] gets a process group of its own, and a child past its
//! deadline is signalled as a group, so whatever it started itself (the demo's validators, a
//! shell's `sleep`) goes with it. Node processes started by the launcher or the harness stay in
//! their parent's group instead: a test runner that kills a test's group takes its nodes too.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many of a child's last lines a [`WaitError`] shows.
pub const TAIL_LINES: usize = 30;

/// How long a child has to exit after SIGTERM before it is sent SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How often a wait looks at its child.
const POLL: Duration = Duration::from_millis(20);

/// A child that did not finish in time (it has been killed), or could not be waited on.
#[derive(Debug)]
pub struct WaitError {
    /// The command line, as `program arg arg`.
    pub command: String,
    /// How long the wait lasted, the kill included.
    pub waited: Duration,
    /// The deadline that passed, or `None` if waiting itself failed.
    pub deadline: Option<Duration>,
    /// The child's last lines of output (standard output and error as they came).
    pub tail: Vec<String>,
    /// Why waiting failed, when it was not the deadline.
    pub io: Option<String>,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.deadline, &self.io) {
            (_, Some(io)) => write!(f, "cannot wait for `{}`: {io}", self.command)?,
            (Some(deadline), None) => write!(
                f,
                "`{}` did not finish within its deadline of {deadline:?}: killed after waiting {:.1?}",
                self.command, self.waited
            )?,
            (None, None) => write!(f, "`{}` failed after {:.1?}", self.command, self.waited)?,
        }
        if self.tail.is_empty() {
            write!(f, "; it printed nothing")
        } else {
            write!(f, "; its last {} lines:", self.tail.len())?;
            for line in &self.tail {
                write!(f, "\n    {line}")?;
            }
            Ok(())
        }
    }
}

impl std::error::Error for WaitError {}

/// A command line as it would be typed, for messages.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The output a child printed so far: each stream whole, and the last lines of both together.
#[derive(Debug, Default)]
struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    tail: VecDeque<String>,
}

impl Captured {
    fn push(&mut self, stream: Stream, line: &[u8]) {
        match stream {
            Stream::Out => self.stdout.extend_from_slice(line),
            Stream::Err => self.stderr.extend_from_slice(line),
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        let text = String::from_utf8_lossy(line);
        self.tail
            .push_back(text.trim_end_matches(['\n', '\r']).to_string());
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// A running child whose standard output and error are captured, waited on with a deadline.
#[derive(Debug)]
pub struct Bounded {
    child: Child,
    command: String,
    started: Instant,
    captured: Arc<Mutex<Captured>>,
    /// One message per output stream that reached its end.
    closed: mpsc::Receiver<()>,
}

impl Bounded {
    /// Starts `command` in a process group of its own, capturing its output.
    pub fn spawn(command: &mut Command) -> Result<Bounded, WaitError> {
        let described = describe(command);
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| WaitError {
                command: described.clone(),
                waited: started.elapsed(),
                deadline: None,
                tail: Vec::new(),
                io: Some(format!("cannot start it: {e}")),
            })?;
        let captured = Arc::new(Mutex::new(Captured::default()));
        let (closed_tx, closed) = mpsc::channel();
        let streams: [(Option<Box<dyn Read + Send>>, Stream); 2] = [
            (
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn Read + Send>),
                Stream::Out,
            ),
            (
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn Read + Send>),
                Stream::Err,
            ),
        ];
        for (reader, stream) in streams {
            let Some(reader) = reader else { continue };
            let captured = Arc::clone(&captured);
            let closed_tx = closed_tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(reader);
                let mut line = Vec::new();
                while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                    if let Ok(mut captured) = captured.lock() {
                        captured.push(stream, &line);
                    }
                    line.clear();
                }
                let _ = closed_tx.send(());
            });
        }
        Ok(Bounded {
            child,
            command: described,
            started,
            captured,
            closed,
        })
    }

    /// The child's process id (also its process group's).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The lines printed so far (at most [`TAIL_LINES`]).
    pub fn tail(&self) -> Vec<String> {
        self.captured
            .lock()
            .map(|c| c.tail.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Waits until the child has exited and closed its output, at most until `deadline` after
    /// it was started; past it, the child's group is killed and the error says so. (A child
    /// whose handle is dropped unwaited is stopped with its group.)
    pub fn wait(mut self, deadline: Duration) -> Result<Output, WaitError> {
        let mut status: Option<ExitStatus> = None;
        let mut open_streams = 2usize;
        loop {
            while self.closed.try_recv().is_ok() {
                open_streams = open_streams.saturating_sub(1);
            }
            if status.is_none() {
                status = self.child.try_wait().map_err(|e| self.failed(e))?;
            }
            if let (Some(status), 0) = (status, open_streams) {
                let mut captured = self.captured.lock().map_err(|_| self.poisoned())?;
                return Ok(Output {
                    status,
                    stdout: std::mem::take(&mut captured.stdout),
                    stderr: std::mem::take(&mut captured.stderr),
                });
            }
            if self.started.elapsed() >= deadline {
                stop_group(&mut self.child, STOP_GRACE);
                // The readers end once every process holding the pipes is gone; a process that
                // left the group could hold them, so this wait is bounded too.
                let until = Instant::now() + Duration::from_secs(2);
                while open_streams > 0 && Instant::now() < until {
                    if self.closed.recv_timeout(POLL).is_ok() {
                        open_streams -= 1;
                    }
                }
                return Err(WaitError {
                    command: self.command.clone(),
                    waited: self.started.elapsed(),
                    deadline: Some(deadline),
                    tail: self.tail(),
                    io: None,
                });
            }
            std::thread::sleep(POLL);
        }
    }

    fn failed(&self, e: std::io::Error) -> WaitError {
        WaitError {
            command: self.command.clone(),
            waited: self.started.elapsed(),
            deadline: None,
            tail: self.tail(),
            io: Some(e.to_string()),
        }
    }

    fn poisoned(&self) -> WaitError {
        self.failed(std::io::Error::other("an output reader panicked"))
    }
}

impl Drop for Bounded {
    /// A child left running when its handle goes (a test that failed before its wait) is
    /// stopped with its group: nothing a test started outlives it.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            stop_group(&mut self.child, Duration::from_secs(2));
        }
    }
}

/// Runs `command` to completion within `deadline`, capturing its output.
pub fn run(command: &mut Command, deadline: Duration) -> Result<Output, WaitError> {
    Bounded::spawn(command)?.wait(deadline)
}

/// Sends `signal` (`TERM`, `KILL`, `STOP`, `CONT`) to process `pid`, or to the process group
/// `pid` leads when `group` is set. Whether it arrived does not matter to the callers (the
/// process may have exited already), so the outcome is not reported.
pub fn signal(pid: u32, signal: &str, group: bool) {
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `timeout` for `child` to exit; its status, or `None` if it is still running.
pub fn wait_until(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            // Not our child any more (already reaped): nothing left to wait for.
            Err(_) => return None,
            Ok(None) if Instant::now() >= deadline => return None,
            Ok(None) => std::thread::sleep(POLL),
        }
    }
}

/// SIGTERM to `child`, then SIGKILL if it has not exited within `grace`; always reaped. Its exit
/// status, and whether it had to be killed.
pub fn stop(child: &mut Child, grace: Duration) -> (Option<ExitStatus>, bool) {
    stop_with(child, grace, false)
}

/// As [`stop`], for a child that leads its own process group (see [`Bounded`]): the whole group
/// is signalled, and is sent SIGKILL at the end in any case, for what the child left running.
pub fn stop_group(child: &mut Child, grace: Duration) -> (Option<ExitStatus>, bool) {
    let stopped = stop_with(child, grace, true);
    signal(child.id(), "KILL", true);
    stopped
}

fn stop_with(child: &mut Child, grace: Duration, group: bool) -> (Option<ExitStatus>, bool) {
    if let Ok(Some(status)) = child.try_wait() {
        return (Some(status), false);
    }
    signal(child.id(), "TERM", group);
    if let Some(status) = wait_until(child, grace) {
        return (Some(status), false);
    }
    signal(child.id(), "KILL", group);
    // SIGKILL cannot be ignored; the bound only guards against a process stuck in the kernel.
    (wait_until(child, Duration::from_secs(10)), true)
}

/// Stops several children at once: SIGTERM to all, then up to `grace` for all of them together,
/// then SIGKILL to those left. The commands' descriptions of those that had to be killed.
pub fn stop_all(children: &mut [(String, Child)], grace: Duration) -> Vec<String> {
    for (_, child) in children.iter_mut() {
        if matches!(child.try_wait(), Ok(None)) {
            signal(child.id(), "TERM", false);
        }
    }
    let deadline = Instant::now() + grace;
    let mut killed = Vec::new();
    for (name, child) in children.iter_mut() {
        let left = deadline.saturating_duration_since(Instant::now());
        if wait_until(child, left).is_none() && matches!(child.try_wait(), Ok(None)) {
            signal(child.id(), "KILL", false);
            wait_until(child, Duration::from_secs(10));
            killed.push(name.clone());
        }
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: &str) -> bool {
        // A zombie has exited; only its entry is left for its parent to reap.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| !stat.contains(") Z "))
            .unwrap_or(false)
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_with_what_it_started_and_the_error_speaks() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "echo first line; echo to stderr >&2; sleep 600 & echo \"sleeper $!\"; wait",
        ]);
        let started = Instant::now();
        let error = run(&mut command, Duration::from_secs(1)).expect_err("the deadline passes");
        eprintln!("{error}");
        assert!(started.elapsed() < Duration::from_secs(1) + STOP_GRACE);
        assert_eq!(error.deadline, Some(Duration::from_secs(1)));
        assert!(error.waited >= Duration::from_secs(1), "{error}");
        let text = error.to_string();
        assert!(text.contains("`sh -c echo first line;"), "{text}");
        assert!(text.contains("deadline of 1s"), "{text}");
        assert!(
            text.contains("first line") && text.contains("to stderr"),
            "{text}"
        );
        let sleeper = error
            .tail
            .iter()
            .find_map(|l| l.strip_prefix("sleeper "))
            .unwrap_or_else(|| panic!("the sleeper's pid in {text}"))
            .to_string();
        let gone = Instant::now() + Duration::from_secs(5);
        while alive(&sleeper) && Instant::now() < gone {
            std::thread::sleep(POLL);
        }
        assert!(
            !alive(&sleeper),
            "sleep 600 (pid {sleeper}) was left behind"
        );
    }

    #[test]
    fn a_child_that_finishes_in_time_gives_its_output_and_status() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let output = run(&mut command, Duration::from_secs(30)).expect("it finishes");
        assert_eq!(output.status.code(), Some(3));
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
    }

    #[test]
    fn a_command_that_cannot_start_says_so() {
        let error = run(
            &mut Command::new("/nonexistent/catena-no-such-binary"),
            Duration::from_secs(1),
        )
        .expect_err("no such binary");
        assert!(error.to_string().contains("cannot start it"), "{error}");
    }

    #[test]
    fn stopping_a_child_that_ignores_sigterm_kills_it() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; exec sleep 600"])
            .spawn()
            .expect("sh");
        // Let the shell install its trap before it is signalled.
        std::thread::sleep(Duration::from_millis(200));
        let (status, killed) = stop(&mut child, Duration::from_millis(300));
        assert!(killed, "SIGKILL was needed");
        assert!(status.is_some(), "the child was reaped");
    }
}
