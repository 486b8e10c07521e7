//! The `pimbot` command line: parse arguments, load configuration, hand over to `app`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pimbot::audit::ExportFormat;
use pimbot::config::Config;
use pimbot::domain::audit::AuditAnchor;

#[derive(Parser)]
#[command(
    name = "pimbot",
    version,
    about = "Chat-ops front door to Microsoft Entra PIM"
)]
struct Cli {
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "PIMBOT_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr; `RUST_LOG` sets the filter (default: info). Spans go to an OTLP collector
/// when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set.
fn init_logging(format: LogFormat) -> Result<pimbot::telemetry::TelemetryGuard, String> {
    #[expect(
        clippy::disallowed_methods,
        reason = "main is the one place that reads the environment"
    )]
    let env: Vec<(String, String)> = std::env::vars().collect();
    let options = pimbot::telemetry::TelemetryOptions {
        json: matches!(format, LogFormat::Json),
        ..Default::default()
    }
    .with_otlp_from(&env);
    pimbot::telemetry::init(&options)
}

#[derive(Subcommand)]
enum Commands {
    /// Run the service (applies database migrations first).
    Serve(ConfigArg),
    /// Apply database migrations and exit.
    Migrate(ConfigArg),
    /// Preflight checks of config, database, tokens, permissions, chat and targets; changes nothing.
    Check(CheckArgs),
    /// The tenant side as code (roles, groups, eligibilities, policies), idempotent, with --dry-run.
    Admin(pimbot::admin::AdminArgs),
    /// The whole service on 127.0.0.1 with a built-in PIM emulator tenant and the /sandbox page.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Exit 0 when the service answers GET /healthz with 200 (the container image's health
    /// check: it has no shell or curl).
    Healthcheck {
        /// The URL to probe.
        #[arg(long, default_value = "http://127.0.0.1:3000/healthz")]
        url: String,
    },
    /// Verify or export the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every link of the hash chain and that it reaches the audit head; names the first
    /// thing that does not hold.
    Verify {
        /// An anchor posted to the audit channel earlier (`HASH@SEQ`): the chain must still
        /// reach event SEQ, with hash HASH.
        #[arg(long, value_parser = AuditAnchor::parse)]
        anchor: Option<AuditAnchor>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Write the audit trail to standard output.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Only events at or after this date (2026-11-30) or time (RFC 3339).
        #[arg(long, value_parser = pimbot::audit::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[cfg(feature = "demo")]
#[derive(clap::Args)]
struct DemoArgs {
    /// The SQLite file (created if missing), or a database URL.
    #[arg(long, default_value = pimbot::demo::DEFAULT_DB)]
    db: String,
    /// Address and port of the service and the sandbox.
    #[arg(long, default_value = pimbot::demo::DEFAULT_LISTEN)]
    listen: std::net::SocketAddr,
    /// Allow a non-loopback --listen: the sandbox then signs requests for anyone who reaches it.
    #[arg(long)]
    allow_remote: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// `text`: one line per check for people; `json`: for automation.
    #[arg(long, value_enum, default_value = "text")]
    format: CheckFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

/// `pimbot check`: the checklist on standard output; fails when any check failed.
async fn check(args: CheckArgs) -> Result<(), String> {
    let source = args.config.config.as_ref().map_or_else(
        || pimbot::config::DEFAULT_PATH.to_owned(),
        |p| p.display().to_string(),
    );
    let report = pimbot::check::run(args.config.load(), &source).await;
    match args.format {
        CheckFormat::Text => say(report.text().trim_end()),
        CheckFormat::Json => say(&report.json().to_string()),
    }
    if report.passed() {
        Ok(())
    } else {
        Err("some checks failed; each ✗ above says what to do".to_owned())
    }
}

#[derive(clap::Args)]
struct ConfigArg {
    /// Configuration file (default: ./pimbot.toml when present).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl ConfigArg {
    fn load(&self) -> Result<Config, String> {
        #[expect(
            clippy::disallowed_methods,
            reason = "main is the one place that reads the environment"
        )]
        let env: Vec<(String, String)> = std::env::vars().collect();
        Config::load(self.config.as_deref(), &env).map_err(|e| e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _telemetry = match init_logging(cli.log_format) {
        Ok(guard) => guard,
        Err(error) => return fail(&format!("cannot start logging: {error}")),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Commands::Serve(arg) => match arg.load() {
            Ok(config) => pimbot::app::serve_command(config)
                .await
                .map_err(|e| format!("{e:#}")),
            Err(error) => Err(error),
        },
        Commands::Migrate(arg) => match arg.load() {
            Ok(config) => pimbot::app::migrate_command(&config)
                .await
                .map_err(|e| format!("{e:#}")),
            Err(error) => Err(error),
        },
        Commands::Check(args) => check(args).await,
        Commands::Admin(args) => {
            let loaded = ConfigArg {
                config: args.config.clone(),
            }
            .load();
            pimbot::admin::run(args, loaded, say).await
        }
        #[cfg(feature = "demo")]
        Commands::Demo(args) => {
            let mut options = pimbot::demo::DemoOptions::new(args.listen, &args.db);
            options.allow_remote = args.allow_remote;
            pimbot::demo::run_command(options, say)
                .await
                .map_err(|e| format!("{e:#}"))
        }
        Commands::Healthcheck { url } => healthcheck(&url).await,
        Commands::Audit { command } => audit(command).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

async fn audit(command: AuditCommand) -> Result<(), String> {
    match command {
        AuditCommand::Verify { anchor, config } => {
            let config = config.load()?;
            let verified = pimbot::app::audit_verify(&config, anchor.as_ref())
                .await
                .map_err(|e| format!("{e:#}"))?;
            say(&format!(
                "audit chain intact: {} events verified, up to the audit head {}",
                verified.events, verified.head
            ));
            if let Some(anchor) = anchor {
                say(&format!("anchor {anchor} matches the chain"));
            }
            Ok(())
        }
        AuditCommand::Export {
            format,
            since,
            config,
        } => {
            let config = config.load()?;
            pimbot::app::audit_export(&config, format, since)
                .await
                .map_err(|e| format!("{e:#}"))
                .map(|_| ())
        }
    }
}

async fn healthcheck(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}

fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{message}");
}

fn fail(message: &str) -> ExitCode {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "pimbot: {message}");
    ExitCode::FAILURE
}
