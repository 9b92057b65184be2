//! The documented commands are the CLI's: every `catena …` line of README.md, docs/operators.md,
//! docs/cli.md, docs/explorer.md and docs/products.md is accepted by the command line's parser (placeholders such
//! as `0x…` filled with values of their form). tests/docs_commands.rs runs the README's tour on
//! a dev chain.

use catena_testing::docs::{documented, filled, words};
use clap::Parser;

mod tests {
    use super::*;

    #[test]
    fn every_documented_command_is_accepted_by_the_cli() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut checked = 0;
        for doc in [
            "README.md",
            "docs/operators.md",
            "docs/cli.md",
            "docs/explorer.md",
            "docs/products.md",
        ] {
            let text = std::fs::read_to_string(format!("{root}/{doc}")).expect("a doc");
            for line in documented(&text) {
                let args = words(&filled(&line));
                if let Err(e) = crate::Cli::try_parse_from(&args) {
                    panic!("{doc}: `{line}` is not a command the CLI takes:\n{e}");
                }
                checked += 1;
            }
        }
        assert!(checked > 40, "{checked} documented commands");
        // The check can fail: a flag the CLI does not have is refused.
        assert!(crate::Cli::try_parse_from(words("catena status --no-such-flag")).is_err());
    }

    #[test]
    fn commands_are_found_with_their_continuations_and_without_comments() {
        let text = "text\n```sh\ncatena status   # the tip\ncurl x\ncatena record add a.pdf \\\n    --as b  # c\n```\ncatena outside\n";
        assert_eq!(
            documented(text),
            ["catena status", "catena record add a.pdf --as b"]
        );
        assert_eq!(
            words(r#"catena remark --as a "two words""#),
            ["catena", "remark", "--as", "a", "two words"]
        );
    }
}
