//! The process's tracing subscriber: logs to stderr (text or JSON), and with the `otel` feature
//! and an OTLP endpoint, every span exported over OTLP/HTTP. Reads no environment itself: the
//! binary passes what it found.

/// What the binary asks for.
#[derive(Debug, Clone, Default)]
pub struct TelemetryOptions {
    /// JSON lines instead of text.
    pub json: bool,
    /// Where to send spans (`…/v1/traces`); `None` exports nothing. Needs the `otel` feature.
    pub otlp_traces_endpoint: Option<String>,
    /// OTLP over HTTP as JSON rather than protobuf (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`).
    pub otlp_json: bool,
}

impl TelemetryOptions {
    /// The options the standard OpenTelemetry variables describe, from `env` (the caller's
    /// snapshot of the environment): `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`; `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn with_otlp_from(mut self, env: &[(String, String)]) -> Self {
        let var = |name: &str| {
            env.iter()
                .find(|(key, value)| key == name && !value.trim().is_empty())
                .map(|(_, value)| value.trim().to_owned())
        };
        self.otlp_traces_endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| {
            var("OTEL_EXPORTER_OTLP_ENDPOINT")
                .map(|base| format!("{}/v1/traces", base.trim_end_matches('/')))
        });
        self.otlp_json = var("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() == Some("http/json");
        self
    }
}

/// Keeps the trace exporter alive; dropping it sends the spans still buffered.
#[must_use = "dropping the guard stops the trace export"]
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider.take() {
            // Nowhere left to report a failed flush but stderr, which the subscriber owns.
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber; `RUST_LOG` (read by the filter) sets the level, default
/// `info`. Fails when an endpoint is given that cannot be used, or without the `otel` feature.
pub fn init(options: &TelemetryOptions) -> Result<TelemetryGuard, String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let text =
        (!options.json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let json = options.json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
    });
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json);
    let Some(endpoint) = options.otlp_traces_endpoint.as_deref() else {
        registry.try_init().map_err(|e| e.to_string())?;
        return Ok(TelemetryGuard::default());
    };
    #[cfg(feature = "otel")]
    {
        use opentelemetry::trace::TracerProvider as _;
        let provider = otel::provider(endpoint, options.otlp_json)?;
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("pimbot"));
        registry.with(layer).try_init().map_err(|e| e.to_string())?;
        Ok(TelemetryGuard {
            provider: Some(provider),
        })
    }
    #[cfg(not(feature = "otel"))]
    {
        Err(format!(
            "an OTLP endpoint is set ({endpoint}) but this pimbot was built without the `otel` \
             feature: unset OTEL_EXPORTER_OTLP_ENDPOINT, or build with `--features otel`"
        ))
    }
}

#[cfg(feature = "otel")]
mod otel {
    use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::SdkTracerProvider;

    /// A batching exporter to `endpoint`, in its own thread: a slow collector never holds up
    /// a request.
    pub(super) fn provider(endpoint: &str, json: bool) -> Result<SdkTracerProvider, String> {
        let protocol = if json {
            Protocol::HttpJson
        } else {
            Protocol::HttpBinary
        };
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(protocol)
            .with_endpoint(endpoint)
            .with_timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("OTLP exporter for {endpoint}: {e}"))?;
        let resource = Resource::builder()
            .with_service_name("pimbot")
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        Ok(SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_traces_endpoint_follows_the_opentelemetry_variables() {
        let none = TelemetryOptions::default().with_otlp_from(&env(&[("OTEL_SDK", "x")]));
        assert_eq!(none.otlp_traces_endpoint, None);
        let base = TelemetryOptions::default()
            .with_otlp_from(&env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")]));
        assert_eq!(
            base.otlp_traces_endpoint.as_deref(),
            Some("http://c:4318/v1/traces")
        );
        assert!(!base.otlp_json);
        let exact = TelemetryOptions::default().with_otlp_from(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:4318/x"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ]));
        assert_eq!(
            exact.otlp_traces_endpoint.as_deref(),
            Some("http://t:4318/x")
        );
        assert!(exact.otlp_json);
    }
}
