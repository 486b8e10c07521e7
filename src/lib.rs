//! pimbot: a chat-ops front door to Microsoft Entra Privileged Identity Management (PIM).
//!
//! Engineers ask for just-in-time elevation in Slack (`/pim request app1-secrets for 2h ticket
//! INC-1234 rotating the cert`); the owners of their team's group approve or deny with buttons in
//! the channel; pimbot then creates a time-bound PIM assignment (`adminAssign`, `afterDuration`),
//! tells the requester, posts every transition to an audit channel, and keeps a hash-chained audit
//! trail in its database.
//!
//! # Layout
//!
//! Dependencies point inwards: [`domain`] uses nothing of ours; [`service`] uses `domain` and
//! defines the ports (traits) it needs; the adapters ([`store`], [`pim`], [`slack`], [`teams`],
//! [`vault`]) implement or call those ports and never each other (what the outbound ones share,
//! their per-upstream limits, is [`gate`], which uses only the ports); only [`app`] wires
//! concrete types together.
//! `tests/architecture.rs` checks the rule on the parsed code (every `use` tree, path and macro
//! path of every production file): the domain names nothing of ours and no I/O crate, the service
//! only the domain (and `secret`) and no wire crate, no adapter another adapter, and only `app`
//! and `demo` the `emulator` and `demo`. The operator commands [`check`] and [`admin`] sit beside
//! `app` as CLI use cases: only the binary runs them, and `admin` reaches the tenant through
//! `pim` alone (no chat adapter, no database). Test-only code may reach anything.
//!
//! - [`domain`]: the request and its state machine ([`domain::request::Request::apply`]: each
//!   event, with its payload, sets the request's fields, counts the approvals and names the
//!   [`domain::request::Work`] its new state needs, the same work the sweep gives a stalled
//!   request), targets, durations, the activation policy, the commands and their grammar shared
//!   by every chat platform ([`domain::command`], with the request form's fields read one by one,
//!   [`domain::command::RequestFields`]), who may do what ([`domain::authorization`]), refusals in
//!   the user's words, and audit events with their hash chain. Pure: no I/O.
//! - [`service`]: the use cases (submit, decide, cancel, end, list, status, activate, expire,
//!   and activate mode's sign-in, [`service::sign_in`]) over the ports in [`service::ports`]:
//!   [`service::ports::Store`], [`service::ports::Directory`], [`service::ports::Pim`],
//!   [`service::ports::Chat`], [`service::ports::Clock`] (where every `now` comes from; tests
//!   move it on), and for activate mode [`service::ports::SignInProvider`] (Entra's code flow),
//!   [`service::ports::SelfService`] (PIM's `self*` and approval calls with a person's own token)
//!   and [`service::ports::Sealer`]. Every transition is one store
//!   transaction: a compare-and-set on the request's version, the audit event and the jobs for its
//!   side effects ([`service::jobs`], the outbox). A chat command arrives as a
//!   [`service::inbound::Inbound`]: text a person typed, read by the grammar once, where it
//!   arrived, or the command a form or a button built field by field (never written out as text
//!   and read again). Its job carries the command ([`service::jobs::InboundCommand`]), so the
//!   worker reads no text (a job an older pimbot queued with text alone is read from it when
//!   loaded). Each authenticated chat user's commands are counted first ([`service::limits`]).
//!   What pimbot says is written once, platform-neutral, in
//!   [`service::view`] (lines of typed spans and the buttons to offer); failures are worded once
//!   by [`service::ServiceError::user_message`]. The chat adapters only render.
//! - [`worker`]: runs those jobs with a lease, retries with backoff and jitter, and gives up
//!   honestly (the request fails, the requester is told).
//! - [`store`]: the store port for SQLite (default) and PostgreSQL (several replicas): one SQL
//!   implementation, generic over the database, with what differs in one
//!   [`store::sql::Dialect`]; migrations in `migrations/`.
//! - [`pim`]: the token provider (azure_identity in production: client secret, workload
//!   identity, managed identity, Azure CLI), the Microsoft Graph client (directory, Entra roles,
//!   PIM for Groups) and the ARM client (Azure resource roles) over one shared HTTP layer
//!   (retries with `Retry-After`, paging, PIM error mapping), and [`pim::PimProviders`], which
//!   picks the provider by the target's kind ([`domain::target::PimResource`]: each provider takes
//!   only the kinds it serves) and caches policies and role definitions; for activate mode, the
//!   same clients called with a person's delegated token, and Entra's code flow with PKCE
//!   ([`pim::EntraSignIn`]).
//! - [`gate`]: per-upstream limits, one gate per API (Graph, ARM, Slack, the Bot Connector): at
//!   most 16 calls in flight, and a `Retry-After` kept for the operation it was given for, so
//!   one throttled or stalled API cannot take every worker slot. The chat clients wait for a
//!   call slot at most 2 s, then answer throttled and their job is rescheduled.
//! - [`vault`]: the token vault, sealing what activate mode keeps at rest (a chat user's refresh
//!   token, a sign-in's PKCE verifier) with AES-256-GCM under a key ring
//!   ([`service::ports::Sealer`]); `auth.token_keys` configures it.
//! - [`slack`]: request signatures, inbound routes, Block Kit rendering and the Web API client
//!   implementing the chat port.
//! - [`teams`]: Bot Framework token checks, `POST /api/messages`, Adaptive Cards (Universal
//!   Actions) and the Connector client implementing the chat port; conversation references are
//!   kept through the store port.
//! - [`emulator`]: a PIM tenant emulator serving the Graph (Entra roles, PIM for Groups) and ARM
//!   endpoints pimbot uses, with PIM's semantics and error codes, plus the project's one fake
//!   Slack ([`emulator::slack`]) and one fake Bot Framework ([`emulator::bot_framework`]); the
//!   tests and `pimbot demo` run against them. Behind the default feature `demo`, with `demo`.
//! - [`http`]: health, readiness, metrics, body limits and tracing for every route, and
//!   [`http::auth`]: `/auth/start` and `/auth/callback`, the browser's part of a sign-in.
//! - [`metrics`]: every metric family, described once so each shows from the first scrape.
//! - [`telemetry`]: the log subscriber (text or JSON) and, with the `otel` feature, OTLP trace
//!   export.
//! - [`audit`]: `pimbot audit verify` and `pimbot audit export`.
//! - [`check`]: `pimbot check`, the preflight checklist (configuration, database, Graph and ARM
//!   tokens and permissions, Slack scopes and channels, Teams, every target as startup resolves
//!   it, through [`service::Service::preflight_target`]); reads only.
//! - [`admin`]: `pimbot admin`, the tenant side as code (custom roles, groups, PIM
//!   eligibilities and policies, a whole setup file) over [`pim::TenantApi`], idempotent, with a
//!   printed plan and `--dry-run`.
//! - [`config`]: the TOML file and `PIMBOT_<SECTION>__<KEY>` overrides, validated at startup.
//! - [`app`]: the composition root; `serve(app, listener, shutdown)` runs HTTP and the worker.
//! - [`demo`]: `pimbot demo`, a second composition root: the real app against the emulator and
//!   in-process fake Slack and Bot Framework, plus the `/sandbox` page that drives it.
//!
//! # Glossary
//!
//! - *target*: what is requested: an Entra role at a directory scope, membership or ownership of
//!   a PIM-enabled group, or an Azure role at an ARM scope (`kind` = `role`, `group`, `azure`).
//! - *eligibility*: PIM's statement that a principal (the user, or a group they are in) may hold
//!   a target; pimbot checks it at request time and again just before assigning.
//! - *assign mode*: pimbot holds application permissions and brokers: it enforces the target's
//!   end-user activation policy itself, runs the approval in chat, then `adminAssign`s.
//! - *activate mode*: people sign in once; PIM activates with their own token (`selfActivate`)
//!   and enforces its own rules and approvals; pimbot's application only reads.
//! - *short id*: `PIM-42`, the number people type.

pub mod admin;
pub mod app;
#[cfg(test)]
mod arbitrary;
pub mod audit;
pub mod check;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
#[cfg(feature = "demo")]
pub mod emulator;
pub mod gate;
pub mod http;
pub mod metrics;
pub mod pim;
pub mod secret;
pub mod service;
pub mod slack;
pub mod store;
pub mod teams;
pub mod telemetry;
pub mod vault;
pub mod worker;
