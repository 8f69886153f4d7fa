//! UI strings in Russian, Ukrainian and English from Fluent files: no string is written into a template.
//! This is the translator both sites share; the strings themselves live in each site crate.
use fluent_templates::fluent_bundle::FluentValue;
use std::sync::LazyLock;

use fluent_templates::{LanguageIdentifier, Loader, StaticLoader, langid};

/// The Fluent bundles a site looks strings up in, in order: each site crate declares its own with
/// `fluent_templates::static_loader!` (so it ships only its own strings) and may fall back to another site's.
pub type Loaders = &'static [&'static LazyLock<StaticLoader>];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ru,
    Uk,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ru, Lang::Uk, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Uk => "uk",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// The first supported language in an Accept-Language header; Russian when none is.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        accept_language
            .into_iter()
            .flat_map(|header| header.split(','))
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| Self::parse(tag.trim().get(..2)?.to_ascii_lowercase().as_str()))
            .next()
            .unwrap_or(Lang::Ru)
    }

    pub fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Ru => langid!("ru"),
            Lang::Uk => langid!("uk"),
            Lang::En => langid!("en"),
        }
    }
}

/// A translator for one request, handed to templates.
#[derive(Clone)]
pub struct Tr {
    lang: Lang,
    id: LanguageIdentifier,
    loaders: Loaders,
}

impl std::fmt::Debug for Tr {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Tr")
            .field("lang", &self.lang)
            .finish()
    }
}

impl Tr {
    pub fn with_loaders(lang: Lang, loaders: Loaders) -> Self {
        Self {
            lang,
            id: lang.id(),
            loaders,
        }
    }

    fn lookup(&self, key: &str) -> Option<String> {
        self.loaders
            .iter()
            .find_map(|loader| loader.try_lookup(&self.id, key))
    }

    /// The string with arguments, from the first bundle that has the key.
    pub fn lookup_with_args(
        &self,
        key: &str,
        args: &std::collections::HashMap<std::borrow::Cow<'static, str>, FluentValue<'static>>,
    ) -> Option<String> {
        self.loaders
            .iter()
            .find_map(|loader| loader.try_lookup_with_args(&self.id, key, args))
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn t(&self, key: &str) -> String {
        self.lookup(key).unwrap_or_else(|| key.to_owned())
    }

    /// A string with one argument (numbers are passed as numbers so plural rules apply).
    pub fn t1(&self, key: &str, name: &str, value: impl Into<ArgValue>) -> String {
        self.args(key, vec![(name, value.into())])
    }

    /// A string with several arguments.
    pub fn args(&self, key: &str, values: Vec<(&str, ArgValue)>) -> String {
        let args: std::collections::HashMap<std::borrow::Cow<'static, str>, FluentValue<'static>> =
            values
                .into_iter()
                .map(|(name, value)| {
                    let value: FluentValue<'static> = match value {
                        ArgValue::Text(text) => text.into(),
                        ArgValue::Number(number) => number.into(),
                    };
                    (std::borrow::Cow::Owned(name.to_owned()), value)
                })
                .collect();
        self.lookup_with_args(key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// A label for a domain identifier (`stage-…`, `role-…`), falling back to the identifier's own text.
    pub fn label(&self, prefix: &str, id: &str) -> String {
        let key = format!("{prefix}-{id}");
        self.lookup(&key).unwrap_or_else(|| id.replace('_', " "))
    }
}

pub enum ArgValue {
    Text(String),
    Number(f64),
}

impl From<&str> for ArgValue {
    fn from(text: &str) -> Self {
        ArgValue::Text(text.to_owned())
    }
}
impl From<String> for ArgValue {
    fn from(text: String) -> Self {
        ArgValue::Text(text)
    }
}
impl From<u64> for ArgValue {
    fn from(number: u64) -> Self {
        ArgValue::Number(number as f64)
    }
}
impl From<u32> for ArgValue {
    fn from(number: u32) -> Self {
        ArgValue::Number(f64::from(number))
    }
}
impl From<usize> for ArgValue {
    fn from(number: usize) -> Self {
        ArgValue::Number(number as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_negotiated() {
        assert_eq!(Lang::negotiate(Some("uk-UA,uk;q=0.9,en;q=0.8")), Lang::Uk);
        assert_eq!(Lang::negotiate(Some("de-DE,en;q=0.5")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::Ru);
    }
}
