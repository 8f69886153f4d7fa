//! Shared pieces of the end-to-end tests: starting the real `sito demo` and driving a real headless Chromium.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]
pub mod demo;
pub mod webdriver;
