//! How long an elevation lasts: parsed from chat (`2h`, `1h30m`, `PT2H`) and written as ISO 8601 for PIM.

use std::fmt;

/// A whole number of minutes, at least one, at most 31 days.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ElevationDuration {
    minutes: u32,
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration: use 30m, 2h, 1h30m or ISO 8601 like PT2H")]
pub struct DurationError {
    input: String,
}

const MAX_MINUTES: u32 = 31 * 24 * 60;

impl ElevationDuration {
    /// Parses `30m`, `2h`, `1h30m`, `1d`, or ISO 8601 (`PT2H`, `PT90M`, `P1DT2H`).
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let error = || DurationError {
            input: input.to_owned(),
        };
        let text = input.trim().to_ascii_lowercase();
        let minutes = if let Some(iso) = text.strip_prefix('p') {
            parse_iso(iso)
        } else {
            parse_units(&text)
        }
        .ok_or_else(error)?;
        Self::from_minutes(minutes).ok_or_else(error)
    }

    /// A duration of `minutes`, if it is within 1 minute and 31 days.
    pub fn from_minutes(minutes: u32) -> Option<Self> {
        (1..=MAX_MINUTES)
            .contains(&minutes)
            .then_some(Self { minutes })
    }

    pub fn minutes(self) -> u32 {
        self.minutes
    }

    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.minutes))
    }

    /// ISO 8601 as PIM expects it: days, hours and minutes only (`PT2H`, `P1DT30M`).
    pub fn to_iso8601(self) -> String {
        let (days, hours, minutes) = self.parts();
        let mut out = String::from("P");
        if days > 0 {
            out.push_str(&format!("{days}D"));
        }
        if hours > 0 || minutes > 0 {
            out.push('T');
            if hours > 0 {
                out.push_str(&format!("{hours}H"));
            }
            if minutes > 0 {
                out.push_str(&format!("{minutes}M"));
            }
        }
        out
    }

    fn parts(self) -> (u32, u32, u32) {
        let m = self.minutes;
        (m / 1440, (m % 1440) / 60, m % 60)
    }
}

/// `1d2h30m` style: each number followed by d, h or m; at least one part.
fn parse_units(text: &str) -> Option<u32> {
    let mut total: u32 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: u32 = number.parse().ok()?;
        number.clear();
        let factor = match c {
            'd' => 1440,
            'h' => 60,
            'm' => 1,
            _ => return None,
        };
        total = total.checked_add(value.checked_mul(factor)?)?;
        any = true;
    }
    (number.is_empty() && any).then_some(total)
}

/// The part after `P`: `[nD][T[nH][nM]]`, whole numbers only (PIM has no years, months or weeks).
fn parse_iso(rest: &str) -> Option<u32> {
    let (date, time) = match rest.split_once('t') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = 0u32;
    if !date.is_empty() {
        let days = date.strip_suffix('d')?;
        total = days.parse::<u32>().ok()?.checked_mul(1440)?;
    }
    if let Some(time) = time {
        if time.contains('s') {
            return None;
        }
        total = total.checked_add(parse_units(time)?)?;
    }
    (!rest.is_empty()).then_some(total)
}

impl fmt::Display for ElevationDuration {
    /// Human form: `2h`, `1h30m`, `1d4h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, hours, minutes) = self.parts();
        if days > 0 {
            write!(f, "{days}d")?;
        }
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for ElevationDuration {
    type Error = DurationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ElevationDuration> for String {
    fn from(value: ElevationDuration) -> Self {
        value.to_iso8601()
    }
}

/// A wait measured in seconds (approval timeouts, reminders): `30s`, `10m`, `1h`, `PT45S`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Timeout {
    seconds: u32,
}

impl Timeout {
    /// Parses `1d2h3m4s` parts or ISO 8601 (`PT1H30M`, `PT45S`); at least one second, at most 31 days.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let error = || DurationError {
            input: input.to_owned(),
        };
        let text = input.trim().to_ascii_lowercase();
        let body = match text.strip_prefix('p') {
            Some(iso) => iso.replacen('t', "", 1),
            None => text,
        };
        let mut total: u64 = 0;
        let mut number = String::new();
        for c in body.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let value: u64 = number.parse().map_err(|_| error())?;
            number.clear();
            let factor = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return Err(error()),
            };
            total = total.saturating_add(value.saturating_mul(factor));
        }
        if !number.is_empty() || total == 0 || total > u64::from(MAX_MINUTES) * 60 {
            return Err(error());
        }
        Ok(Self {
            seconds: u32::try_from(total).map_err(|_| error())?,
        })
    }

    pub fn from_secs(seconds: u32) -> Self {
        Self {
            seconds: seconds.max(1),
        }
    }

    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::seconds(i64::from(self.seconds))
    }

    pub fn as_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.seconds))
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PT{}S", self.seconds)
    }
}

impl TryFrom<String> for Timeout {
    type Error = DurationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timeout> for String {
    fn from(value: Timeout) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_and_iso_forms_parse_to_minutes() {
        for (input, minutes) in [
            ("30m", 30),
            ("2h", 120),
            ("1h30m", 90),
            ("1d", 1440),
            ("PT2H", 120),
            ("pt90m", 90),
            ("P1DT2H", 1560),
            ("P1D", 1440),
            (" 2H ", 120),
        ] {
            assert_eq!(
                ElevationDuration::parse(input).map(ElevationDuration::minutes),
                Ok(minutes),
                "{input}"
            );
        }
    }

    #[test]
    fn nonsense_zero_fractions_and_huge_values_are_refused() {
        for input in [
            "",
            "0m",
            "2",
            "h",
            "2x",
            "PT",
            "P",
            "PT1.5H",
            "PT30S",
            "P1Y",
            "P1W",
            "40d",
            "1h-5m",
            "99999999999h",
        ] {
            assert!(ElevationDuration::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn iso_output_uses_days_hours_minutes_only() {
        let iso = |m| ElevationDuration::from_minutes(m).map(|d| d.to_iso8601());
        assert_eq!(iso(120).as_deref(), Some("PT2H"));
        assert_eq!(iso(90).as_deref(), Some("PT1H30M"));
        assert_eq!(iso(1440).as_deref(), Some("P1D"));
        assert_eq!(iso(1500).as_deref(), Some("P1DT1H"));
    }

    #[test]
    fn timeouts_take_seconds_as_well() {
        let secs = |t: &str| Timeout::parse(t).map(|t| t.as_chrono().num_seconds());
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("PT45S"), Ok(45));
        assert_eq!(secs("PT1H"), Ok(3600));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("P1D"), Ok(86_400));
        for bad in ["", "0s", "10", "soon", "P40D"] {
            assert!(Timeout::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_is_the_short_chat_form() {
        let shown = |m: u32| ElevationDuration::from_minutes(m).map(|d| d.to_string());
        assert_eq!(shown(90).as_deref(), Some("1h30m"));
        assert_eq!(shown(45).as_deref(), Some("45m"));
    }
}
