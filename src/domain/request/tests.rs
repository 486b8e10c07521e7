use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::target::{GroupAccess, GroupMembership, PimResource};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0)
        .single()
        .expect("time")
}

fn person(id: &str) -> Person {
    Person {
        entra_id: id.into(),
        display_name: format!("{id} name"),
        chat_id: None,
    }
}

fn pending(required: u32) -> Request {
    Request {
        id: ShortId::new(7),
        version: 1,
        state: State::PendingApproval,
        platform: Platform::Slack,
        requester: person("rita"),
        target: ResolvedTarget {
            name: Some("app1".to_owned()),
            display_name: "App1".to_owned(),
            scope_display: "membership".to_owned(),
            resource: PimResource::Group(GroupMembership {
                group_id: "g1".to_owned(),
                access: GroupAccess::Member,
            }),
        },
        duration: ElevationDuration::from_minutes(60).expect("duration"),
        ticket: None,
        justification: None,
        approvers: vec![person("ann"), person("bob")],
        approvals_required: required,
        decisions: Vec::new(),
        conversation: "C1".into(),
        approval_conversation: "C2".into(),
        mode: Default::default(),
        pim_approval_id: None,
        approval_deadline: t0() + Duration::hours(1),
        pim_request_id: None,
        active_until: None,
        failure: None,
        created_at: t0(),
        updated_at: t0(),
        extends: None,
        approver_source: None,
        ended_by: None,
    }
}

fn decide(by: &str, approve: bool, lapsed: &[&str]) -> Event {
    Event::Decide {
        decision: Decision {
            approver: person(by),
            approve,
            reason: (!approve).then(|| "no".to_owned()),
            at: t0(),
        },
        lapsed: lapsed.iter().map(|s| EntraId::from(*s)).collect(),
    }
}

fn activated() -> Event {
    Event::Activated {
        pim_request_id: Some("pim-1".to_owned()),
        until: t0() + Duration::hours(1),
    }
}

/// Applies `events` in order, each of which must be allowed.
fn run(mut request: Request, events: Vec<Event>) -> (Request, Vec<Applied>) {
    let mut steps = Vec::new();
    for event in events {
        let applied = request.apply(event, t0()).expect("allowed");
        request = applied.request.clone();
        steps.push(applied);
    }
    (request, steps)
}

#[test]
fn short_ids_parse_in_every_typed_form() {
    assert_eq!(ShortId::parse("PIM-1042"), Ok(ShortId::new(1042)));
    assert_eq!(ShortId::parse("pim-7"), Ok(ShortId::new(7)));
    assert_eq!(ShortId::parse("7"), Ok(ShortId::new(7)));
    assert!(ShortId::parse("PIM-").is_err());
    assert!(ShortId::parse("0").is_err());
    assert!(ShortId::parse("PIM-x").is_err());
    assert_eq!(ShortId::new(12).to_string(), "PIM-12");
    assert_eq!(ShortId::new(12).get(), 12);
}

#[test]
fn a_short_id_serialises_as_the_bare_number() {
    assert_eq!(serde_json::json!(ShortId::new(12)), serde_json::json!(12));
    let read: ShortId = serde_json::from_str("12").expect("number");
    assert_eq!(read, ShortId::new(12));
}

#[test]
fn the_happy_path_sets_every_field_and_asks_for_each_job_once() {
    let events = vec![
        decide("ann", true, &[]),
        decide("bob", true, &[]),
        Event::StartActivation,
        activated(),
        Event::RequestEnd {
            by: "Rita".to_owned(),
        },
        Event::End {
            early: Some(t0() + Duration::minutes(5)),
        },
    ];
    let (end, steps) = run(pending(2), events);
    let changes: Vec<&str> = steps.iter().map(|s| s.change.name()).collect();
    assert_eq!(
        changes,
        [
            "approval_recorded",
            "approved",
            "activation_started",
            "active",
            "end_requested",
            "ended"
        ]
    );
    let work: Vec<Vec<Work>> = steps.iter().map(|s| s.work.clone()).collect();
    let until = t0() + Duration::hours(1);
    assert_eq!(
        work,
        [
            vec![],
            vec![Work::Activate],
            vec![],
            vec![Work::Expire { at: until }, Work::WarnEnding { until }],
            vec![Work::Deactivate {
                by: "Rita".to_owned()
            }],
            vec![],
        ]
    );
    assert_eq!(end.state, State::Ended);
    assert_eq!(end.version, 7);
    assert_eq!(end.decisions.len(), 2);
    assert_eq!(end.pim_request_id.as_deref(), Some("pim-1"));
    assert_eq!(end.active_until, Some(t0() + Duration::minutes(5)));
    assert_eq!(end.ended_by.as_deref(), Some("Rita"));
}

#[test]
fn an_approval_whose_approver_lapsed_does_not_count() {
    let (request, _) = run(pending(2), vec![decide("ann", true, &[])]);
    assert!(request.approval_completes_tally());
    let applied = request
        .apply(decide("bob", true, &["ann"]), t0())
        .expect("allowed");
    assert_eq!(applied.change, Change::ApprovalRecorded { approvals: 1 });
    assert_eq!(applied.request.state, State::PendingApproval);
    let applied = request
        .apply(decide("bob", true, &[]), t0())
        .expect("allowed");
    assert_eq!(
        applied.change,
        Change::Approved {
            by: vec!["ann name".to_owned(), "bob name".to_owned()]
        }
    );
}

#[test]
fn a_denial_ends_the_request_and_a_failure_keeps_its_reason() {
    let denied = pending(2)
        .apply(decide("ann", false, &[]), t0())
        .expect("ok");
    assert_eq!(
        (denied.request.state, denied.change),
        (State::Denied, Change::Denied)
    );
    let (approved, _) = run(pending(1), vec![decide("ann", true, &[])]);
    let failed = approved
        .apply(
            Event::Fail {
                reason: "PIM said no".to_owned(),
            },
            t0(),
        )
        .expect("ok");
    assert_eq!(failed.request.failure.as_deref(), Some("PIM said no"));
}

#[test]
fn a_timeout_tells_the_approvers_and_an_ending_request_may_still_expire() {
    let expired = pending(1).apply(Event::Timeout, t0()).expect("ok");
    assert_eq!(expired.work, vec![Work::TellApproversExpired]);
    let (ending, _) = run(
        pending(1),
        vec![
            decide("ann", true, &[]),
            Event::StartActivation,
            activated(),
            Event::RequestEnd { by: "x".to_owned() },
        ],
    );
    let ended = ending.apply(Event::End { early: None }, t0()).expect("ok");
    assert_eq!(ended.request.active_until, Some(t0() + Duration::hours(1)));
    let again = ending.apply(Event::RequestEnd { by: "x".to_owned() }, t0());
    assert!(again.is_err(), "a second end is not a transition");
}

#[test]
fn each_waiting_state_names_the_work_that_moves_it_on() {
    let mut request = pending(1);
    let halfway = request.created_at + (request.approval_deadline - request.created_at) / 2;
    assert_eq!(
        request.work(t0()),
        vec![
            Work::PostApproval,
            Work::ApprovalTimeout {
                at: request.approval_deadline
            },
            Work::RemindApprovers { at: halfway },
        ]
    );
    for (state, first) in [
        (State::Approved, Work::Activate),
        (State::Activating, Work::Activate),
        (State::Active, Work::Expire { at: t0() }),
        (
            State::Ending,
            Work::Deactivate {
                by: "its requester".to_owned(),
            },
        ),
    ] {
        request.state = state;
        assert_eq!(request.work(t0()).first(), Some(&first), "{state:?}");
    }
}

#[test]
fn a_decided_request_cannot_be_decided_again() {
    let (approved, _) = run(pending(1), vec![decide("ann", true, &[])]);
    assert!(approved.apply(decide("bob", true, &[]), t0()).is_err());
    assert!(approved.apply(decide("bob", false, &[]), t0()).is_err());
    assert!(approved.apply(Event::Cancel, t0()).is_err());
}

#[test]
fn states_round_trip_through_their_database_names() {
    for state in State::ALL {
        assert_eq!(State::from_db(state.as_str()), Some(state));
    }
}

fn any_event() -> impl Strategy<Value = Event> {
    let who = prop::sample::select(vec!["ann", "bob"]);
    prop_oneof![
        (who.clone(), any::<bool>(), any::<bool>()).prop_map(|(by, approve, lapse)| {
            let lapsed: &[&str] = if lapse { &["ann", "bob"] } else { &[] };
            decide(by, approve, lapsed)
        }),
        Just(Event::Cancel),
        Just(Event::Timeout),
        Just(Event::StartActivation),
        Just(activated()),
        Just(Event::Fail {
            reason: "r".to_owned()
        }),
        Just(Event::RequestEnd { by: "x".to_owned() }),
        any::<bool>().prop_map(|early| Event::End {
            early: early.then(t0)
        }),
    ]
}

proptest! {
    #[test]
    fn no_event_leaves_a_final_state_and_each_transition_bumps_the_version_by_one(
        required in 1u32..3,
        events in proptest::collection::vec(any_event(), 0..24),
    ) {
        let mut request = pending(required);
        for event in events {
            let before = request.clone();
            match before.apply(event, t0()) {
                Ok(applied) => {
                    prop_assert!(!before.state.is_final(), "left {:?}", before.state);
                    prop_assert_eq!(applied.request.version, before.version + 1);
                    request = applied.request;
                }
                Err(invalid) => prop_assert_eq!(invalid.from, before.state),
            }
        }
    }
}
