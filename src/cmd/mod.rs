//! One module per subcommand; each turns its clap args into validated options and runs.

pub mod publish;
