//! A card's `refresh` invoke shows the request (requester, target, justification, ticket): only
//! to the requester and the request's approvers, whatever id a tampered invoke names.

use serde_json::json;

use crate::fake_teams::{ALICE, BOB};
use crate::story::{REQUEST_TEXT, TARGETS_TOML};
use crate::teams_app::TeamsApp;

const DAVE: (&str, &str, &str) = (
    "Dave Outsider",
    "29:dave",
    "854eb95f-7e10-4e10-afd0-3853b84a2683",
);

const CARD_TYPE: &str = "application/vnd.microsoft.card.adaptive";

#[tokio::test]
async fn only_the_requester_and_approvers_get_a_refreshed_card() {
    let app = TeamsApp::start(TARGETS_TOML).await;
    let answer = app.send(&app.channel_message(ALICE, REQUEST_TEXT)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = app.approval_card_id().await;
    let refresh = |user| app.invoke(user, "1", "refresh", json!({"request": id}));

    let outsider = app.send(&refresh(DAVE)).await;
    assert_eq!(outsider.status, 200, "{}", outsider.body);
    assert_ne!(outsider.body["type"], CARD_TYPE, "{}", outsider.body);
    let shown = outsider.body.to_string();
    for secret in ["INC-1234", "rotating the cert", "Alice"] {
        assert!(
            !shown.contains(secret),
            "{secret} shown to an outsider: {shown}"
        );
    }
    assert!(
        shown.contains(&format!("There is no request {id}")),
        "{shown}"
    );

    for user in [ALICE, BOB] {
        let own = app.send(&refresh(user)).await;
        assert_eq!(own.body["type"], CARD_TYPE, "{}: {}", user.0, own.body);
        assert!(own.body.to_string().contains("INC-1234"), "{}", own.body);
    }
}
