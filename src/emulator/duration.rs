//! ISO-8601 durations as Graph's `Edm.Duration` accepts them: days, hours, minutes, seconds.
//! Years, months and weeks are rejected, as Graph does.

use chrono::TimeDelta;

/// Parses `PnDTnHnMnS` (case-insensitive, fractional seconds allowed); `None` if malformed or negative.
pub(crate) fn parse(text: &str) -> Option<TimeDelta> {
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut millis: i64 = 0;
    if !date.is_empty() {
        let days = date.strip_suffix('D')?;
        millis = millis.checked_add(whole(days)?.checked_mul(86_400_000)?)?;
    }
    if let Some(mut time) = time {
        for (unit, factor) in [('H', 3_600_000_i64), ('M', 60_000)] {
            if let Some((n, tail)) = time.split_once(unit) {
                millis = millis.checked_add(whole(n)?.checked_mul(factor)?)?;
                time = tail;
            }
        }
        if !time.is_empty() {
            let secs = time.strip_suffix('S')?;
            millis = millis.checked_add(seconds_as_millis(secs)?)?;
        }
    }
    Some(TimeDelta::milliseconds(millis))
}

/// Formats a duration the way Graph echoes it (`PT2H`, `P90D`, `P1DT12H`).
pub(crate) fn format(duration: TimeDelta) -> String {
    let total = duration.num_seconds().max(0);
    let (days, rem) = (total / 86_400, total % 86_400);
    let (hours, minutes, seconds) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rem > 0 || days == 0 {
        out.push('T');
        for (value, unit) in [(hours, 'H'), (minutes, 'M'), (seconds, 'S')] {
            if value > 0 {
                out.push_str(&format!("{value}{unit}"));
            }
        }
        if rem == 0 {
            out.push_str("0S");
        }
    }
    out
}

fn whole(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn seconds_as_millis(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut millis = whole(int)?.checked_mul(1000)?;
    if !frac.is_empty() {
        whole(frac)?;
        let padded: String = frac.chars().chain("000".chars()).take(3).collect();
        millis = millis.checked_add(whole(&padded)?)?;
    }
    Some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_days_and_combinations_parse_to_the_right_length() {
        assert_eq!(parse("PT2H"), Some(TimeDelta::hours(2)));
        assert_eq!(parse("P90D"), Some(TimeDelta::days(90)));
        assert_eq!(parse("p1dt12h"), Some(TimeDelta::hours(36)));
        assert_eq!(parse("PT30M"), Some(TimeDelta::minutes(30)));
        assert_eq!(parse("PT1.5S"), Some(TimeDelta::milliseconds(1500)));
        assert_eq!(parse("PT1H30M15S"), Some(TimeDelta::seconds(5415)));
    }

    #[test]
    fn years_months_weeks_and_empty_forms_are_rejected() {
        for bad in [
            "P1Y", "P1M", "P2W", "P", "PT", "PTH", "-PT1H", "2H", "PT1H2", "",
        ] {
            assert_eq!(parse(bad), None, "{bad} should be rejected");
        }
    }

    #[test]
    fn formatting_round_trips_common_values() {
        assert_eq!(format(TimeDelta::hours(2)), "PT2H");
        assert_eq!(format(TimeDelta::days(90)), "P90D");
        assert_eq!(format(TimeDelta::hours(36)), "P1DT12H");
        assert_eq!(format(TimeDelta::minutes(90)), "PT1H30M");
        assert_eq!(format(TimeDelta::zero()), "PT0S");
    }
}
