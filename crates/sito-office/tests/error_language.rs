//! A handler's error page speaks the reader's language: the handler renders it in the default, the gate
//! middleware, which knows the language cookie, renders it again (`gate::in_language`).
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use sito_core::Role;
use sito_office::auth::LANG_COOKIE;
use sito_office::i18n::Lang;
use support::{Office, send, session};

#[tokio::test]
async fn a_handlers_error_page_is_in_the_readers_language() {
    let office = Office::new().await;
    let (cookie, _) = session(&office, Role::SecurityOfficer).await;
    for lang in [Lang::En, Lang::Uk, Lang::Ru] {
        let tr = sito_office::i18n::tr(lang);
        let with_lang = format!("{cookie}; {LANG_COOKIE}={}", lang.code());
        // A malformed case id is the case page's own 404; a malformed page number its own 400.
        let missing = send(&office, "GET", "/cases/not-a-case", Some(&with_lang), &[]).await;
        assert_eq!(missing.status, 404);
        assert!(
            missing.body.contains(&tr.t("error-not-found")),
            "{lang:?}: {}",
            missing.body
        );
        let dossier = send(
            &office,
            "GET",
            "/cases/not-a-case/dossier",
            Some(&with_lang),
            &[],
        )
        .await;
        assert_eq!(dossier.status, 404);
        assert!(dossier.body.contains(&tr.t("error-not-found")), "{lang:?}");
        assert!(
            dossier.body.contains(&format!("lang=\"{}\"", lang.code())),
            "{lang:?}"
        );
    }
}
