//! Crash points: named places where a fault test makes the process die exactly as if it were
//! killed with SIGKILL there (ADR 0033, docs/reliability.md). Nothing is armed unless a test
//! arms it (the node's `CATENA_TEST_FAILPOINTS_FILE`); an unarmed point costs one look-up in
//! fail-rs's registry.
//!
//! The points live with the code they interrupt: the block write batch here, the vote and
//! proposal logs in the node's consensus driver.

/// Every crash point, in the order a height passes them.
pub const POINTS: &[&str] = &[
    PROPOSAL_LOGGED,
    PROPOSAL_PUBLISHED,
    VOTE_LOGGED,
    VOTE_SIGNED,
    IN_BLOCK_WRITE,
    BLOCK_WRITTEN,
];

/// After this validator's proposal is in its proposal log (synced), before it is signed and sent.
pub const PROPOSAL_LOGGED: &str = "after-proposal-log-append";
/// After this validator's proposal was handed to the network.
pub const PROPOSAL_PUBLISHED: &str = "after-proposal-publish";
/// After a vote is in the vote log (synced), before it is signed.
pub const VOTE_LOGGED: &str = "after-vote-log-append";
/// After a vote is signed, before it is sent or counted.
pub const VOTE_SIGNED: &str = "after-vote-sign";
/// Inside the block write: the batch is built, not yet written.
pub const IN_BLOCK_WRITE: &str = "in-block-write-batch";
/// After the block's write batch is synced, before the node updates its mempool and journal.
pub const BLOCK_WRITTEN: &str = "after-block-write";

/// Dies at `point` if a test armed it for this pass.
pub fn crash_point(point: &'static str) {
    fail::fail_point!(point, |_| crash(point));
}

/// Arms the points `config` names, one per line as `POINT SKIP` (the point kills the process at
/// its pass number SKIP + 1), and disarms every other point. Returns the points armed; an
/// unknown point or a malformed line is an error naming it, and then nothing changes.
pub fn arm(config: &str) -> Result<Vec<(&'static str, u32)>, String> {
    let mut armed = Vec::new();
    for line in config.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words = line.split_whitespace();
        let (Some(name), Some(skip), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("'{line}' is not 'POINT SKIP'"));
        };
        let point = POINTS
            .iter()
            .copied()
            .find(|p| *p == name)
            .ok_or_else(|| format!("no crash point '{name}' (known: {})", POINTS.join(", ")))?;
        let skip: u32 = skip
            .parse()
            .map_err(|_| format!("'{skip}' is not a number of passes to skip"))?;
        armed.push((point, skip));
    }
    for point in POINTS {
        fail::remove(*point);
    }
    for (point, skip) in &armed {
        let actions = if *skip == 0 {
            "return".to_string()
        } else {
            format!("{skip}*off->return")
        };
        fail::cfg(*point, &actions).map_err(|e| format!("crash point {point}: {e}"))?;
    }
    Ok(armed)
}

/// SIGKILL to this process: no destructor, no buffered write, no shutdown code runs after it.
fn crash(point: &str) -> ! {
    eprintln!("crash point {point}: killing this process (a fault test armed it)");
    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    // SIGKILL cannot be caught; this thread never gets here while the process lives.
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arming_names_known_points_and_refuses_others_changing_nothing() {
        assert_eq!(
            arm("after-vote-sign 3\n\nin-block-write-batch 0\n"),
            Ok(vec![(VOTE_SIGNED, 3), (IN_BLOCK_WRITE, 0)])
        );
        let err = arm("after-vote-sign 1\nbefore-lunch 2").expect_err("unknown");
        assert!(err.contains("no crash point 'before-lunch'"), "{err}");
        let err = arm("after-vote-sign").expect_err("no count");
        assert!(err.contains("is not 'POINT SKIP'"), "{err}");
        // The refused configurations left the earlier arming in place.
        let listed: Vec<String> = fail::list().into_iter().map(|(name, _)| name).collect();
        assert!(listed.contains(&VOTE_SIGNED.to_string()), "{listed:?}");
        assert_eq!(arm(""), Ok(vec![]));
        assert!(fail::list().is_empty(), "disarmed");
        // Unarmed, a point does nothing.
        crash_point(VOTE_SIGNED);
    }
}
