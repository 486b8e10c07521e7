//! The composition root: builds the store, the PIM and chat adapters, the service, the router and
//! the worker, and runs them until shutdown. The only module that knows every concrete type.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::audit::ExportFormat;
use crate::config::Config;
use crate::domain::audit::AuditAnchor;
use crate::domain::target::TargetKind;
use crate::service::ports::{Chat, Clock, Sealer, Store, SystemClock};
use crate::service::{Delegation, Service};
use crate::teams::KeyClock;
use crate::worker::WorkerSettings;

mod chats;
mod upstreams;
use chats::{chat_routes, slack_part, teams_part};
pub use upstreams::{azure_tokens, pim_adapters, teams_tokens, tenant_api};

/// A built application, ready to serve.
pub struct App {
    pub service: Arc<Service>,
    pub store: Arc<dyn Store>,
    pub router: Router,
    /// Tests shorten the intervals; production keeps the defaults.
    pub worker: WorkerSettings,
    /// The Teams signing-key cache's clock; tests move it forward to age the keys.
    pub teams_key_clock: KeyClock,
}

/// Timeout for every call pimbot makes to Slack, Teams or Entra.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to the database (migrating it) and wires every adapter from `config`.
pub async fn build(config: &Config) -> anyhow::Result<App> {
    build_with_clock(config, Arc::new(SystemClock)).await
}

/// As [`build`], with the service (and the worker) reading time from `clock`: tests move it on.
pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    refuse_unavailable(config)?;
    let store = crate::store::connect_and_migrate(&config.database.url)
        .await
        .with_context(|| format!("database `{}`", redact_url(&config.database.url)))?;
    let http = reqwest::Client::builder()
        .timeout(UPSTREAM_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let tokens = azure_tokens(config)?;
    let (pim, directory) = pim_adapters(config, tokens, &http)?;
    let sign_in = upstreams::sign_in_provider(config, &http)?;
    let self_service: Arc<dyn crate::service::ports::SelfService> = pim.clone();
    let slack = config.slack.as_ref().map(slack_part).transpose()?;
    let teams_key_clock = KeyClock::default();
    let teams = config
        .teams
        .as_ref()
        .map(|teams| teams_part(config, teams, &http, &store, &teams_key_clock))
        .transpose()?;
    let chats = slack
        .iter()
        .map(|slack| slack.client.clone() as Arc<dyn Chat>)
        .chain(
            teams
                .iter()
                .map(|teams| teams.chat.clone() as Arc<dyn Chat>),
        )
        .collect();
    // Every target is resolved before anything serves: a request must never meet a target
    // whose rules pimbot could not tie to what it grants.
    let service = Service::new(
        store.clone(),
        directory,
        pim,
        chats,
        config.service_settings(),
    )
    .await
    .context("resolving the configured [[targets]] in Microsoft Entra and Azure")?;
    let mut service = service.with_clock(clock);
    if let Some(vault) = token_vault(config)? {
        service = service.with_sealer(vault);
    }
    if let Some(sign_in) = sign_in {
        service = service.with_delegation(Delegation {
            sign_in,
            pim: self_service,
            public_url: config.server.public_url.clone().unwrap_or_default(),
            tenant_id: config.azure.tenant_id.clone(),
        });
    }
    let service = Arc::new(service);
    let mut routes = chat_routes(&service, slack, teams);
    if config.auth.is_some() {
        routes = routes.merge(crate::http::auth::auth_routes(service.clone()));
    }
    let router = crate::http::with_operations(routes, store.clone(), crate::http::metrics_handle());
    Ok(App {
        service,
        store,
        router,
        worker: worker_settings(config),
        teams_key_clock,
    })
}

/// The token vault over `auth.token_keys`, when `[auth]` is configured.
fn token_vault(config: &Config) -> anyhow::Result<Option<Arc<dyn Sealer>>> {
    let Some(auth) = &config.auth else {
        return Ok(None);
    };
    let keys = auth
        .token_keys
        .iter()
        .map(|key| (key.id.clone(), key.key.clone()));
    let vault = crate::vault::TokenVault::new(keys).context("config key `auth.token_keys`")?;
    Ok(Some(Arc::new(vault)))
}

/// The worker's intervals and limits from `[worker]` and `[audit]`.
fn worker_settings(config: &Config) -> WorkerSettings {
    WorkerSettings {
        lease: config.worker.lease.as_std(),
        poll_interval: config.worker.poll_interval.as_std(),
        sweep_interval: config.worker.sweep_interval.as_std(),
        anchor_interval: config.audit.anchor_interval.as_std(),
        max_attempts: config.worker.max_attempts,
        concurrency: usize::try_from(config.worker.concurrency).unwrap_or(32),
        retry_deadline: config.worker.retry_deadline.as_std(),
        ..WorkerSettings::default()
    }
}

/// Serves HTTP and runs the worker until `shutdown` resolves; then drains in-flight requests and
/// lets running jobs finish.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(crate::worker::run(
        app.service.clone(),
        app.worker,
        worker_stopped,
    ));
    let served = axum::serve(listener, app.router)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop_worker.send(true);
    worker.await.context("the worker task panicked")?;
    served.context("the HTTP server failed")
}

/// Configuration that names a feature this version does not have stops startup, rather than
/// being silently ignored.
fn refuse_unavailable(config: &Config) -> anyhow::Result<()> {
    if let Some(target) = config
        .targets
        .iter()
        .find(|t| t.kind == TargetKind::Azure && t.scope.is_none())
    {
        anyhow::bail!(
            "config target `{}`: `scope` is required for `kind = \"azure\"` (e.g. \"/subscriptions/<id>/resourceGroups/<name>\")",
            target.name
        );
    }
    Ok(())
}

/// `pimbot serve`.
pub async fn serve_command(config: Config) -> anyhow::Result<()> {
    config.validate_for_serve()?;
    let app = build(&config).await?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("listening on {}", config.server.listen))?;
    tracing::info!(listen = %config.server.listen, "pimbot is serving");
    serve(app, listener, shutdown_signal()).await?;
    tracing::info!("pimbot stopped cleanly");
    Ok(())
}

/// `pimbot migrate`.
pub async fn migrate_command(config: &Config) -> anyhow::Result<()> {
    crate::store::migrate(&config.database.url)
        .await
        .with_context(|| format!("migrating `{}`", redact_url(&config.database.url)))?;
    Ok(())
}

/// `pimbot audit verify [--anchor HASH@SEQ]`: what was checked, or the first thing that does not
/// hold.
pub async fn audit_verify(
    config: &Config,
    anchor: Option<&AuditAnchor>,
) -> anyhow::Result<crate::audit::Verified> {
    let store = crate::store::connect(&config.database.url).await?;
    Ok(crate::audit::verify_against(store.as_ref(), anchor).await?)
}

/// `pimbot audit export` to standard output.
pub async fn audit_export(
    config: &Config,
    format: ExportFormat,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<u64> {
    let store = crate::store::connect(&config.database.url).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = crate::audit::export(store.as_ref(), format, since, &mut out).await?;
    std::io::Write::flush(&mut out)?;
    Ok(written)
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: draining requests and jobs");
}

#[cfg(test)]
mod tests;

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
