//! Before an elevation ends, its requester is warned (`defaults.end_warning` ahead) with an End
//! now button; an outsider's click is refused, the requester's ends it, and PIM's assignment
//! goes with it.

use pimbot::emulator::Tenant;

use crate::harness::TestApp;
use crate::story::{TARGETS_TOML, alice_requests};

#[tokio::test]
async fn the_requester_is_warned_before_the_end_and_can_end_it_from_the_warning() {
    // 2 h elevations, warned 2 h - 2 s ahead: the warning comes two seconds after activation.
    let config = format!("[defaults]\nend_warning = \"7198s\"\n{TARGETS_TOML}");
    let app = TestApp::start_with(Tenant::demo(), &config).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "is active until").await;

    let warning = app.wait_for_dm("UALICE", "Done already?").await;
    let text = warning["text"].as_str().expect("text");
    assert!(text.contains(&id) && text.contains("ends at"), "{text}");
    let button = &warning["blocks"][1]["elements"][0];
    assert_eq!(button["action_id"], "end_now", "{warning}");
    assert_eq!(button["value"], id.as_str());
    assert_eq!(app.emulator.active_assignments().len(), 1);

    // An outsider's click (a forwarded message, say) changes nothing.
    assert_eq!(app.click("UDAVE", "end_now", &id).await, 200);
    app.wait_for_dm("UDAVE", &format!("{id} is not yours"))
        .await;
    assert_eq!(app.emulator.active_assignments().len(), 1, "still active");

    assert_eq!(app.click("UALICE", "end_now", &id).await, 200);
    app.wait_for_dm("UALICE", "ended early").await;
    assert!(
        app.emulator.active_assignments().is_empty(),
        "PIM's assignment removed"
    );
}
