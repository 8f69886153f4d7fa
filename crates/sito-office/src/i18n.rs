//! The staff site's strings (`locales/`), falling back to the intake's for the pages staff fill in on an
//! applicant's behalf (assisted intake reuses the intake's questions).
use fluent_templates::static_loader;
use std::sync::LazyLock;

pub use sito_http::i18n::{ArgValue, Lang, Loaders, Tr};

static_loader! {
    pub static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks around arguments would show up as stray characters in plain HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static LOADERS: [&LazyLock<fluent_templates::StaticLoader>; 2] =
    [&LOCALES, &sito_intake::i18n::LOCALES];

/// A translator for one request, handed to templates.
pub fn tr(lang: Lang) -> Tr {
    Tr::with_loaders(lang, &LOADERS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_templates::fluent_bundle::FluentValue;
    use std::collections::BTreeSet;

    /// Every `.ftl` file of a language, as the loader reads them all.
    fn text(lang: &str) -> String {
        let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
        let mut text = String::new();
        for entry in std::fs::read_dir(&dir).expect("locale folder") {
            let path = entry.expect("locale entry").path();
            if path.extension().is_some_and(|ext| ext == "ftl") {
                text.push_str(&std::fs::read_to_string(&path).expect("locale file"));
                text.push('\n');
            }
        }
        text
    }

    /// Every argument any string takes (`{ $name }`), so strings with placeables resolve in the test.
    fn argument_names() -> BTreeSet<String> {
        text("en")
            .split('$')
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect::<String>()
            })
            .filter(|name| !name.is_empty())
            .collect()
    }

    fn keys(lang: &str) -> BTreeSet<String> {
        let text = text(lang);
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
            let tr = tr(lang);
            for key in keys("en") {
                let args: std::collections::HashMap<
                    std::borrow::Cow<'static, str>,
                    FluentValue<'static>,
                > = argument_names()
                    .into_iter()
                    .map(|name| (std::borrow::Cow::Owned(name), FluentValue::from(2)))
                    .collect();
                let text = tr.lookup_with_args(&key, &args);
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
        let ru = tr(Lang::Ru);
        assert_eq!(ru.t1("cases-total", "total", 1u64), "1 дело");
        assert_eq!(ru.t1("cases-total", "total", 3u64), "3 дела");
        assert_eq!(ru.t1("cases-total", "total", 25u64), "25 дел");
        assert_eq!(tr(Lang::Uk).t1("cases-total", "total", 2u64), "2 справи");
        assert_eq!(tr(Lang::En).t1("cases-total", "total", 1u64), "1 case");
    }
}
