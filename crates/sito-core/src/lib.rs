//! sito-core
#![forbid(unsafe_code)]
