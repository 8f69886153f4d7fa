pub mod keys;
pub mod plan;
pub mod screen;
pub mod simulate;
