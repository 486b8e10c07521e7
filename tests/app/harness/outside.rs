//! What the tests do beside pimbot: read a request as stored, and act in the tenant as another
//! app would (an administrator's tool, the portal).

use pimbot::domain::request::{Request, ShortId};
use serde_json::Value;

use super::{TENANT_ID, TestApp};

/// The client id of the administrator's tool in the emulator's tenant (not pimbot's).
const ADMIN_TOOL: &str = "99999999-0000-0000-0000-00000000ad01";

impl TestApp {
    /// The request `id` (`PIM-…`) as the store holds it now.
    pub(crate) async fn stored_request(&self, id: &str) -> Request {
        self.store
            .request(ShortId::parse(id).expect("a request id"))
            .await
            .expect("store")
            .expect("request")
    }

    /// A Graph token of another app of the tenant, to write to PIM as an administrator would.
    pub(crate) async fn admin_tool_token(&self) -> String {
        let token: Value = self
            .http
            .post(format!(
                "{}/{TENANT_ID}/oauth2/v2.0/token",
                self.emulator_url
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", ADMIN_TOOL),
                ("client_secret", "portal-admin"),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        token["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }
}
