//! sito-web
#![forbid(unsafe_code)]
