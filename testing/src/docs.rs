//! The commands the docs show, as a test reads them: every `catena …` line of a document's code
//! blocks (continuations joined, comments dropped), split into words as a shell would, with the
//! docs' placeholders filled. Used by the CLI's check that every documented command parses and
//! by tests/docs_commands.rs, which runs the README's tour on a dev chain.

/// The documented command lines of `text`: in its code blocks, the lines starting `catena `, with
/// their `\` continuations joined and their `#` comments dropped.
pub fn documented(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending: Option<String> = None;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        let code = match line.find(" #") {
            Some(at) => &line[..at],
            None => line,
        }
        .trim();
        let joined = match pending.take() {
            Some(before) => format!("{before} {code}"),
            None if code.starts_with("catena ") => code.to_string(),
            None => continue,
        };
        match joined.strip_suffix('\\') {
            Some(open) => pending = Some(open.trim_end().to_string()),
            None => commands.push(joined),
        }
    }
    commands
}

/// A command line's words, as a shell splits them (double quotes group; the docs use no others).
pub fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

/// The placeholders of the docs, filled with values of their form.
pub fn filled(line: &str) -> String {
    line.replace(
        "12D3KooW…",
        "12D3KooWJuurWknyzpxsd9bJZtriggTJKSD9ckLVcvz5MFtv5uss",
    )
    .replace(
        "12D3…",
        "12D3KooWJuurWknyzpxsd9bJZtriggTJKSD9ckLVcvz5MFtv5uss",
    )
    .replace("0x…", &format!("0x{}", "11".repeat(32)))
    .replace("$(date +%F)", "2026-12-01")
    .replace("$D", "/tmp/catena-docs")
    .replace(" …", "")
}
