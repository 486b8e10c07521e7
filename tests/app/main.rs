//! Black-box tests: the real pimbot over HTTP against the PIM emulator and a fake Slack.

#![expect(
    clippy::disallowed_methods,
    reason = "tests choose their database (DATABASE_URL) and logging (TEST_LOG) from the environment"
)]

mod activate;
mod activate_providers;
mod activate_sign_in;
mod activate_teams;
mod adaptive_cards;
mod adoption;
mod anchors;
mod approver_authority;
mod azure_story;
mod call_budget;
mod chat_limits;
mod crash;
mod db_proxy;
mod decisions;
mod durability;
mod elevation;
mod ending;
mod fake_slack;
mod fake_teams;
mod forms;
mod group_story;
mod harness;
mod identity_mapping;
mod inbound;
mod job_engine;
mod limits;
mod observability;
mod outage;
mod portal_requests;
mod providers_faults;
mod refusals;
mod replicas;
mod schema;
mod story;
mod target_matching;
mod teams_app;
mod teams_auth;
mod teams_callers;
mod teams_entra;
mod teams_forms;
mod teams_keys;
mod teams_refresh;
mod teams_story;
mod teams_text;
mod typed_inputs;
mod unknown_assignments;
