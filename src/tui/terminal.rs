//! The terminal loop: owns the terminal, merges input and engine updates into one queue, and
//! draws after each drained batch.

use std::io::{self, Stdout};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::UnboundedReceiver;

use super::TuiOptions;
use super::app::{App, Inbound};
use super::model::StoreFacets;
use super::timings::{PendingKey, Phase, Timings};
use super::views;
use crate::engine::Update;

/// Shortest time between two frames, which caps drawing at about 30 frames a second unless keys
/// arrive faster.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// How often the spinner turns while work runs.
const TICK_INTERVAL: Duration = Duration::from_millis(100);
/// How long the input thread waits for an event before checking whether to stop.
const INPUT_POLL: Duration = Duration::from_millis(100);

type PanicHook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// A message in the UI queue, with the instant crossterm delivered it when it is a key press
/// and timings are on.
struct Queued {
    message: Inbound,
    received: Option<Instant>,
}

impl From<Inbound> for Queued {
    fn from(message: Inbound) -> Queued {
        Queued {
            message,
            received: None,
        }
    }
}

pub(super) fn run(
    mut options: TuiOptions,
    updates: UnboundedReceiver<Update>,
) -> anyhow::Result<()> {
    options.theme = options.theme.honoring_no_color();
    let mut timings = Timings::from_env();
    let mut app = App::new(&options);
    let guard = TerminalGuard::enter().context("failed to prepare the terminal")?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))
        .context("failed to open the terminal")?;
    let size = terminal
        .size()
        .context("failed to read the terminal size")?;
    app.handle(Inbound::Resize(size.width, size.height));
    terminal
        .draw(|frame| views::draw(frame, &app))
        .context("failed to draw")?;
    timings.first_frame(Instant::now(), app.findings_loaded);
    tracing::info!("TUI started");

    let (sender, inbox) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let input = spawn_input(sender.clone(), Arc::clone(&stop), timings.is_enabled())?;
    spawn_signal_listener(sender.clone())?;
    spawn_forwarder(updates, sender)?;

    let result = event_loop(&mut app, &mut terminal, &inbox, &mut timings);
    stop.store(true, Ordering::Relaxed);
    stop_input(input);
    // ratatui's drop prints to stderr when it cannot show the cursor, and printing to a
    // hung-up terminal panics. So the cursor is shown here, and on failure the terminal is
    // forgotten instead of dropped, since the process is about to end.
    if terminal.show_cursor().is_ok() {
        drop(terminal);
    } else {
        std::mem::forget(terminal);
    }
    drop(guard);
    tracing::info!("TUI stopped");
    result
}

/// Waits briefly for the input thread to see `stop`. After a hangup, crossterm's reader can
/// spin on end of file without ever returning, so the thread is then left to end with the
/// process rather than joined, which would keep a dropped session's TUI running.
fn stop_input(input: JoinHandle<()>) {
    let deadline = Instant::now() + INPUT_POLL * 5;
    while !input.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    if !input.is_finished() {
        tracing::warn!("the input thread did not stop, so it is left to end with the process");
        return;
    }
    if input.join().is_err() {
        tracing::error!("the input thread panicked");
    }
}

fn event_loop(
    app: &mut App,
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    inbox: &mpsc::Receiver<Queued>,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let mut last_draw = Instant::now();
    // Keys handled since the last draw, collected only while timings are on.
    let mut pending: Vec<PendingKey> = Vec::new();
    loop {
        let wait = if app.is_busy() {
            TICK_INTERVAL
        } else {
            Duration::from_secs(1)
        };
        let mut typed = match inbox.recv_timeout(wait) {
            Ok(queued) => apply(app, queued, &mut pending),
            Err(RecvTimeoutError::Timeout) if app.is_busy() => {
                app.handle(Inbound::Tick);
                false
            }
            Err(RecvTimeoutError::Timeout) => continue,
            // Both producers ended: input failed and the update channel closed.
            Err(RecvTimeoutError::Disconnected) => {
                anyhow::bail!("terminal input and engine updates both stopped")
            }
        };
        // Take what arrives until the frame interval has passed, so a burst of updates costs
        // one draw. Typed input ends the wait: otherwise a key pressed while progress updates
        // stream in waits up to a whole frame (measured by the load benchmark's latency step).
        while !typed {
            let Some(left) = FRAME_INTERVAL.checked_sub(last_draw.elapsed()) else {
                break;
            };
            match inbox.recv_timeout(left) {
                Ok(queued) => typed = apply(app, queued, &mut pending),
                Err(_) => break,
            }
        }
        while let Ok(queued) = inbox.try_recv() {
            apply(app, queued, &mut pending);
        }
        if app.should_quit() {
            return Ok(());
        }
        app.settle();
        terminal
            .draw(|frame| views::draw(frame, app))
            .context("failed to draw")?;
        last_draw = Instant::now();
        if timings.is_enabled() {
            timings.keys_drawn(pending.drain(..), last_draw);
            timings.run_drawn(Phase::of(&app.work), last_draw);
        }
    }
}

/// Hands `queued` to the app, first noting a stamped key press in `pending`. Returns whether
/// the message was typed input (a key or a paste), which the user waits to see drawn.
fn apply(app: &mut App, queued: Queued, pending: &mut Vec<PendingKey>) -> bool {
    if let (Some(received), Inbound::Key(key)) = (queued.received, &queued.message)
        && key.kind != KeyEventKind::Release
    {
        pending.push(PendingKey::new(key, received, Phase::of(&app.work)));
    }
    let typed = matches!(queued.message, Inbound::Key(_) | Inbound::Paste(_));
    app.handle(queued.message);
    typed
}

/// Turns SIGTERM, SIGHUP and SIGINT into a quit, so that `kill` or a dropped SSH session
/// leaves the terminal restored instead of stuck in the alternate screen and raw mode.
///
/// The thread blocks on the signals for the life of the process; it ends when a signal arrives
/// after the UI has returned.
fn spawn_signal_listener(sender: Sender<Queued>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])
        .context("failed to listen for termination signals")?;
    thread::Builder::new()
        .name("glexia-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                tracing::info!(signal, "termination signal received");
                if sender.send(Inbound::Terminate.into()).is_err() {
                    break;
                }
            }
        })
        .context("failed to start the signal thread")?;
    Ok(())
}

/// Reads terminal events on a thread of its own, because crossterm's reader blocks. With
/// `stamp_keys`, each key press carries the instant crossterm delivered it.
fn spawn_input(
    sender: Sender<Queued>,
    stop: Arc<AtomicBool>,
    stamp_keys: bool,
) -> anyhow::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("tui-input".to_owned())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let message = match event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => match event::read() {
                        Ok(Event::Key(key)) => Inbound::Key(key),
                        Ok(Event::Resize(columns, rows)) => Inbound::Resize(columns, rows),
                        Ok(Event::Paste(text)) => Inbound::Paste(text),
                        Ok(_) => continue,
                        Err(error) => {
                            Inbound::InputFailed(format!("failed to read input: {error}"))
                        }
                    },
                    Err(error) => Inbound::InputFailed(format!("failed to poll input: {error}")),
                };
                let failed = matches!(message, Inbound::InputFailed(_));
                let received =
                    (stamp_keys && matches!(message, Inbound::Key(_))).then(Instant::now);
                if sender.send(Queued { message, received }).is_err() || failed {
                    return;
                }
            }
        })
        .context("failed to start the input thread")
}

/// Moves engine updates into the UI queue.
///
/// NOTE: the thread is not joined. It ends when the engine drops its sender, or at the first
/// update after the UI has returned, since sending then fails.
fn spawn_forwarder(
    mut updates: UnboundedReceiver<Update>,
    sender: Sender<Queued>,
) -> anyhow::Result<()> {
    thread::Builder::new()
        .name("tui-updates".to_owned())
        .spawn(move || {
            while let Some(update) = updates.blocking_recv() {
                // The lists derived from a new store take a pass over every event each, which
                // here delays only later updates, not keys.
                let message = match update {
                    Update::Loaded { store, summary } => {
                        let facets = Box::new(StoreFacets::of(&store));
                        Inbound::Loaded {
                            store,
                            summary,
                            facets,
                        }
                    }
                    other => Inbound::Update(other),
                };
                if sender.send(message.into()).is_err() {
                    return;
                }
            }
        })
        .context("failed to start the update thread")?;
    Ok(())
}

/// Raw mode and the alternate screen, undone on drop and by a panic hook installed meanwhile.
struct TerminalGuard {
    previous_hook: Arc<PanicHook>,
}

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        let previous_hook: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let chained = Arc::clone(&previous_hook);
        std::panic::set_hook(Box::new(move |info| {
            // Restore first so the panic message lands on a usable screen.
            restore_terminal();
            tracing::error!(%info, "panic in the TUI");
            chained(info);
        }));
        let guard = TerminalGuard { previous_hook };
        enable_raw_mode()?;
        // Bracketed paste delivers a pasted query whole, so its line breaks do not press Enter.
        execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
        // Changing the hook while panicking would abort, and the hook is still useful then.
        if !thread::panicking() {
            let previous = Arc::clone(&self.previous_hook);
            let _ours = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}

fn restore_terminal() {
    if let Err(error) = disable_raw_mode() {
        tracing::error!(%error, "failed to leave raw mode");
    }
    if let Err(error) = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    ) {
        tracing::error!(%error, "failed to leave the alternate screen");
    }
}
