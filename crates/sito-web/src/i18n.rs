//! UI strings in Russian, Ukrainian and English from Fluent files: no string is written into a template.
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks around arguments would show up as stray characters in plain HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

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

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Ru => langid!("ru"),
            Lang::Uk => langid!("uk"),
            Lang::En => langid!("en"),
        }
    }
}

/// A translator for one request, handed to templates.
#[derive(Clone, Debug)]
pub struct Tr {
    lang: Lang,
    id: LanguageIdentifier,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            id: lang.id(),
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id, key)
            .unwrap_or_else(|| key.to_owned())
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
        LOCALES
            .try_lookup_with_args(&self.id, key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// A label for a domain identifier (`stage-…`, `role-…`), falling back to the identifier's own text.
    pub fn label(&self, prefix: &str, id: &str) -> String {
        let key = format!("{prefix}-{id}");
        LOCALES
            .try_lookup(&self.id, &key)
            .unwrap_or_else(|| id.replace('_', " "))
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
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let path = format!("{}/locales/{lang}/main.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("locale file");
        text.lines()
            .filter(|line| {
                !line.starts_with([' ', '#', '}', '\t']) && line.contains(" = ")
                    || line.ends_with(" =")
            })
            .filter_map(|line| line.split(" =").next())
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty() && !key.starts_with(['[', '*']))
            .collect()
    }

    #[test]
    fn every_language_has_every_key() {
        let english = keys("en");
        assert!(english.len() > 100, "parsed {} keys", english.len());
        for lang in ["ru", "uk"] {
            let other = keys(lang);
            let missing: Vec<_> = english.difference(&other).collect();
            let extra: Vec<_> = other.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{lang}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn every_key_resolves_in_every_language() {
        for lang in Lang::ALL {
            let tr = Tr::new(lang);
            for key in keys("en") {
                // Every argument any string takes, so strings with placeables resolve too.
                let names = [
                    "count",
                    "total",
                    "page",
                    "pages",
                    "call_sign",
                    "role",
                    "minutes",
                    "groups",
                    "reason",
                    "detail",
                ];
                let args: std::collections::HashMap<
                    std::borrow::Cow<'static, str>,
                    FluentValue<'static>,
                > = names
                    .into_iter()
                    .map(|name| (std::borrow::Cow::Borrowed(name), FluentValue::from(2)))
                    .collect();
                let text = LOCALES.try_lookup_with_args(&tr.id, &key, &args);
                assert!(
                    text.is_some_and(|text| !text.contains('{')),
                    "{key} in {}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let ru = Tr::new(Lang::Ru);
        assert_eq!(ru.t1("cases-total", "total", 1u64), "1 дело");
        assert_eq!(ru.t1("cases-total", "total", 3u64), "3 дела");
        assert_eq!(ru.t1("cases-total", "total", 25u64), "25 дел");
        assert_eq!(
            Tr::new(Lang::Uk).t1("cases-total", "total", 2u64),
            "2 справи"
        );
        assert_eq!(Tr::new(Lang::En).t1("cases-total", "total", 1u64), "1 case");
    }

    #[test]
    fn accept_language_is_negotiated() {
        assert_eq!(Lang::negotiate(Some("uk-UA,uk;q=0.9,en;q=0.8")), Lang::Uk);
        assert_eq!(Lang::negotiate(Some("de-DE,en;q=0.5")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::Ru);
    }
}
