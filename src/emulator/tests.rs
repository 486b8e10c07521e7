//! Black-box tests of the emulator over real HTTP (reqwest against a server on 127.0.0.1:0).

mod activation;
mod approvals;
mod directory;
mod identity;
mod pim;
mod protocol;
mod providers;
mod writes;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::{Emulator, Tenant};

const TENANT: &str = "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b";
const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const BOB: &str = "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70";
const CAROL: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";
const DAVE: &str = "854eb95f-7e10-4e10-afd0-3853b84a2683";
const FRANK: &str = "20c857e8-5b84-4089-a34c-8729ea394230";
const DEPLOY_PIPELINE: &str = "073a2ca8-3162-43b0-bf22-ce29b7bd37a3";
const APP1: &str = "924dabc8-72e9-42de-952f-16054679d118";
const TEAM_GROUP: &str = "00c3b016-8650-4918-b328-0643b54fbd50";
const KEYVAULT_GROUP: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";
const SECRET_MANAGER: &str = "b434934d-1a7a-445b-b935-8304f3006998";
const GROUPS_ADMIN: &str = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
const CLIENT_ID: &str = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

/// A running demo emulator plus an HTTP client holding a valid token.
struct Harness {
    emulator: Emulator,
    base: String,
    client: reqwest::Client,
    token: String,
}

/// A response reduced to what the assertions need.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn error_code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }

    fn error_message(&self) -> &str {
        self.body["error"]["message"]
            .as_str()
            .unwrap_or("<no error message>")
    }
}

async fn start() -> Harness {
    let emulator = Emulator::new(Tenant::demo());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let base = format!("http://{}", listener.local_addr().expect("bound address"));
    emulator.spawn(listener);
    let client = reqwest::Client::new();
    let mut harness = Harness {
        emulator,
        base,
        client,
        token: String::new(),
    };
    let reply = harness.token_request(TENANT, &token_form()).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "token request failed: {}",
        reply.body
    );
    harness.token = reply.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    harness
}

fn token_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", "s3cret"),
        ("scope", "https://graph.microsoft.com/.default"),
    ]
}

impl Harness {
    async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Reply {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.base);
        reply(
            self.client
                .post(url)
                .form(form)
                .send()
                .await
                .expect("token call"),
        )
        .await
    }

    /// GET `path` (relative to the emulator, e.g. `/v1.0/users`) with query pairs and the token.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        let request = self
            .client
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.token);
        reply(request.send().await.expect("GET call")).await
    }

    /// GET an absolute URL (a next link) with the token.
    async fn get_url(&self, url: &str) -> Reply {
        reply(
            self.client
                .get(url)
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("GET call"),
        )
        .await
    }

    async fn post_request(&self, body: &Value) -> Reply {
        let url = format!(
            "{}/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
            self.base
        );
        reply(
            self.client
                .post(url)
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .expect("POST call"),
        )
        .await
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("response body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// An adminAssign of Application Secret Manager on App1 to Alice, the bot's main write.
fn admin_assign(duration: &str, justification: Option<&str>) -> Value {
    let mut body = json!({
        "action": "adminAssign",
        "principalId": ALICE,
        "roleDefinitionId": SECRET_MANAGER,
        "directoryScopeId": format!("/{APP1}"),
        "scheduleInfo": {
            "startDateTime": "2024-01-01T00:00:00Z",
            "expiration": {"type": "AfterDuration", "duration": duration},
        },
        "ticketInfo": {"ticketNumber": "CHG-42", "ticketSystem": "ServiceNow"},
    });
    if let Some(text) = justification {
        body["justification"] = Value::String(text.to_owned());
    }
    body
}

#[test]
fn the_demo_tenant_loads_and_a_dangling_reference_is_rejected() {
    let demo = Tenant::demo();
    assert_eq!(demo.tenant_id, TENANT);
    assert_eq!(demo.users.len(), 6);
    let broken = r#"{"tenantId":"t","groups":[{"id":"g","displayName":"G","members":["nobody"]}]}"#;
    let error = Tenant::from_json(broken).expect_err("dangling member must be rejected");
    assert!(error.to_string().contains("nobody"), "{error}");
    let typo = r#"{"tenantId":"t","users":[{"id":"u","displayName":"U","userPrincipalName":"u@x","mial":"x"}]}"#;
    assert!(
        Tenant::from_json(typo).is_err(),
        "unknown fields must be rejected"
    );
}
