//! Development aid: which words of a watchlist look like given names yet are not in the equivalence table.
//! `table_coverage WATCHLIST.csv` prints the share of such words covered and the most frequent misses.
use std::collections::HashMap;
use std::path::Path;

use sito_screen::names::{ParsedName, Role};
use sito_screen::translit::surname_sex;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_default();
    let (records, _) = sito_screen::read::read_watchlist(Path::new(&path))?;
    let (mut covered, mut total) = (0usize, 0usize);
    let mut missing: HashMap<String, usize> = HashMap::new();
    for record in &records {
        for name in &record.names {
            if !name.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)) {
                continue;
            }
            let parsed = ParsedName::parse(name);
            for (raw, token) in name.split_whitespace().zip(parsed.tokens.iter()) {
                let surname_like = surname_sex(&token.skeleton).is_some()
                    || ["ko", "uk", "iuk", "ix"]
                        .iter()
                        .any(|e| token.skeleton.ends_with(e));
                if token.role != Role::Word || surname_like || token.surname_hint {
                    continue;
                }
                total += 1;
                if token.classes.is_empty() {
                    *missing.entry(raw.to_lowercase()).or_default() += 1;
                } else {
                    covered += 1;
                }
            }
        }
    }
    println!("given-like words in the table: {covered}/{total}");
    let mut misses: Vec<(String, usize)> = missing.into_iter().collect();
    misses.sort_by_key(|m| std::cmp::Reverse(m.1));
    for (word, count) in misses.iter().take(60) {
        println!("{count:6} {word}");
    }
    Ok(())
}
