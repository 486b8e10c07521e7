//! [`SelfService`] against the emulator over HTTP, for an Entra role, a group and an Azure
//! role: activation and deactivation with the person's own token, step-up demands, approvals
//! decided by the approver's token, and the app-only status and pending reads.

mod approvals;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use serde_json::Value;

use crate::domain::duration::ElevationDuration;
use crate::domain::request::ShortId;
use crate::domain::target::{
    AzureRole, EntraRole, GroupAccess, GroupMembership, PimResource, ResolvedTarget,
};
use crate::emulator::{ApprovalOverride, Emulator, Fault, Provider, Tenant};
use crate::pim::token::{ClientCredentialsTokens, TokenProvider, TokenSettings};
use crate::pim::{ApiSettings, ArmClient, GraphClient, PimProviders};
use crate::secret::Secret;
use crate::service::ports::{DelegatedApi, Grant, SelfService, UpstreamError, UpstreamErrorKind};

const TENANT: &str = "8a3e5c1f-2b4d-4e6f-9a1b-3c5d7e9f1a2b";
const PIMBOT: &str = "5d1e7a52-0c3b-4f1e-9d2a-00000000de30";
const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const BOB: &str = "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70";
const CAROL: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";
const FRANK: &str = "20c857e8-5b84-4089-a34c-8729ea394230";
const KEYVAULT_GROUP: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";
const GROUPS_ADMIN: &str = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
const SECURITY_READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
const SUB: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";
const RG: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57/resourceGroups/pim-rg";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// pimbot's app-only tokens, counting every time one is asked for.
struct Counted {
    inner: ClientCredentialsTokens,
    asked: AtomicUsize,
}

#[async_trait]
impl TokenProvider for Counted {
    async fn token(&self, scope: &str) -> Result<String, UpstreamError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.inner.token(scope).await
    }
}

struct Setup {
    emulator: Emulator,
    base: String,
    pim: PimProviders,
    app: Arc<Counted>,
}

impl Setup {
    async fn start() -> Setup {
        Setup::with_timeout(Duration::from_secs(5)).await
    }

    /// With `timeout` per Graph and ARM call.
    async fn with_timeout(timeout: Duration) -> Setup {
        let emulator = Emulator::new(Tenant::demo());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        emulator.spawn(listener);
        let inner = ClientCredentialsTokens::new(&TokenSettings {
            authority_host: base.clone(),
            tenant_id: TENANT.to_owned(),
            client_id: PIMBOT.to_owned(),
            client_secret: Secret::new("s3cret"),
            timeout: Duration::from_secs(5),
        })
        .expect("token settings");
        let app = Arc::new(Counted {
            inner,
            asked: AtomicUsize::new(0),
        });
        let settings = ApiSettings {
            backoff: Duration::from_millis(10),
            timeout,
            ..ApiSettings::for_url(&base)
        };
        let http = reqwest::Client::new();
        let graph = GraphClient::new(settings.clone(), app.clone(), http.clone()).expect("graph");
        let arm = ArmClient::new(settings, app.clone(), http).expect("arm");
        let pim = PimProviders::new(Arc::new(graph), Arc::new(arm), Duration::ZERO);
        Setup {
            emulator,
            base,
            pim,
            app,
        }
    }

    /// A delegated token of `user` for `api` (scopes on the emulator's host).
    fn token(&self, user: &str, mfa: bool, acrs: &[&str], api: DelegatedApi) -> String {
        let base = &self.base;
        let scopes = match api {
            DelegatedApi::Graph => format!(
                "{base}/RoleAssignmentSchedule.ReadWrite.Directory {base}/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
            ),
            DelegatedApi::Arm => format!("{base}/user_impersonation"),
        };
        let tokens = self.emulator.sign_in(user, mfa, acrs, &scopes);
        tokens.expect("sign-in").access_token
    }

    fn app_tokens_asked(&self) -> usize {
        self.app.asked.load(Ordering::SeqCst)
    }

    /// A request made straight against the emulator with `token`, as the portal would.
    async fn send_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Value {
        let query: &[(&str, &str)] = if path.contains("/providers/") {
            &[("api-version", "2020-10-01")]
        } else {
            &[]
        };
        let answer = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("call");
        answer.json().await.expect("json")
    }

    fn require_approval(&self, target: &ResolvedTarget, approver: &str) {
        let approval = ApprovalOverride {
            is_approval_required: Some(true),
            primary_approvers: Some(vec![
                serde_json::json!({"@odata.type": "#microsoft.graph.singleUser", "userId": approver}),
            ]),
            approval_stage_time_out_in_days: Some(1),
            is_approver_justification_required: Some(true),
        };
        let resource = target.resource.clone();
        self.emulator.edit_tenant(move |t| match resource {
            PimResource::Group(group) => {
                let policy = t
                    .group_policies
                    .iter_mut()
                    .find(|p| p.group_id == group.group_id);
                if let Some(policy) = policy {
                    policy.rules.Approval_EndUser_Assignment = Some(approval);
                }
            }
            PimResource::Azure(role) => {
                let policy = t.azure.policies.iter_mut().find(|p| p.scope == role.scope);
                if let Some(policy) = policy {
                    policy.rules.Approval_EndUser_Assignment = Some(approval);
                }
            }
            PimResource::Role(_) => {}
        });
    }
}

fn target(resource: PimResource) -> ResolvedTarget {
    ResolvedTarget {
        name: None,
        display_name: "target".to_owned(),
        scope_display: "scope".to_owned(),
        resource,
    }
}

fn entra_role(role: &str) -> ResolvedTarget {
    target(PimResource::Role(EntraRole {
        role_definition_id: role.to_owned(),
        directory_scope_id: "/".to_owned(),
    }))
}

fn keyvault_members() -> ResolvedTarget {
    target(PimResource::Group(GroupMembership {
        group_id: KEYVAULT_GROUP.to_owned(),
        access: GroupAccess::Member,
    }))
}

fn azure_role(scope: &str, role: &str) -> ResolvedTarget {
    target(PimResource::Azure(AzureRole {
        role_definition_id: format!(
            "{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        ),
        scope: scope.to_owned(),
    }))
}

fn grant(principal: &str, request: i64) -> Grant {
    Grant {
        principal_id: principal.to_owned(),
        duration: ElevationDuration::from_minutes(60).expect("valid"),
        justification: format!("pimbot PIM-{request}: on call"),
        ticket: Some("INC-7".to_owned()),
        request: ShortId::new(request),
        intent: format!("PIM-{request}@1"),
    }
}

/// Activates, is refused a deactivation in the first five minutes, and deactivates after.
async fn activate_then_deactivate(
    setup: &Setup,
    target: &ResolvedTarget,
    grant: &Grant,
    token: &str,
) {
    let asked = setup.app_tokens_asked();
    let on = setup
        .pim
        .self_activate(target, grant, token)
        .await
        .expect("activated");
    assert_eq!(on.receipt.status, "Provisioned", "{on:?}");
    assert_eq!(on.approval_id, None);
    assert!(on.receipt.end.is_some());
    let early = setup.pim.self_deactivate(target, grant, token).await;
    let early = early.expect_err("too soon");
    assert_eq!(early.kind, UpstreamErrorKind::Rejected);
    assert!(
        early.user_message().contains("5 minutes after"),
        "{early:?}"
    );
    setup.emulator.advance_clock(TimeDelta::minutes(6));
    let off = setup
        .pim
        .self_deactivate(target, grant, token)
        .await
        .expect("deactivated");
    assert_eq!(off.status, "Revoked");
    assert_eq!(off.end, None);
    assert_eq!(
        setup.app_tokens_asked(),
        asked,
        "pimbot's own token was not used"
    );
}

#[tokio::test]
async fn an_entra_role_is_activated_and_deactivated_with_the_persons_own_token() {
    let setup = Setup::start().await;
    let token = setup.token(FRANK, true, &[], DelegatedApi::Graph);
    activate_then_deactivate(
        &setup,
        &entra_role(SECURITY_READER),
        &grant(FRANK, 1),
        &token,
    )
    .await;
    let sent = setup.emulator.schedule_requests();
    assert_eq!(sent[0]["action"], "selfActivate");
    assert_eq!(sent[0]["ticketInfo"]["ticketNumber"], "INC-7");
    assert_eq!(
        sent[0]["scheduleInfo"]["expiration"]["type"],
        "afterDuration"
    );
    assert!(sent[0]["scheduleInfo"]["startDateTime"].is_string());
}

#[tokio::test]
async fn a_group_membership_is_activated_and_deactivated_with_the_persons_own_token() {
    let setup = Setup::start().await;
    let token = setup.token(ALICE, false, &[], DelegatedApi::Graph);
    activate_then_deactivate(&setup, &keyvault_members(), &grant(ALICE, 2), &token).await;
}

#[tokio::test]
async fn an_azure_role_is_activated_and_deactivated_with_the_persons_own_token() {
    let setup = Setup::start().await;
    let token = setup.token(ALICE, false, &[], DelegatedApi::Arm);
    activate_then_deactivate(
        &setup,
        &azure_role(RG, CONTRIBUTOR),
        &grant(ALICE, 3),
        &token,
    )
    .await;
    let sent = setup.emulator.requests_of(Provider::Azure);
    assert_eq!(sent[0]["properties"]["requestType"], "SelfActivate");
    assert_eq!(sent[1]["properties"]["requestType"], "SelfDeactivate");
}

#[tokio::test]
async fn a_missing_mfa_asks_for_a_step_up_without_claims() {
    let setup = Setup::start().await;
    let weak = setup.token(FRANK, false, &[], DelegatedApi::Graph);
    let refused = setup
        .pim
        .self_activate(&entra_role(SECURITY_READER), &grant(FRANK, 4), &weak)
        .await
        .expect_err("MFA is required");
    assert_eq!(
        refused.kind,
        UpstreamErrorKind::StepUpRequired { claims: None }
    );
    assert!(
        refused.user_message().contains("multi-factor"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_authentication_context_asks_for_a_step_up_with_the_decoded_claims() {
    let setup = Setup::start().await;
    let plain = setup.token(FRANK, false, &[], DelegatedApi::Arm);
    let target = azure_role(SUB, READER);
    let refused = setup
        .pim
        .self_activate(&target, &grant(FRANK, 5), &plain)
        .await
        .expect_err("the context is required");
    let UpstreamErrorKind::StepUpRequired {
        claims: Some(claims),
    } = &refused.kind
    else {
        panic!("not a step-up with claims: {refused:?}");
    };
    let claims: Value = serde_json::from_str(claims).expect("JSON");
    assert_eq!(
        claims,
        serde_json::json!({"access_token": {"acrs": {"essential": true, "value": "c1"}}})
    );
    let stepped_up = setup.token(FRANK, false, &["c1"], DelegatedApi::Arm);
    let done = setup
        .pim
        .self_activate(&target, &grant(FRANK, 5), &stepped_up)
        .await
        .expect("activated with the context");
    assert_eq!(done.receipt.status, "Provisioned");
}

#[tokio::test]
async fn an_activation_whose_answer_was_lost_is_found_and_not_sent_twice() {
    let setup = Setup::with_timeout(Duration::from_millis(400)).await;
    let late = vec![Fault::LateAnswer(Duration::from_millis(1200))];
    setup
        .emulator
        .inject_faults("roleAssignmentScheduleRequests", late.clone());
    let token = setup.token(FRANK, true, &[], DelegatedApi::Graph);
    let role = entra_role(SECURITY_READER);
    let on = setup
        .pim
        .self_activate(&role, &grant(FRANK, 6), &token)
        .await;
    assert_eq!(on.expect("found").receipt.status, "Provisioned");
    assert_eq!(setup.emulator.schedule_requests().len(), 1, "one POST");

    setup
        .emulator
        .inject_faults("roleAssignmentScheduleRequests", late);
    let token = setup.token(ALICE, false, &[], DelegatedApi::Arm);
    let azure = azure_role(RG, CONTRIBUTOR);
    let on = setup
        .pim
        .self_activate(&azure, &grant(ALICE, 7), &token)
        .await;
    assert_eq!(on.expect("found by name").receipt.status, "Provisioned");
    assert_eq!(
        setup.emulator.requests_of(Provider::Azure).len(),
        1,
        "one PUT"
    );
}
