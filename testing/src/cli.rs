//! The `catena` command line as a test runs it against a node: `cli.ok("voucher show 7")`,
//! `cli.fails(&format!("voucher transfer {id} --to nobody --as tier1-steel"))`, or a list of
//! words (`cli.ok(&["member", "propose", "--name", "Tier-4 Castings Co., Ltd."])`) where an
//! argument holds spaces, and [`command`] for a command with a path in it.

use std::time::Duration;

use catena_client::ApiClient;

use crate::node::catena;
use crate::watch::wait_for;

/// How long a read at another node waits for it to reach the writer's height.
pub const CATCH_UP: Duration = Duration::from_secs(30);

/// A command's arguments: a line split at spaces, or a list of words.
pub trait CommandLine {
    fn words(&self) -> Vec<&str>;
}

impl CommandLine for str {
    fn words(&self) -> Vec<&str> {
        self.split_whitespace().collect()
    }
}

impl CommandLine for String {
    fn words(&self) -> Vec<&str> {
        self.split_whitespace().collect()
    }
}

impl CommandLine for [&str] {
    fn words(&self) -> Vec<&str> {
        self.to_vec()
    }
}

impl CommandLine for Vec<&str> {
    fn words(&self) -> Vec<&str> {
        self.clone()
    }
}

impl<const N: usize> CommandLine for [&str; N] {
    fn words(&self) -> Vec<&str> {
        self.to_vec()
    }
}

/// A command line split at spaces, each `{}` word replaced by the next of `values` whole (a path
/// may hold spaces).
pub fn command<'a>(template: &'a str, values: &[&'a str]) -> Vec<&'a str> {
    let mut values = values.iter();
    template
        .split_whitespace()
        .map(|w| {
            if w == "{}" {
                values.next().expect("a value per {}")
            } else {
                w
            }
        })
        .collect()
}

/// How a command ended: success, standard output, standard error.
#[derive(Debug)]
pub struct Ran {
    pub ok: bool,
    /// The exit code (docs/cli.md: 1 refused, 2 bad input, 3 node unreachable, 4 failed).
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
}

/// `catena` commands run with a home (for the keys of `--as NAME`) against a node's API.
#[derive(Debug, Clone)]
pub struct Cli {
    pub home: String,
    pub api: String,
    /// For a runner made by [`Cli::at`]: the API of the node the writes went to. Each command
    /// first waits until this runner's node has reached that node's height, so that a read at
    /// another node sees what was just committed (read-your-writes across nodes).
    follows: Option<String>,
}

impl Cli {
    pub fn new(home: &std::path::Path, api: &str) -> Cli {
        Cli {
            home: home.to_str().expect("a UTF-8 home").to_string(),
            api: api.to_string(),
            follows: None,
        }
    }

    /// The same home against another node, whose commands each wait until that node has caught
    /// up with this one's height (so a read there sees the writes made here).
    pub fn at(&self, api: &str) -> Cli {
        Cli {
            home: self.home.clone(),
            api: api.to_string(),
            follows: Some(self.api.clone()),
        }
    }

    /// Waits (at most [`CATCH_UP`]) until this runner's node has reached the height of the node
    /// it follows.
    fn catch_up(&self) {
        let Some(writer) = &self.follows else {
            return;
        };
        let height = |api: &str| {
            ApiClient::new(api)
                .status()
                .map(|status| status.height)
                .ok()
        };
        let Some(target) = height(writer) else {
            return; // the writer's node is down: read what this node has
        };
        wait_for(
            &format!(
                "the node at {} to reach height {target} of {writer}",
                self.api
            ),
            CATCH_UP,
            || height(&self.api).filter(|&h| h >= target),
        );
    }

    pub fn run(&self, args: &(impl CommandLine + ?Sized)) -> Ran {
        self.catch_up();
        let mut full = args.words();
        full.extend_from_slice(&["--home", &self.home, "--api", &self.api]);
        let out = catena(&full);
        Ran {
            ok: out.status.success(),
            code: out.status.code(),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; its output.
    pub fn ok(&self, args: &(impl CommandLine + ?Sized)) -> String {
        let ran = self.run(args);
        assert!(ran.ok, "catena {}: {}", args.words().join(" "), ran.err);
        ran.out
    }

    /// Runs a command that must fail with an error sentence; the error.
    pub fn fails(&self, args: &(impl CommandLine + ?Sized)) -> String {
        let ran = self.run(args);
        let line = args.words().join(" ");
        assert!(!ran.ok, "catena {line} succeeded: {}", ran.out);
        assert!(ran.err.starts_with("error: "), "{}", ran.err);
        ran.err
    }

    /// Runs a command with `--output json`; its output parsed.
    pub fn json(&self, args: &(impl CommandLine + ?Sized)) -> serde_json::Value {
        let mut full = args.words();
        full.extend_from_slice(&["--output", "json"]);
        serde_json::from_str(&self.ok(full.as_slice())).expect("JSON output")
    }
}

/// The contract id in `catena contract deploy`'s "contract ID ..." line.
pub fn contract_id_in(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("contract "))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no contract id in {out}"))
        .to_string()
}

/// The document hash in `catena record add`'s "recorded KIND HASH" line.
pub fn recorded_hash(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("recorded "))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no recorded hash in {out}"))
        .to_string()
}

/// What follows `prefix` on the line of `out` that starts with it ("issued voucher 7" → "7").
pub fn after_prefix(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .map(|rest| rest.trim().to_string())
        .unwrap_or_else(|| panic!("no '{prefix}' in {out}"))
}

/// The parts `catena voucher split` made, from its last line ("… into 4, 5").
pub fn split_parts(out: &str) -> Vec<String> {
    out.lines()
        .last()
        .and_then(|line| line.rsplit("into ").next())
        .unwrap_or_else(|| panic!("no parts in {out}"))
        .split(", ")
        .map(String::from)
        .collect()
}
