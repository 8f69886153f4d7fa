//! sito-crypto
#![forbid(unsafe_code)]
