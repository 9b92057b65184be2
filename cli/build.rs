//! Records the commit the binary is built from, for `catena --version` (`unknown` outside a git
//! checkout).

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .is_some_and(|out| !out.stdout.is_empty());
    let suffix = if dirty {
        " (with uncommitted changes)"
    } else {
        ""
    };
    println!("cargo:rustc-env=CATENA_COMMIT={commit}{suffix}");
    for path in ["../.git/HEAD", "../.git/logs/HEAD", "../.git/index"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
