//! sito-screen: name normalisation and transliteration, the watchlist index, fuzzy matching with explanations,
//! and link analysis between applications.
//!
//! ```no_run
//! use sito_screen::{Applicant, Index, Watchlist, read};
//! # fn main() -> Result<(), sito_screen::read::ReadError> {
//! let (records, _skipped) = read::read_watchlist(std::path::Path::new("watchlist.csv"))?;
//! let index = Index::build(&Watchlist::from_records(records));
//! for hit in index.screen(&Applicant::new("A1", "Oleksii Volodymyrovych Butusov", None, None)) {
//!     println!("{} {:.3} {}", hit.watchlist_id, hit.score, hit.explanation.render());
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod batch;
pub mod dates;
pub mod index;
pub mod links;
pub mod names;
pub mod normalize;
pub mod read;
pub mod score;
pub mod translit;

pub use dates::{DobAgreement, PartialDate};
pub use index::{Applicant, Hit, Index, Watchlist};
pub use read::{ApplicantRecord, ReadError, WatchlistRecord};
pub use score::{DEFAULT_THRESHOLD, Explanation, PartMatch};
