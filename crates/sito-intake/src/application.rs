//! An application as the applicant sends it, checked field by field, and as it is sealed for the office.
//!
//! The JSON interface is read into a `serde_json::Value` first and then checked by hand, so every refusal names
//! the field that is wrong (contracts/intake-api.md: `400 { "error": "<what is wrong, which field>" }`).
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sito_core::Category;
use sito_core::validate::Problem;
use zeroize::{Zeroize, ZeroizeOnDrop};

pub const MAX_STATEMENT_CHARS: usize = 20_000;
pub const MAX_SHORT_CHARS: usize = 200;
pub const MAX_CALL_SIGN_CHARS: usize = 64;
pub const MAX_CONTACTS: usize = 10;

/// One contact: a kind (signal, telegram, email, phone, …) and its value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Contact {
    pub kind: String,
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Military {
    pub served: bool,
    pub branch: String,
    pub unit: String,
    pub rank: String,
}

/// An answer to one of a category's own questions (see `site::questions`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Answer {
    pub question: String,
    pub answer: String,
}

/// A document as sealed: its type after sniffing, and its bytes (re-encoded for images).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Document {
    pub media_type: String,
    /// Kept only as sealed data, served to staff as a download with a warning, never inline.
    pub quarantined: bool,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Document({}, {} bytes)",
            self.media_type,
            self.bytes.len()
        )
    }
}

/// The sealed payload. `Debug` never prints content.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Application {
    pub language: String,
    pub category: String,
    pub call_sign: String,
    pub full_name: String,
    pub birth_date: String,
    pub birth_place: String,
    pub contacts: Vec<Contact>,
    pub military: Military,
    pub statement: String,
    #[serde(default)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub documents: Vec<Document>,
    /// Set when an intake coordinator entered the application from paper or a call.
    #[serde(default)]
    pub assisted: bool,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Application([redacted])")
    }
}

impl Application {
    pub fn category(&self) -> Category {
        Category::parse(&self.category).unwrap_or(Category::Other)
    }

    /// Reads and checks the JSON interface's body. The error names the field and what is wrong with it.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(body).map_err(|error| {
            if error.is_eof() || error.is_syntax() {
                format!(
                    "the body is not valid JSON (line {}, column {})",
                    error.line(),
                    error.column()
                )
            } else {
                "the body is not valid JSON text (broken UTF-8?)".to_owned()
            }
        })?;
        let object = value.as_object().ok_or("the body must be a JSON object")?;
        const KNOWN: &[&str] = &[
            "language",
            "category",
            "call_sign",
            "full_name",
            "birth_date",
            "birth_place",
            "contacts",
            "military",
            "statement",
        ];
        if let Some(unknown) = object.keys().find(|key| !KNOWN.contains(&key.as_str())) {
            return Err(format!("unknown field `{}`", truncate_for_message(unknown)));
        }
        let text = |name: &str, required: bool, max: usize| -> Result<String, String> {
            match object.get(name) {
                None | Some(Value::Null) if !required => Ok(String::new()),
                None | Some(Value::Null) => Err(format!("`{name}` is missing")),
                Some(Value::String(text)) => checked_text(name, text, required, max, false),
                Some(_) => Err(format!("`{name}` must be a string")),
            }
        };
        let language = text("language", true, 8)?;
        if !matches!(language.as_str(), "ru" | "uk" | "en") {
            return Err("`language` must be one of ru, uk, en".into());
        }
        let category = text("category", true, 32)?;
        if Category::parse(&category).is_none() {
            return Err("`category` must be one of former_serviceman, resident_of_ukraine, political_emigre, \
                        prisoner_of_war, other"
                .into());
        }
        let birth_date = birth_date_value(&text("birth_date", false, 10)?)
            .map_err(|problem| field_message("birth_date", &problem))?;
        let contacts = match object.get("contacts") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > MAX_CONTACTS {
                    return Err(format!("`contacts` has more than {MAX_CONTACTS} entries"));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| contact(index, item))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some(_) => return Err("`contacts` must be an array".into()),
        };
        let military = match object.get("military") {
            None | Some(Value::Null) => Military::default(),
            Some(Value::Object(fields)) => military(fields)?,
            Some(_) => return Err("`military` must be an object".into()),
        };
        let statement = match object.get("statement") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => {
                checked_text("statement", text, false, MAX_STATEMENT_CHARS, true)?
            }
            Some(_) => return Err("`statement` must be a string".into()),
        };
        Ok(Self {
            language,
            category,
            call_sign: text("call_sign", true, MAX_CALL_SIGN_CHARS)?,
            full_name: text("full_name", true, MAX_SHORT_CHARS)?,
            birth_date,
            birth_place: text("birth_place", false, MAX_SHORT_CHARS)?,
            contacts,
            military,
            statement,
            answers: Vec::new(),
            documents: Vec::new(),
            assisted: false,
        })
    }
}

fn contact(index: usize, item: &Value) -> Result<Contact, String> {
    let Value::Object(fields) = item else {
        return Err(format!(
            "`contacts[{index}]` must be an object with `kind` and `value`"
        ));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|key| !matches!(key.as_str(), "kind" | "value"))
    {
        return Err(format!(
            "unknown field `contacts[{index}].{}`",
            truncate_for_message(unknown)
        ));
    }
    let field = |name: &str, max: usize| match fields.get(name) {
        Some(Value::String(text)) => {
            checked_text(&format!("contacts[{index}].{name}"), text, true, max, false)
        }
        _ => Err(format!(
            "`contacts[{index}].{name}` must be a non-empty string"
        )),
    };
    let kind = field("kind", 32)?;
    let value = contact_value(&kind, &field("value", MAX_SHORT_CHARS)?)
        .map_err(|problem| field_message(&format!("contacts[{index}].value"), &problem))?;
    Ok(Contact { kind, value })
}

fn military(fields: &serde_json::Map<String, Value>) -> Result<Military, String> {
    if let Some(unknown) = fields
        .keys()
        .find(|key| !matches!(key.as_str(), "served" | "branch" | "unit" | "rank"))
    {
        return Err(format!(
            "unknown field `military.{}`",
            truncate_for_message(unknown)
        ));
    }
    let served = match fields.get("served") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(served)) => *served,
        Some(_) => return Err("`military.served` must be true or false".into()),
    };
    let field = |name: &str| match fields.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => checked_text(
            &format!("military.{name}"),
            text,
            false,
            MAX_SHORT_CHARS,
            false,
        ),
        Some(_) => Err(format!("`military.{name}` must be a string")),
    };
    Ok(Military {
        served,
        branch: field("branch")?,
        unit: field("unit")?,
        rank: field("rank")?,
    })
}

/// Trims, refuses control characters (line breaks only where `multiline`), enforces a length in characters.
pub fn checked_text(
    name: &str,
    text: &str,
    required: bool,
    max: usize,
    multiline: bool,
) -> Result<String, String> {
    let trimmed = text.trim();
    if required && trimmed.is_empty() {
        return Err(format!("`{name}` is empty"));
    }
    if trimmed.chars().count() > max {
        return Err(format!("`{name}` is longer than {max} characters"));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !trimmed.chars().all(allowed) {
        return Err(format!("`{name}` contains control characters"));
    }
    Ok(trimmed.to_owned())
}

/// A date of birth as `sito screen` and the office read it (`sito_core::validate::date`): a real calendar day, so
/// `1990-02-30` is refused here rather than issued a codename. Empty stays empty (the field is optional).
pub fn birth_date_value(text: &str) -> Result<String, Problem> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    sito_core::validate::date(text).map(|date| date.to_string())
}

/// A contact's value: a phone (kind `phone`, or a number given for Signal/WhatsApp) must be a real international
/// number and is kept as E.164, the same `sito_core::validate::phone` the office uses; anything else as typed.
pub fn contact_value(kind: &str, value: &str) -> Result<String, Problem> {
    let kind = kind.to_lowercase();
    let looks_like_number = value.trim().starts_with('+')
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-().".contains(c));
    if kind.contains("phone") || looks_like_number {
        sito_core::validate::phone(value)
    } else {
        Ok(value.to_owned())
    }
}

/// The JSON interface's message for a refused field: the field, then the core's reason (in English, like every
/// message of the interface).
pub fn field_message(name: &str, problem: &Problem) -> String {
    format!("`{name}`: {problem}")
}

/// Field names in error messages come from the client: cut them short so an error never echoes a whole body.
fn truncate_for_message(text: &str) -> String {
    text.chars().take(40).filter(|c| !c.is_control()).collect()
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{ "language": "ru", "category": "former_serviceman", "call_sign": "Тихий",
      "full_name": "Андронников Максимилиан Сергеевич", "birth_date": "1979-03-02", "birth_place": "Сочи",
      "contacts": [ { "kind": "signal", "value": "+7 900 000-00-00" } ],
      "military": { "served": true, "branch": "ground forces", "unit": "", "rank": "sergeant" },
      "statement": "free text" }"#;

    #[test]
    fn the_contract_example_is_accepted() {
        let application = Application::from_json(GOOD.as_bytes()).unwrap();
        assert_eq!(application.call_sign, "Тихий");
        assert_eq!(application.category(), Category::FormerServiceman);
        assert!(application.military.served);
        assert_eq!(format!("{application:?}"), "Application([redacted])");
    }

    #[test]
    fn every_refusal_names_its_field() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"category":"other","call_sign":"a","full_name":"b"}"#,
                "`language` is missing",
            ),
            (
                r#"{"language":"de","category":"other","call_sign":"a","full_name":"b"}"#,
                "`language`",
            ),
            (
                r#"{"language":"en","category":"spy","call_sign":"a","full_name":"b"}"#,
                "`category`",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":" ","full_name":"b"}"#,
                "`call_sign` is empty",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":3}"#,
                "`full_name` must be",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":"b","birth_date":"2/3/79"}"#,
                "`birth_date`",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":"b","birth_date":"1990-02-30"}"#,
                "`birth_date`: no such day",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":"b","contacts":[{"kind":"phone","value":"12"}]}"#,
                "`contacts[0].value`: not a phone",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":"b","contacts":[{"kind":"x"}]}"#,
                "`contacts[0].value`",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":"b","military":{"served":"yes"}}"#,
                "`military.served`",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a","full_name":"b","extra":1}"#,
                "unknown field `extra`",
            ),
            (
                r#"{"language":"en","category":"other","call_sign":"a\u0007","full_name":"b"}"#,
                "control characters",
            ),
            (r#"[1,2]"#, "JSON object"),
            (r#"{"language":"#, "not valid JSON"),
        ];
        for (body, expected) in cases {
            let error = Application::from_json(body.as_bytes()).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
        let long = format!(
            r#"{{"language":"en","category":"other","call_sign":"a","full_name":"b","statement":"{}"}}"#,
            "x".repeat(MAX_STATEMENT_CHARS + 1)
        );
        assert!(
            Application::from_json(long.as_bytes())
                .unwrap_err()
                .contains("`statement` is longer")
        );
        assert!(
            Application::from_json(b"{\"language\":\"\xff\"}")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
