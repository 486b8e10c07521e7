//! The activation policy pimbot enforces in `assign` mode: PIM's end-user rules, tightened by config.

use super::duration::ElevationDuration;
use super::refusal::Refusal;

/// The PIM end-user activation rules of one role or group, as read from PIM.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PimPolicy {
    /// `Expiration_EndUser_Assignment.maximumDuration`.
    pub max_duration: Option<ElevationDuration>,
    /// `Enablement_EndUser_Assignment` contains `Justification`.
    pub require_justification: bool,
    /// `Enablement_EndUser_Assignment` contains `Ticketing`.
    pub require_ticket: bool,
    /// `Enablement_EndUser_Assignment` contains `MultiFactorAuthentication`.
    pub require_mfa: bool,
    /// `AuthenticationContext_EndUser_Assignment` is enabled (its claim value).
    pub authentication_context: Option<String>,
    /// `Approval_EndUser_Assignment` primary approvers: user ids.
    pub approver_users: Vec<String>,
    /// `Approval_EndUser_Assignment` primary approvers: group ids (their members approve).
    pub approver_groups: Vec<String>,
}

/// pimbot's own limits for a target (config `[defaults]` merged with the target's overrides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPolicy {
    pub max_duration: ElevationDuration,
    pub default_duration: ElevationDuration,
    pub require_justification: bool,
    pub require_ticket: bool,
}

/// The policy a request is checked against: the stricter of PIM's and pimbot's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePolicy {
    pub max_duration: ElevationDuration,
    pub default_duration: ElevationDuration,
    pub require_justification: bool,
    pub require_ticket: bool,
    pub require_mfa: bool,
    pub authentication_context: Option<String>,
}

impl EffectivePolicy {
    pub fn merge(pim: &PimPolicy, local: &LocalPolicy) -> Self {
        let max_duration = pim
            .max_duration
            .map_or(local.max_duration, |m| m.min(local.max_duration));
        Self {
            max_duration,
            default_duration: local.default_duration.min(max_duration),
            require_justification: pim.require_justification || local.require_justification,
            require_ticket: pim.require_ticket || local.require_ticket,
            require_mfa: pim.require_mfa,
            authentication_context: pim.authentication_context.clone(),
        }
    }

    /// The policy as pimbot checks it in activate mode: PIM checks MFA and the authentication
    /// context itself, against the requester's own sign-in.
    pub fn enforced_by_pim(mut self) -> Self {
        self.require_mfa = false;
        self.authentication_context = None;
        self
    }

    /// Checks a request against the policy. Nothing is silently shortened: too long is refused.
    pub fn check(
        &self,
        duration: ElevationDuration,
        ticket: Option<&str>,
        justification: Option<&str>,
    ) -> Result<(), Refusal> {
        if self.require_mfa {
            return Err(Refusal::RequiresMfa);
        }
        if let Some(context) = &self.authentication_context {
            return Err(Refusal::RequiresAuthenticationContext(context.clone()));
        }
        if duration > self.max_duration {
            return Err(Refusal::OverMaximum {
                requested: duration,
                maximum: self.max_duration,
            });
        }
        let blank = |s: Option<&str>| s.is_none_or(|s| s.trim().is_empty());
        if self.require_ticket && blank(ticket) {
            return Err(Refusal::TicketMissing);
        }
        if self.require_justification && blank(justification) {
            return Err(Refusal::JustificationMissing);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(minutes: u32) -> ElevationDuration {
        ElevationDuration::from_minutes(minutes).expect("valid")
    }

    fn local() -> LocalPolicy {
        LocalPolicy {
            max_duration: d(480),
            default_duration: d(60),
            require_justification: true,
            require_ticket: false,
        }
    }

    #[test]
    fn the_smaller_maximum_wins() {
        let pim = PimPolicy {
            max_duration: Some(d(120)),
            ..PimPolicy::default()
        };
        assert_eq!(EffectivePolicy::merge(&pim, &local()).max_duration, d(120));
        let pim = PimPolicy {
            max_duration: Some(d(600)),
            ..PimPolicy::default()
        };
        assert_eq!(EffectivePolicy::merge(&pim, &local()).max_duration, d(480));
    }

    #[test]
    fn over_the_maximum_is_refused_naming_the_maximum() {
        let pim = PimPolicy {
            max_duration: Some(d(120)),
            ..PimPolicy::default()
        };
        let policy = EffectivePolicy::merge(&pim, &local());
        let refusal = policy
            .check(d(180), None, Some("why"))
            .expect_err("too long");
        assert!(refusal.to_string().contains("2h"), "{refusal}");
        assert!(policy.check(d(120), None, Some("why")).is_ok());
    }

    #[test]
    fn a_required_ticket_or_justification_must_be_there() {
        let pim = PimPolicy {
            require_ticket: true,
            ..PimPolicy::default()
        };
        let policy = EffectivePolicy::merge(&pim, &local());
        assert_eq!(
            policy.check(d(60), None, Some("x")),
            Err(Refusal::TicketMissing)
        );
        assert_eq!(
            policy.check(d(60), Some(" "), Some("x")),
            Err(Refusal::TicketMissing)
        );
        assert_eq!(
            policy.check(d(60), Some("INC-1"), None),
            Err(Refusal::JustificationMissing)
        );
        assert_eq!(policy.check(d(60), Some("INC-1"), Some("x")), Ok(()));
    }

    #[test]
    fn mfa_and_authentication_context_cannot_be_brokered() {
        let pim = PimPolicy {
            require_mfa: true,
            ..PimPolicy::default()
        };
        let policy = EffectivePolicy::merge(&pim, &local());
        assert_eq!(
            policy.check(d(60), None, Some("x")),
            Err(Refusal::RequiresMfa)
        );
    }
}
