//! sito-store
#![forbid(unsafe_code)]
