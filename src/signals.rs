//! SIGINT (Ctrl-C) and SIGTERM mean the same to every command: the first asks it to stop
//! the way it documents (pub says what was not acknowledged, sub flushes what arrived,
//! ping prints its summary, bench its partial report), the second ends the process at
//! once with 130. The second is acted on inside the signal handler (signal-hook's
//! conditional shutdown), so it works even while the command is stuck (writing to a full
//! pipe, say); the first sets a flag and wakes a task on the command's own runtime. No
//! thread of its own: a one-shot `pub` pays only for what it uses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tokio::sync::watch;

use crate::error::code;

/// Set by the handler of the first SIGINT or SIGTERM; the second, finding it set, exits.
static SIGNALLED: AtomicBool = AtomicBool::new(false);
/// Wakes the waiters of [`interrupted`]; the listener task holds the sender.
static WOKEN: OnceLock<watch::Receiver<bool>> = OnceLock::new();

/// Starts listening, once per process, from inside the command's runtime: from here on
/// SIGINT and SIGTERM are counted rather than fatal.
pub fn install() {
    WOKEN.get_or_init(listen);
}

#[cfg(unix)]
fn listen() -> watch::Receiver<bool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = watch::channel(false);
    // tokio's streams first, so no signal after the handlers exist goes unheard by them.
    let streams = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    );
    for sig in [SIGINT, SIGTERM] {
        // In this order: the shutdown checks the flag before the flag is set, so the first
        // signal only sets it and the second exits.
        let _ = signal_hook::flag::register_conditional_shutdown(
            sig,
            i32::from(code::INTERRUPTED),
            &SIGNALLED,
        );
        let _ = signal_hook::flag::register(sig, &SIGNALLED);
    }
    if let (Ok(mut interrupt), Ok(mut terminate)) = streams {
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tx.send_replace(true);
            // Keep the streams (and the sender) for the life of the runtime.
            std::future::pending::<()>().await;
        });
    }
    rx
}

#[cfg(not(unix))]
fn listen() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if SIGNALLED.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(code::INTERRUPTED));
            }
            tx.send_replace(true);
        }
    });
    rx
}

/// Resolves once SIGINT or SIGTERM has come (at once if one came already).
pub async fn interrupted() {
    if was_interrupted() {
        return;
    }
    let Some(woken) = WOKEN.get() else {
        // Not listening (`gen`): no signal will be counted.
        return std::future::pending().await;
    };
    let mut woken = woken.clone();
    if woken.wait_for(|&signalled| signalled).await.is_err() {
        // The listener is gone with its runtime: the flag is all there is.
        std::future::pending::<()>().await;
    }
}

/// Whether SIGINT or SIGTERM has come.
pub fn was_interrupted() -> bool {
    SIGNALLED.load(Ordering::SeqCst)
}
