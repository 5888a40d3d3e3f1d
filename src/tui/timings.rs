//! Optional latency measurements of the TUI, written to the file that `GLEXIA_TIMINGS` names.
//!
//! Without the variable nothing is measured or written. With it, the TUI appends one line per
//! measurement, each a kind followed by `name=value` fields, with times in milliseconds:
//!
//! ```text
//! first_frame ms=38.114 screen=loading
//! key ms=21.507 key=j phase=loading
//! run_end ms=5120.332 phase=done
//! ```
//!
//! - `first_frame`: from process start to the end of the first draw, and whether that frame
//!   showed the loading state or the loaded findings.
//! - `key`: from when crossterm delivered a key event to the end of the next draw, which is the
//!   first frame that reflects it. `phase` is the state of the initial load-and-correlate run
//!   when the UI handled the key: `starting`, `loading`, `correlating`, `done` or `failed`.
//! - `run_end`: from process start to the end of the first draw after that run ended.
//!
//! The load benchmark (`examples/bench`) reads these lines.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::OnceLock;
use std::time::Instant;

use crossterm::event::KeyEvent;

use super::app::Work;

/// The environment variable that names the file the measurements are appended to.
pub const TIMINGS_VAR: &str = "GLEXIA_TIMINGS";

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Records the process start that `first_frame` and `run_end` count from. The binary calls this
/// first thing in `main`; later calls keep the first instant.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Returns the instant [`mark_process_start`] recorded, or now when it was never called, as
/// when the TUI runs inside a test.
fn process_start() -> Instant {
    *PROCESS_START.get_or_init(Instant::now)
}

/// State of the initial load-and-correlate run, the tag of each key measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The engine has reported nothing yet.
    Starting,
    /// Files are being read.
    Loading,
    /// The analytics are running over the loaded events.
    Correlating,
    /// The findings arrived.
    Done,
    /// The run failed as a whole.
    Failed,
}

impl Phase {
    /// Returns the phase the header's work state shows.
    pub fn of(work: &Work) -> Phase {
        match work {
            Work::Starting => Phase::Starting,
            Work::Running { stage, .. } if stage == "loading" => Phase::Loading,
            Work::Running { .. } => Phase::Correlating,
            Work::Done => Phase::Done,
            Work::Failed(_) => Phase::Failed,
        }
    }

    /// Returns whether the run is still going.
    pub fn is_running(self) -> bool {
        matches!(self, Phase::Starting | Phase::Loading | Phase::Correlating)
    }

    /// Returns the name written in the `phase` field.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Loading => "loading",
            Phase::Correlating => "correlating",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

/// A key event handled by the UI and not yet drawn.
#[derive(Clone, Debug)]
pub struct PendingKey {
    /// The key's name, such as `j`, `Tab` or `Down`.
    label: String,
    /// When crossterm delivered the event.
    received: Instant,
    /// The run's phase when the UI handled the key.
    phase: Phase,
}

impl PendingKey {
    /// Describes `key`, delivered at `received` and handled while the run was in `phase`.
    pub fn new(key: &KeyEvent, received: Instant, phase: Phase) -> PendingKey {
        // Names such as "Page Up" contain a space, which would split the field.
        let label = key.code.to_string().replace(char::is_whitespace, "-");
        PendingKey {
            label,
            received,
            phase,
        }
    }
}

/// The measurement writer: inert unless built from a set `GLEXIA_TIMINGS` or given a writer.
pub struct Timings {
    sink: Option<Box<dyn Write>>,
    start: Instant,
    run_ended: bool,
}

impl Timings {
    /// Opens the file `GLEXIA_TIMINGS` names for appending, or returns an inert writer when the
    /// variable is unset or empty. A file that cannot be opened is logged, and nothing is
    /// measured then.
    pub fn from_env() -> Timings {
        Timings::open(std::env::var_os(TIMINGS_VAR), process_start())
    }

    /// Opens `path` for appending, counting from `start`; `None` or an empty path gives an
    /// inert writer.
    pub fn open(path: Option<OsString>, start: Instant) -> Timings {
        let Some(path) = path.filter(|p| !p.is_empty()) else {
            return Timings::inert();
        };
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path);
        match file {
            Ok(file) => Timings::to_writer(Box::new(file), start),
            Err(error) => {
                tracing::warn!(
                    path = %std::path::Path::new(&path).display(),
                    %error,
                    "failed to open the {TIMINGS_VAR} file; measuring nothing"
                );
                Timings::inert()
            }
        }
    }

    /// Returns a writer that measures nothing.
    pub fn inert() -> Timings {
        Timings {
            sink: None,
            start: process_start(),
            run_ended: false,
        }
    }

    /// Writes measurements to `sink`, counting process times from `start`.
    pub fn to_writer(sink: Box<dyn Write>, start: Instant) -> Timings {
        Timings {
            sink: Some(sink),
            start,
            run_ended: false,
        }
    }

    /// Returns whether measurements are written, so callers can skip collecting them.
    pub fn is_enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Records the first draw, which ended at `drawn` and showed the findings when `loaded`.
    pub fn first_frame(&mut self, drawn: Instant, loaded: bool) {
        let screen = if loaded { "loaded" } else { "loading" };
        let ms = milliseconds(self.start, drawn);
        self.write_line(format_args!("first_frame ms={ms:.3} screen={screen}"));
    }

    /// Records every key in `keys` as reflected by the draw that ended at `drawn`.
    pub fn keys_drawn(&mut self, keys: impl IntoIterator<Item = PendingKey>, drawn: Instant) {
        if self.sink.is_none() {
            return;
        }
        let mut lines = String::new();
        for key in keys {
            let ms = milliseconds(key.received, drawn);
            let _ = writeln!(
                lines,
                "key ms={ms:.3} key={} phase={}",
                key.label,
                key.phase.label()
            );
        }
        self.write_text(&lines);
    }

    /// Records the first draw after the run ended, which ended at `drawn` and showed `phase`.
    /// Calls while the run is still going, and every call after the first record, write
    /// nothing.
    pub fn run_drawn(&mut self, phase: Phase, drawn: Instant) {
        if self.run_ended || phase.is_running() {
            return;
        }
        self.run_ended = true;
        let ms = milliseconds(self.start, drawn);
        self.write_line(format_args!("run_end ms={ms:.3} phase={}", phase.label()));
    }

    fn write_line(&mut self, line: std::fmt::Arguments<'_>) {
        if self.sink.is_none() {
            return;
        }
        self.write_text(&format!("{line}\n"));
    }

    /// Writes `text` in one call, so a reader polling the file gets whole lines. Measuring stops
    /// after the first failure instead of logging it at every key.
    fn write_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if let Err(error) = sink.write_all(text.as_bytes()).and_then(|()| sink.flush()) {
            tracing::warn!(%error, "failed to write to the {TIMINGS_VAR} file; measuring stops");
            self.sink = None;
        }
    }
}

fn milliseconds(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    /// A sink the test can read back after handing it to the writer.
    #[derive(Clone, Default)]
    struct SharedBuffer(Rc<RefCell<Vec<u8>>>);

    impl Write for SharedBuffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl SharedBuffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap_or_default()
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn writer_formats_each_kind() {
        let buffer = SharedBuffer::default();
        let start = Instant::now();
        let mut timings = Timings::to_writer(Box::new(buffer.clone()), start);
        assert!(timings.is_enabled());

        timings.first_frame(start + Duration::from_micros(41_250), false);
        let received = start + Duration::from_millis(100);
        let keys = vec![
            PendingKey::new(&key(KeyCode::Char('j')), received, Phase::Loading),
            PendingKey::new(&key(KeyCode::PageDown), received, Phase::Correlating),
        ];
        timings.keys_drawn(keys, received + Duration::from_micros(7_500));
        timings.run_drawn(Phase::Correlating, start + Duration::from_secs(1));
        timings.run_drawn(Phase::Done, start + Duration::from_secs(2));
        timings.run_drawn(Phase::Done, start + Duration::from_secs(3));

        let text = buffer.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "first_frame ms=41.250 screen=loading");
        assert_eq!(lines[1], "key ms=7.500 key=j phase=loading");
        assert_eq!(lines[2], "key ms=7.500 key=Page-Down phase=correlating");
        assert_eq!(lines[3], "run_end ms=2000.000 phase=done");
    }

    #[test]
    fn writer_marks_loaded_first_frame() {
        let buffer = SharedBuffer::default();
        let start = Instant::now();
        let mut timings = Timings::to_writer(Box::new(buffer.clone()), start);
        timings.first_frame(start + Duration::from_millis(2), true);
        assert_eq!(buffer.text(), "first_frame ms=2.000 screen=loaded\n");
    }

    #[test]
    fn writer_inert_without_variable() {
        let start = Instant::now();
        for value in [None, Some(OsString::new())] {
            let mut timings = Timings::open(value, start);
            assert!(!timings.is_enabled());
            timings.first_frame(start, false);
            let pending = PendingKey::new(&key(KeyCode::Tab), start, Phase::Starting);
            timings.keys_drawn([pending], start);
            timings.run_drawn(Phase::Done, start);
            assert!(!timings.is_enabled());
        }
    }

    #[test]
    fn writer_appends_to_named_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("timings.txt");
        std::fs::write(&path, "earlier line\n").expect("seed file");
        let start = Instant::now();
        let mut timings = Timings::open(Some(path.clone().into_os_string()), start);
        assert!(timings.is_enabled());
        timings.first_frame(start + Duration::from_millis(5), false);
        drop(timings);
        let text = std::fs::read_to_string(&path).expect("read back");
        assert_eq!(text, "earlier line\nfirst_frame ms=5.000 screen=loading\n");
    }

    #[test]
    fn phase_follows_work_state() {
        let running = |stage: &str| Work::Running {
            stage: stage.to_owned(),
            done: 1,
            total: Some(4),
        };
        assert_eq!(Phase::of(&Work::Starting), Phase::Starting);
        assert_eq!(Phase::of(&running("loading")), Phase::Loading);
        assert_eq!(Phase::of(&running("AN0750")), Phase::Correlating);
        assert_eq!(Phase::of(&Work::Done), Phase::Done);
        assert_eq!(Phase::of(&Work::Failed("x".to_owned())), Phase::Failed);
        assert!(Phase::Correlating.is_running());
        assert!(!Phase::Done.is_running());
    }
}
