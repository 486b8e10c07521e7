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
use crate::pim::TokenProvider;
use crate::service::Service;
use crate::service::ports::{Chat, Clock, Store, SystemClock};
use crate::slack::{SlackClient, SlackSettings, SlackState};
use crate::teams::{
    Authenticator, Connector, EntraIssuer, KeyClock, TeamsChat, TeamsSettings, TeamsState,
};
use crate::worker::WorkerSettings;

mod upstreams;
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
    let mut chats: Vec<Arc<dyn Chat>> = Vec::new();
    let mut slack = None;
    if let Some(slack_config) = &config.slack {
        let settings = Arc::new(SlackSettings {
            signing_secrets: slack_config.signing_secrets.clone(),
            bot_token: slack_config.bot_token.clone(),
            api_url: slack_config.api_url.clone(),
            audit_channel: slack_config.audit_channel.clone(),
            allowed_teams: slack_config.allowed_teams.clone(),
            timeout: UPSTREAM_TIMEOUT,
        });
        let client =
            Arc::new(SlackClient::new(settings.clone()).context("building the Slack client")?);
        learn_slack_workspace(&client);
        chats.push(client.clone());
        slack = Some((settings, client));
    }
    let mut teams = None;
    let teams_key_clock = KeyClock::default();
    if let Some(teams_config) = &config.teams {
        let settings = Arc::new(TeamsSettings {
            app_id: teams_config.app_id.clone(),
            app_tenant_id: teams_config.app_tenant_id.clone(),
            tenant_id: teams_config
                .app_tenant_id
                .clone()
                .unwrap_or_else(|| config.azure.tenant_id.clone()),
            openid_metadata_url: teams_config.openid_metadata_url.clone(),
            entra_issuer: teams_config.app_tenant_id.as_ref().map(|tenant| {
                let authority_host = config.azure.authority_host.clone();
                let openid_metadata_url = teams_config
                    .entra_openid_metadata_url
                    .clone()
                    .unwrap_or_else(|| {
                        format!(
                            "{}/{tenant}/v2.0/.well-known/openid-configuration",
                            authority_host.trim_end_matches('/')
                        )
                    });
                EntraIssuer {
                    authority_host,
                    openid_metadata_url,
                    allowed_callers: teams_config.allowed_callers.clone(),
                }
            }),
            service_url: teams_config.service_url.clone(),
            audit_conversation: teams_config.audit_conversation.clone(),
            timeout: UPSTREAM_TIMEOUT,
            key_clock: teams_key_clock.clone(),
        });
        let bot_tokens = teams_tokens(config, teams_config)?;
        let connector = Connector::new(http.clone(), Arc::new(ConnectorToken(bot_tokens)));
        let chat = Arc::new(TeamsChat::new(connector, store.clone(), settings.clone()));
        chats.push(chat.clone());
        let auth = Arc::new(Authenticator::new(&settings, http.clone()));
        teams = Some((auth, chat));
    }
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
    let service = Arc::new(service.with_clock(clock));
    let mut routes = Router::new();
    if let Some((settings, client)) = slack {
        routes = routes.merge(crate::slack::router(SlackState {
            service: service.clone(),
            settings,
            client,
        }));
    }
    if let Some((auth, chat)) = teams {
        routes = routes.merge(crate::teams::router(TeamsState {
            service: service.clone(),
            auth,
            chat,
        }));
    }
    let router = crate::http::with_operations(routes, store.clone(), crate::http::metrics_handle());
    Ok(App {
        service,
        store,
        router,
        worker: WorkerSettings {
            lease: config.worker.lease.as_std(),
            poll_interval: config.worker.poll_interval.as_std(),
            sweep_interval: config.worker.sweep_interval.as_std(),
            anchor_interval: config.audit.anchor_interval.as_std(),
            max_attempts: config.worker.max_attempts,
            concurrency: usize::try_from(config.worker.concurrency).unwrap_or(32),
            retry_deadline: config.worker.retry_deadline.as_std(),
            ..WorkerSettings::default()
        },
        teams_key_clock,
    })
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

/// Asks Slack once, at startup, which workspace the bot token belongs to (its members are the
/// ones pimbot trusts unless `slack.allowed_teams` says otherwise), without holding up startup:
/// like every upstream, Slack may be down for a moment, and a failure is asked again when a
/// Slack user is first identified.
fn learn_slack_workspace(client: &Arc<SlackClient>) {
    if client.settings().allowed_teams.is_some() {
        return;
    }
    let client = client.clone();
    tokio::spawn(async move {
        match client.allowed_teams().await {
            Ok(teams) => {
                tracing::info!(slack.team_id = ?teams, "trusting the Slack workspace of the bot token")
            }
            Err(error) => tracing::warn!(
                error = %error,
                "cannot ask Slack (auth.test) which workspace the bot token belongs to; asking again \
                 when a Slack user is identified. Check slack.bot_token, or set slack.allowed_teams"
            ),
        }
    });
}

/// The Teams adapter's Connector token, from pimbot's token machinery.
struct ConnectorToken(Arc<dyn TokenProvider>);

#[async_trait::async_trait]
impl crate::teams::ConnectorToken for ConnectorToken {
    async fn token(&self) -> Result<String, crate::service::ports::UpstreamError> {
        self.0.token(crate::teams::CONNECTOR_SCOPE).await
    }
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
