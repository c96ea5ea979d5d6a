//! The standard streams. [`Stdout`] is the one writer of stdout: every command prints
//! through it and gets an `io::Result`, so a closed pipe (`mqtk sub | head -1`) comes back
//! as the `BrokenPipe` error that `main` turns into a quiet exit 0. [`StdoutWatch`]
//! notices that the reader is gone while nothing is being written. `stderr!` writes one
//! line to stderr and never fails or panics (std's line-printing macro panics when stderr is
//! a closed pipe, as in `mqtk pub -d 2>&1 | head -2`): diagnostics must not end a run.
//!
//! On a terminal, [`Stdout`] escapes control characters in what others wrote (see
//! [`super::escape`]); on a pipe or a file every byte stays as it was.

use std::io::{self, IsTerminal, Write};

use super::escape::{escape_into, escape_str, Escape, Escaper};

/// stdout, buffered. Nothing reaches the stream before [`Stdout::flush`] (or a full
/// buffer): the caller decides when a line must be seen.
pub struct Stdout {
    out: io::BufWriter<Box<dyn Write + Send>>,
    /// Escape control characters (stdout is a terminal, and no `--raw`).
    escape: bool,
    scratch: Vec<u8>,
}

impl Stdout {
    /// stdout with a buffer of `capacity` bytes; escaping when it is a terminal.
    pub fn new(capacity: usize) -> Stdout {
        Stdout {
            out: io::BufWriter::with_capacity(capacity, raw_stdout()),
            escape: io::stdout().is_terminal(),
            scratch: Vec::new(),
        }
    }

    /// Keeps control characters as they are, even on a terminal (`--raw`).
    pub fn raw(mut self) -> Stdout {
        self.escape = false;
        self
    }

    /// The escape `Stdout` applies to text of kind `mode` (`Off` on a pipe or with `--raw`).
    pub fn escape(&self, mode: Escape) -> Escape {
        if self.escape {
            mode
        } else {
            Escape::Off
        }
    }

    /// Writes bytes others wrote (a payload, a topic, a broker's string, JSON holding
    /// them), escaped as `mode` says when stdout is a terminal.
    pub fn write_shown(&mut self, bytes: &[u8], mode: Escape) -> io::Result<()> {
        match self.escape(mode) {
            Escape::Off => self.out.write_all(bytes),
            mode => {
                self.scratch.clear();
                escape_into(bytes, mode, &mut self.scratch);
                self.out.write_all(&self.scratch)
            }
        }
    }

    /// A writer for text of kind `mode` (serde_json output, a field of a format).
    pub fn shown(&mut self, mode: Escape) -> Escaper<&mut io::BufWriter<Box<dyn Write + Send>>> {
        let mode = self.escape(mode);
        Escaper::new(&mut self.out, mode)
    }

    /// Writes `text` and a newline, escaped on a terminal, and flushes: a line seen at once.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.write_shown(text.as_bytes(), Escape::Text)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

impl Write for Stdout {
    /// Our own text, as it is.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// stdout without std's line buffering in between (ours is bigger and flushed on purpose).
fn raw_stdout() -> Box<dyn Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(io::stdout())
}

/// Watches stdout for a reader that went away (the write end of a pipe whose reader
/// exited reports an error to poll(2)), so a command waiting for something to print
/// notices `| head -1` having had enough. Needs the tokio runtime; stdout that cannot be
/// watched (a file, /dev/null) is never reported closed: a write says so soon enough.
pub struct StdoutWatch {
    #[cfg(unix)]
    fd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl StdoutWatch {
    pub fn new() -> StdoutWatch {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            use tokio::io::{unix::AsyncFd, Interest};
            // A duplicate of fd 1, registered for errors only: its blocking mode (shared
            // with the shell) is left alone, and readable or writable never wakes us.
            // `with_interest` is deprecated since tokio 1.53.3 in favour of an `unsafe`
            // constructor (which this crate forbids) whose one condition is that the fd
            // stays open and the same while registered: an `OwnedFd` moved into the
            // `AsyncFd` guarantees exactly that.
            #[allow(deprecated)]
            let fd = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .and_then(|fd| AsyncFd::with_interest(fd, Interest::ERROR).ok());
            StdoutWatch { fd }
        }
        #[cfg(not(unix))]
        StdoutWatch {}
    }

    /// Resolves when stdout's reader is gone (never, if it cannot be watched).
    pub async fn closed(&self) -> io::Error {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            if fd.ready(tokio::io::Interest::ERROR).await.is_ok() {
                return io::Error::from(io::ErrorKind::BrokenPipe);
            }
        }
        std::future::pending().await
    }
}

impl Default for StdoutWatch {
    fn default() -> StdoutWatch {
        StdoutWatch::new()
    }
}

/// Writes one line to stderr, control characters escaped; errors are ignored.
pub fn stderr_line(args: std::fmt::Arguments) {
    let mut line = match args.as_str() {
        Some(text) => escape_str(text, Escape::Text).into_owned(),
        None => {
            let text = args.to_string();
            escape_str(&text, Escape::Text).into_owned()
        }
    };
    line.push('\n');
    // One write, so a line is not split by another process writing to the same stream.
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// A status line redrawn in place on a terminal's stderr (`bench`'s progress): a spinner and
/// one line of text; off a terminal it is hidden and the caller prints lines of its own.
/// (It replaces indicatif's spinner: that crate was mqtk's only user of libm's `pow`, so
/// every run loaded libm, 320 KB of a one-shot `pub`'s peak RSS.)
pub struct StatusLine {
    terminal: bool,
    drawn: bool,
    turn: usize,
}

impl StatusLine {
    pub fn stderr() -> StatusLine {
        use std::io::IsTerminal;
        StatusLine {
            terminal: io::stderr().is_terminal(),
            drawn: false,
            turn: 0,
        }
    }

    pub fn is_hidden(&self) -> bool {
        !self.terminal
    }

    /// Replaces the line (escaped, so it cannot carry control sequences).
    pub fn show(&mut self, text: &str) {
        if !self.terminal {
            return;
        }
        const SPINNER: [char; 8] = ['⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈'];
        let spinner = SPINNER[self.turn % SPINNER.len()];
        self.turn += 1;
        // One row, never wrapped: a carriage return only goes back to the start of the last
        // row, so a wrapped line would leave a stale row behind each second. The spinner,
        // its space and the last column (writing there may wrap at once) are kept free.
        let columns = terminal_size::terminal_size_of(io::stderr())
            .map_or(80, |(width, _)| usize::from(width.0));
        let text: String = escape_str(text, Escape::Text)
            .chars()
            .take(columns.saturating_sub(3))
            .collect();
        // Carriage return, the line, then erase what a longer previous line left.
        let line = format!("\r{spinner} {text}\x1b[K");
        self.drawn = io::stderr().lock().write_all(line.as_bytes()).is_ok();
    }

    /// Erases the line, leaving the cursor where it began.
    pub fn clear(&mut self) {
        if std::mem::take(&mut self.drawn) {
            let _ = io::stderr().lock().write_all(b"\r\x1b[K");
        }
    }
}

/// A stderr line that never panics and escapes control characters: a line on stderr if it
/// can be written, nothing otherwise.
macro_rules! stderr {
    ($($arg:tt)*) => {
        $crate::output::stdio::stderr_line(format_args!($($arg)*))
    };
}
pub(crate) use stderr;
