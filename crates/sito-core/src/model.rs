//! The closed vocabularies of the domain: staff roles, the field groups a case's content is split into, the
//! applicant categories (tracks) and the phases stages belong to (what the access policy reasons about).
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable identifier used in files, URLs and the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// A staff role (DESIGN.md section 1). A staff account has exactly one.
    Role {
        IntakeCoordinator => "intake_coordinator",
        SecurityOfficer => "security_officer",
        LogisticsOfficer => "logistics_officer",
        Psychologist => "psychologist",
        PolygraphExaminer => "polygraph_examiner",
        BoardMember => "board_member",
        TrainingOfficer => "training_officer",
        UnitCommander => "unit_commander",
        Auditor => "auditor",
        Administrator => "administrator",
    }
);

vocabulary!(
    /// The groups a case's content is split into; access is decided per group.
    FieldGroup {
        Identity => "identity",
        Contacts => "contacts",
        Location => "location",
        MilitaryBackground => "military_background",
        Motivation => "motivation",
        Documents => "documents",
        Screening => "screening",
        Psychology => "psychology",
        Polygraph => "polygraph",
        Logistics => "logistics",
        Decision => "decision",
        Training => "training",
    }
);

vocabulary!(
    /// The applicant's category, which chooses the track through the pipeline.
    Category {
        FormerServiceman => "former_serviceman",
        ResidentOfUkraine => "resident_of_ukraine",
        PoliticalEmigre => "political_emigre",
        PrisonerOfWar => "prisoner_of_war",
        Other => "other",
    }
);

vocabulary!(
    /// What kind of work a stage is. Stages are data (the pipeline file); the access policy reasons about phases, so
    /// a renamed or added stage keeps the right visibility without code changes.
    Phase {
        Intake => "intake",
        Vetting => "vetting",
        Meeting => "meeting",
        Interview => "interview",
        FirstPolygraph => "first_polygraph",
        SecondPolygraph => "second_polygraph",
        Decision => "decision",
        Training => "training",
        Assigned => "assigned",
    }
);

impl Phase {
    /// Phases in pipeline order, so a policy can ask "has the case reached the meeting yet?".
    pub fn rank(self) -> usize {
        Phase::ALL
            .iter()
            .position(|phase| *phase == self)
            .unwrap_or(0)
    }
}

/// Where a case stands: being worked, closed one of four ways, or through to its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Rejected,
    Withdrawn,
    Held,
    Referred,
    /// Reached the end of the track (assigned to a unit).
    Completed,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Held => "held",
            Self::Referred => "referred",
            Self::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Active,
            Self::Rejected,
            Self::Withdrawn,
            Self::Held,
            Self::Referred,
            Self::Completed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identifier_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for group in FieldGroup::ALL {
            assert_eq!(FieldGroup::parse(group.as_str()), Some(*group));
        }
        for category in Category::ALL {
            assert_eq!(Category::parse(category.as_str()), Some(*category));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn phases_are_ordered() {
        assert!(Phase::Intake.rank() < Phase::Meeting.rank());
        assert!(Phase::FirstPolygraph.rank() < Phase::SecondPolygraph.rank());
        assert!(Phase::Training.rank() < Phase::Assigned.rank());
    }
}
