pub mod demo;
pub mod keys;
pub mod office;
pub mod plan;
pub mod screen;
mod serve;
pub mod simulate;
pub mod users;
