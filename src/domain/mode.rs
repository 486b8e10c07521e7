//! How a target's elevation is carried out: pimbot brokering with its own permissions
//! (`assign`), or the requester activating with their own delegated sign-in (`activate`).

/// `defaults.mode`, or a target's `mode`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ActivationMode {
    /// pimbot checks PIM's rules itself, runs the approval in chat, then `adminAssign`s.
    #[default]
    Assign,
    /// The requester signs in once and pimbot calls `selfActivate` with their token, so PIM
    /// enforces its own rules (MFA, authentication context, approval) and names the person.
    Activate,
}

impl ActivationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivationMode::Assign => "assign",
            ActivationMode::Activate => "activate",
        }
    }
}
