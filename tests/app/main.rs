//! Black-box tests: the real pimbot over HTTP against the PIM emulator and a fake Slack.

mod decisions;
mod fake_slack;
mod harness;
mod inbound;
mod refusals;
mod schema;
mod story;
