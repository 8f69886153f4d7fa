//! sito-screen
#![forbid(unsafe_code)]
