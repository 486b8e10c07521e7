//! `[limits]`: production's 20 commands a minute and 5 requests an hour unless set, each at least 1.

use super::*;

fn quotas(config: &Config) -> (u32, u32) {
    (
        config.limits.commands_per_minute.get(),
        config.limits.requests_per_hour.get(),
    )
}

#[test]
fn limits_default_to_20_commands_a_minute_and_5_requests_an_hour() {
    let config = parse("").expect("loads");
    assert_eq!(quotas(&config), (20, 5));
    let settings = config.service_settings().limits;
    assert_eq!(
        (
            settings.commands_per_minute.get(),
            settings.requests_per_hour.get()
        ),
        (20, 5)
    );
    let example = Config::parse(EXAMPLE, &[]).expect("the example loads");
    assert_eq!(quotas(&example), (20, 5));
}

#[test]
fn limits_are_set_in_the_file_or_the_environment() {
    let config =
        parse("[limits]\ncommands_per_minute = 60\nrequests_per_hour = 10").expect("loads");
    assert_eq!(quotas(&config), (60, 10));
    let config = parse_env(
        "[limits]\ncommands_per_minute = 60",
        &[("PIMBOT_LIMITS__REQUESTS_PER_HOUR", "2")],
    )
    .expect("loads");
    assert_eq!(quotas(&config), (60, 2));
}

#[test]
fn a_zero_negative_or_unknown_limit_is_refused_by_name() {
    assert_eq!(
        error(parse("[limits]\ncommands_per_minute = 0")),
        "config key `limits.commands_per_minute`: must be at least 1"
    );
    assert_eq!(
        error(parse_env("", &[("PIMBOT_LIMITS__REQUESTS_PER_HOUR", "0")])),
        "config key `limits.requests_per_hour` (set by PIMBOT_LIMITS__REQUESTS_PER_HOUR): must be at least 1"
    );
    let negative = error(parse("[limits]\nrequests_per_hour = -1"));
    assert!(negative.contains("limits.requests_per_hour"), "{negative}");
    let unknown = error(parse("[limits]\ncommands_per_hour = 5"));
    assert!(unknown.contains("limits.commands_per_hour"), "{unknown}");
}
