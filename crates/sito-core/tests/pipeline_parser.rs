//! The pipeline parser reads a file an administrator can get wrong: any text gives a pipeline or a located error,
//! never a panic.
#![allow(clippy::expect_used, clippy::unwrap_used)]
use proptest::prelude::*;
use sito_core::{DEFAULT_PIPELINE_TOML, Pipeline};

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = Pipeline::from_toml("fuzz.toml", &text);
    }

    /// Damage the real file: cut a random span out of it. The result parses or names a line inside the file.
    #[test]
    fn damaged_default_files_are_located(start in 0usize..DEFAULT_PIPELINE_TOML.len(), length in 1usize..80) {
        let mut text = DEFAULT_PIPELINE_TOML.to_owned();
        let start = (0..=start).rev().find(|at| text.is_char_boundary(*at)).unwrap_or(0);
        let end = ((start + length).min(text.len())..=text.len()).find(|at| text.is_char_boundary(*at)).unwrap_or(text.len());
        text.replace_range(start..end, "");
        if let Err(error) = Pipeline::from_toml("damaged.toml", &text) {
            let lines = text.lines().count().max(1) + 1;
            prop_assert!(error.line.is_none_or(|line| line >= 1 && line <= lines), "{error}");
            prop_assert!(error.to_string().starts_with("damaged.toml"));
        }
    }
}
