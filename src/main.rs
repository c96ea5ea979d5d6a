//! The `mqtk` binary: everything happens in the library.

fn main() -> std::process::ExitCode {
    mqtk::main()
}
