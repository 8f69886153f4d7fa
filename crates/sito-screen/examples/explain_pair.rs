//! Development aid: shows how two names are parsed and compared. `explain_pair "NAME A" "NAME B"`.
use sito_screen::names::ParsedName;
use sito_screen::score::compare_names;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed: Vec<ParsedName> = args.iter().map(|a| ParsedName::parse(a)).collect();
    for (raw, name) in args.iter().zip(&parsed) {
        println!("{raw}");
        for token in &name.tokens {
            println!(
                "  {:?} skeleton={} folded={} classes={:?} surname_hint={}",
                token.role, token.skeleton, token.folded, token.classes, token.surname_hint
            );
        }
    }
    if let [a, b] = parsed.as_slice() {
        println!("{:?}", compare_names(a, b));
    }
}
