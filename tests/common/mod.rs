//! Helpers shared by the binary's tests.
#![allow(dead_code)] // each test binary uses a subset of the helpers

use assert_cmd::Command;

/// The `verify` binary.
pub fn verify() -> Command {
    Command::cargo_bin("verify").expect("binary built")
}

/// Each case (extra arguments, flag that the error must name) exits 2 with one line on stderr
/// naming the flag, and never panics.
pub fn assert_bad_input(prefix: &[&str], cases: &[(&[&str], &str)]) {
    for (args, field) in cases {
        let out = verify().args(prefix).args(*args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(field), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
