//! The intake's strings (`locales/`): the intake ships only its own.
use fluent_templates::static_loader;
use std::sync::LazyLock;

pub use sito_http::i18n::{ArgValue, Lang, Tr};

static_loader! {
    pub static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks around arguments would show up as stray characters in plain HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static LOADERS: [&LazyLock<fluent_templates::StaticLoader>; 1] = [&LOCALES];

/// A translator for one request, handed to templates.
pub fn tr(lang: Lang) -> Tr {
    Tr::with_loaders(lang, &LOADERS)
}
