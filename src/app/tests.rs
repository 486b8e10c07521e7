//! The composition root's wiring of the token vault.

use super::*;

const CONFIG: &str = r#"
[server]
public_url = "https://pimbot.example.com"
[azure]
tenant_id = "tenant"
client_id = "client"
client_secret = "azure-secret-value"
"#;

const AUTH: &str = r#"
[auth]
token_keys = ["k2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
"#;

async fn built(extra: &str) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("pimbot.db").display());
    let text = format!("{CONFIG}{extra}\n[database]\nurl = \"{url}\"\n");
    let config = Config::parse(&text, &[]).expect("config loads");
    (build(&config).await.expect("app builds"), dir)
}

#[tokio::test]
async fn the_service_seals_with_the_first_of_auth_token_keys() {
    let (app, _dir) = built(AUTH).await;
    let sealer = app
        .service
        .sealer()
        .expect("[auth] gives the service a sealer");
    let sealed = sealer.seal("refresh", "ctx").expect("seals");
    assert!(sealed.starts_with("v1.k2."), "{sealed}");
    assert_eq!(sealer.open(&sealed, "ctx").as_deref(), Ok("refresh"));
}

#[tokio::test]
async fn without_auth_the_service_has_no_sealer() {
    let (app, _dir) = built("").await;
    assert!(app.service.sealer().is_none());
}
