//! One module per subcommand; each turns its clap args into validated options and runs.

pub mod ping;
pub mod publish;
pub mod rr;
pub mod subscribe;

pub use crate::signals::interrupted;
