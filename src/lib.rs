//! mqtk: an MQTT command-line toolkit. `run` dispatches a parsed command line to its
//! command; `exit` turns the outcome into a process exit code and a one-line message.

pub mod bench;
pub mod cli;
pub mod cmd;
pub mod conn;
pub mod engine;
pub mod error;
pub mod gen;
pub mod help;
pub mod output;
pub mod signals;

use std::process::ExitCode;

use cli::{Cli, Command};
use output::stdio::stderr;

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if !matches!(cli.command, Command::Gen(_)) {
        signals::install();
    }
    match cli.command {
        Command::Publish(args) => cmd::publish::run(&args).await,
        Command::Subscribe(args) => cmd::subscribe::run(&args).await,
        Command::Ping(args) => cmd::ping::run(&args).await,
        Command::Bench(args) => bench::run(&args).await,
        Command::Gen(args) => gen::write_all(&args.out_dir),
    }
}

/// Parses the command line, runs it on a single-threaded runtime and maps the result to an
/// exit code. Errors are one line on stderr, prefixed `mqtk: error:`.
pub fn main() -> ExitCode {
    let cli = match <Cli as clap::Parser>::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    // The process default provider serves any TLS code path that does not name one.
    let _ = conn::tls::provider().as_ref().clone().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    let outcome = runtime.block_on(run(cli));
    // Do not wait for idle blocking-pool threads (DNS lookups, stdin) to wind down.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if error::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    if !matches!(
        error.downcast_ref::<error::Failure>(),
        Some(error::Failure::Interrupted)
    ) {
        stderr!("mqtk: error: {error:#}");
    }
    ExitCode::from(error::exit_code(error))
}

/// clap's own errors, reduced to one line (help and version print as usual and exit 0).
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(error::code::USAGE)
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            stderr!("mqtk: error: {message} (see --help)");
            ExitCode::from(error::code::USAGE)
        }
    }
}
