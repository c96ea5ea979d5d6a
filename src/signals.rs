//! SIGINT (Ctrl-C) and SIGTERM mean the same to every command: the first asks it to stop
//! the way it documents (pub says what was not acknowledged, sub flushes what arrived,
//! ping prints its summary, bench its partial report), the second ends the process at
//! once with 130. They are counted on a thread of their own, with its own small runtime,
//! so the second one works even while the command is stuck (writing to a full pipe, say).

use std::sync::OnceLock;

use tokio::sync::watch;

use crate::error::code;

/// Signals received so far; the listener thread holds the sender.
static RECEIVED: OnceLock<watch::Receiver<u32>> = OnceLock::new();

/// Starts listening, once per process: from here on SIGINT and SIGTERM are counted rather
/// than fatal. Returns when the handlers are in place.
pub fn install() {
    received();
}

fn received() -> &'static watch::Receiver<u32> {
    RECEIVED.get_or_init(|| {
        let (tx, rx) = watch::channel(0);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("mqtk-signals".into())
            .spawn(move || listen(&tx, ready_tx));
        if spawned.is_ok() {
            // Err: the thread could not listen; signals keep their default action.
            let _ = ready_rx.recv();
        }
        rx
    })
}

/// The listener thread: counts signals, ends the process at the second.
fn listen(count: &watch::Sender<u32>, ready: std::sync::mpsc::Sender<()>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut interrupt), Ok(mut terminate)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            let _ = ready.send(());
            loop {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
                count_one(count);
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ready.send(());
            while tokio::signal::ctrl_c().await.is_ok() {
                count_one(count);
            }
        }
    });
}

fn count_one(count: &watch::Sender<u32>) {
    let n = *count.borrow() + 1;
    if n >= 2 {
        std::process::exit(i32::from(code::INTERRUPTED));
    }
    count.send_replace(n);
}

/// Resolves once SIGINT or SIGTERM has come (at once if one came already).
pub async fn interrupted() {
    let mut signals = received().clone();
    if signals.wait_for(|&n| n > 0).await.is_err() {
        // Nobody listens (the thread failed to start): no signal will be counted.
        std::future::pending::<()>().await;
    }
}

/// Whether SIGINT or SIGTERM has come.
pub fn was_interrupted() -> bool {
    *received().borrow() > 0
}
