pub mod demo;
pub mod intake;
pub mod keys;
pub mod office;
pub mod plan;
pub mod screen;
mod serve;
pub mod simulate;
pub mod users;
