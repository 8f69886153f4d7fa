//! The kinds of identifier the blind index knows, apart from the index itself so errors can name a kind.

/// What an identifier is; part of the HMAC input, and decides the normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierKind {
    Phone,
    Email,
    MessengerHandle,
    DocumentNumber,
    Address,
    Referrer,
}

impl IdentifierKind {
    pub const ALL: [IdentifierKind; 6] = [
        IdentifierKind::Phone,
        IdentifierKind::Email,
        IdentifierKind::MessengerHandle,
        IdentifierKind::DocumentNumber,
        IdentifierKind::Address,
        IdentifierKind::Referrer,
    ];

    /// Stable names; they are hashed into every index, so never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::Phone => "phone",
            IdentifierKind::Email => "email",
            IdentifierKind::MessengerHandle => "messenger_handle",
            IdentifierKind::DocumentNumber => "document_number",
            IdentifierKind::Address => "address",
            IdentifierKind::Referrer => "referrer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}
