//! The routes the manifests name are the real app's: the Ingress exposes exactly the chat
//! platforms' endpoints and the browser's sign-in routes (served when `[auth]` is configured, as
//! the demo's is), and the probes and the scrape path answer, while staying private.

use serde_json::Value;

use crate::kubernetes::yaml;

/// Kubernetes Ingress matching: `Exact` is the whole path, `Prefix` whole `/` elements.
fn ingress_matches(path_type: &str, rule: &str, path: &str) -> bool {
    match path_type {
        "Exact" => rule == path,
        "Prefix" => {
            let rule: Vec<&str> = rule.split('/').filter(|s| !s.is_empty()).collect();
            let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            path.starts_with(&rule)
        }
        other => panic!("pathType {other} is implementation-specific: say what is exposed"),
    }
}

fn ingress_paths() -> Vec<(String, String)> {
    let ingress = yaml("kubernetes/base/ingress.yaml");
    ingress["spec"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .flat_map(|rule| rule["http"]["paths"].as_array().into_iter().flatten())
        .map(|p| {
            assert_eq!(p["backend"]["service"]["name"], "pimbot");
            assert_eq!(p["backend"]["service"]["port"]["name"], "http");
            let text = |v: &Value| v.as_str().expect("text").to_owned();
            (text(&p["pathType"]), text(&p["path"]))
        })
        .collect()
}

fn exposed(path: &str) -> bool {
    ingress_paths()
        .iter()
        .any(|(kind, rule)| ingress_matches(kind, rule, path))
}

/// The chat platforms' endpoints: the Slack app manifest's request URLs, and the Bot Framework's.
fn chat_routes() -> Vec<String> {
    let slack = crate::read("slack/app-manifest.yaml");
    let mut routes: Vec<String> = ["/slack/commands", "/slack/interactions", "/slack/events"]
        .into_iter()
        .filter(|route| slack.contains(route))
        .map(str::to_owned)
        .collect();
    assert_eq!(routes.len(), 3, "the Slack manifest names its three routes");
    routes.push("/api/messages".to_owned());
    routes
}

/// Activate mode's sign-in routes, which a browser follows from a chat link (`[auth]`).
const AUTH_ROUTES: [&str; 2] = ["/auth/start", "/auth/callback"];

#[test]
fn ingress_prefixes_match_whole_path_elements() {
    assert!(ingress_matches("Prefix", "/slack", "/slack/events"));
    assert!(!ingress_matches("Prefix", "/slack", "/slackware"));
    assert!(!ingress_matches(
        "Exact",
        "/api/messages",
        "/api/messages/x"
    ));
}

#[tokio::test]
async fn the_ingress_exposes_the_chat_endpoints_the_sign_in_routes_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("pimbot.db").display());
    let listen = "127.0.0.1:0".parse().expect("address");
    let demo = pimbot::demo::start(pimbot::demo::DemoOptions::new(listen, &db))
        .await
        .expect("the app starts");
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", demo.url());

    for route in chat_routes() {
        assert!(exposed(&route), "{route} is routed by the Ingress");
        // Unsigned, so refused: but by the route, not by a 404.
        let status = http
            .post(url(&route))
            .send()
            .await
            .expect("answer")
            .status();
        assert_eq!(status, 401, "{route} is one of the app's routes");
    }
    for route in AUTH_ROUTES {
        assert!(exposed(route), "{route} is routed by the Ingress");
        // Without a state, refused with a page: but by the route, not by a 404.
        let status = http.get(url(route)).send().await.expect("answer").status();
        assert_eq!(status, 400, "{route} is served when [auth] is configured");
    }
    let public: Vec<String> = chat_routes()
        .into_iter()
        .chain(AUTH_ROUTES.map(str::to_owned))
        .collect();
    for (kind, rule) in ingress_paths() {
        assert!(
            public.iter().any(|r| ingress_matches(&kind, &rule, r)),
            "the Ingress path {rule} leads to no chat endpoint or sign-in route"
        );
    }
    let deployment = yaml("kubernetes/base/deployment.yaml");
    let probes = &deployment["spec"]["template"]["spec"]["containers"][0];
    let mut private: Vec<String> = ["startupProbe", "livenessProbe", "readinessProbe"]
        .iter()
        .map(|p| {
            probes[p]["httpGet"]["path"]
                .as_str()
                .expect("path")
                .to_owned()
        })
        .collect();
    let scrape = deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]
        .as_str()
        .expect("the scrape path")
        .to_owned();
    private.push(scrape);
    for path in private {
        assert!(!exposed(&path), "{path} must stay inside the cluster");
        let status = http.get(url(&path)).send().await.expect("answer").status();
        assert_eq!(status, 200, "{path} is answered by the app");
    }
    assert!(!exposed("/sandbox"));
}
