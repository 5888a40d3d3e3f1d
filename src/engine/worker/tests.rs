use std::sync::atomic::AtomicUsize;

use super::*;

fn analytic(id: &str) -> Analytic {
    let text = format!(
        "id = \"{id}\"\ntitle = \"t\"\nplatform = \"Windows\"\ntechnique = \"T1059\"\n\
         severity = \"low\"\nnotes = \"n\"\nquery = 'process where true'\n\
         [[reads]]\nlog_source = \"WinEventLog:Sysmon\"\n"
    );
    match Analytic::from_toml(std::path::Path::new("test.toml"), &text) {
        Ok(analytic) => analytic,
        Err(error) => panic!("test analytic failed to load: {error}"),
    }
}

fn rerun_request(id: &str, generation: u64) -> Request {
    Request::Rerun {
        analytic: Box::new(analytic(id)),
        generation,
        cancel: CancelToken::new(),
    }
}

fn query_request(text: &str, generation: u64) -> Request {
    let query = match eql::parse(text) {
        Ok(query) => query,
        Err(error) => panic!("test query failed to parse: {error}"),
    };
    Request::Query {
        query: Box::new(query),
        generation,
        cancel: CancelToken::new(),
    }
}

fn generation(request: &Request) -> u64 {
    match request {
        Request::Rerun { generation, .. } | Request::Query { generation, .. } => *generation,
    }
}

fn setup() -> Setup {
    match Setup::load(None, &[]) {
        Ok(setup) => setup,
        Err(error) => panic!("setup failed: {error}"),
    }
}

fn samples() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Serves `requests` over `paths` until the queue is empty and returns every update sent.
fn serve_all(paths: &[PathBuf], requests: Vec<Request>) -> Vec<Update> {
    let (sender, receiver) = request_channel();
    for request in requests {
        assert!(sender.send(request).is_ok());
    }
    drop(sender);
    let (updates, mut results) = tokio::sync::mpsc::unbounded_channel();
    serve(
        &setup(),
        paths,
        &receiver,
        &updates,
        &AtomicBool::new(false),
    );
    let mut sent = Vec::new();
    while let Ok(update) = results.try_recv() {
        sent.push(update);
    }
    sent
}

#[test]
fn serve_answers_rerun_until_disconnected() {
    let updates = serve_all(&[], vec![rerun_request("AN0001", 7)]);
    let answered: Vec<(u64, Result<Vec<Chain>, String>)> = updates
        .into_iter()
        .filter_map(|update| match update {
            Update::Rerun {
                generation, result, ..
            } => Some((generation, result)),
            _ => None,
        })
        .collect();
    assert_eq!(answered, vec![(7, Ok(Vec::new()))]);
}

#[test]
fn serve_reruns_tuned_sample_analytic() {
    let Some(mut tuned) = setup().analytic("AN0750").cloned() else {
        panic!("AN0750 is not shipped");
    };
    let set = tuned.set_tunable("TimeWindow", "1s");
    assert!(set.is_ok(), "{set:?}");
    let request = Request::Rerun {
        analytic: Box::new(tuned),
        generation: 1,
        cancel: CancelToken::new(),
    };
    let mut first_run = None;
    let mut rerun = None;
    for update in serve_all(&[samples()], vec![request]) {
        match update {
            Update::Findings(findings) => {
                first_run = findings
                    .into_iter()
                    .find(|f| f.analytic == "AN0750")
                    .map(|f| f.chains.len());
            }
            Update::Rerun { result, .. } => rerun = Some(result.map(|c| c.len())),
            _ => {}
        }
    }
    // Every sample chain of AN0750 spans more than one second, so a one-second window
    // leaves none.
    assert!(first_run.is_some_and(|n| n > 0), "{first_run:?}");
    assert_eq!(rerun, Some(Ok(0)));
}

#[test]
fn batch_keeps_newest_per_key() {
    let (sender, receiver) = request_channel();
    let queued = [
        rerun_request("AN0002", 2),
        query_request("process where true", 3),
        rerun_request("AN0001", 4),
        rerun_request("AN0002", 5),
        query_request("file where true", 6),
    ];
    for request in queued {
        let sent = sender.send(request);
        assert!(sent.is_ok());
    }
    let batch = newest_per_key(rerun_request("AN0001", 1), &receiver);
    let keys: Vec<Option<&str>> = batch.iter().map(Request::key).collect();
    assert_eq!(keys, vec![Some("AN0001"), Some("AN0002"), None]);
    let generations: Vec<u64> = batch.iter().map(generation).collect();
    assert_eq!(generations, vec![4, 5, 6]);
}

/// An event that cancels `token` when its fields are first read, and counts the reads of the
/// events after it.
struct Tripwire<'a> {
    index: usize,
    trip_at: usize,
    token: &'a CancelToken,
    reads_after: &'a AtomicUsize,
}

impl Document for Tripwire<'_> {
    fn field(&self, dotted: &str) -> Option<Value<'_>> {
        if self.index == self.trip_at {
            self.token.cancel();
        }
        if self.index > self.trip_at {
            self.reads_after.fetch_add(1, Ordering::Relaxed);
        }
        match dotted {
            "event.category" => Some(Value::Str("process".into())),
            "process.name" => Some(Value::Str("cmd.exe".into())),
            _ => None,
        }
    }

    fn timestamp(&self) -> i64 {
        i64::try_from(self.index).unwrap_or(i64::MAX)
    }
}

/// Runs a sequence over 1,000 events whose event `trip_at` cancels the run when read, and
/// returns the result with the number of field reads of later events.
fn run_with_tripwire(trip_at: usize) -> (Option<usize>, usize) {
    let query = match eql::parse(
        "sequence by process.name [process where process.name == \"cmd.exe\"] \
         [process where true]",
    ) {
        Ok(query) => query,
        Err(error) => panic!("test query failed to parse: {error}"),
    };
    let token = CancelToken::new();
    let session = AtomicBool::new(false);
    let stop = Stop {
        request: &token,
        session: &session,
    };
    let reads_after = AtomicUsize::new(0);
    let documents: Vec<Cancellable<'_, Tripwire<'_>>> = (0..1_000)
        .map(|index| Cancellable {
            inner: Tripwire {
                index,
                trip_at,
                token: &token,
                reads_after: &reads_after,
            },
            stop: &stop,
        })
        .collect();
    let result = execute_until_stopped(&query, &documents, &eql::Options::default());
    let matches = result.map(|found| match found {
        Ok(matches) => matches.len(),
        Err(error) => panic!("the test query failed: {error}"),
    });
    (matches, reads_after.into_inner())
}

#[test]
fn cancel_stops_run_at_next_read() {
    let (matches, reads_after) = run_with_tripwire(500);
    assert_eq!(matches, None, "a cancelled run returned its matches");
    assert_eq!(
        reads_after, 0,
        "the run kept reading events after it was cancelled"
    );
}

#[test]
fn run_without_cancel_finishes() {
    let (matches, reads_after) = run_with_tripwire(2_000);
    assert!(matches.is_some_and(|n| n > 0), "{matches:?}");
    assert_eq!(reads_after, 0, "no event comes after the tripwire");
    let (_, reads_past_middle) = run_with_tripwire(999);
    assert_eq!(reads_past_middle, 0);
}

#[test]
fn serve_skips_cancelled_requests() {
    let stale = query_request("process where true", 1);
    if let Request::Query { cancel, .. } = &stale {
        cancel.cancel();
    }
    let updates = serve_all(&[samples()], vec![stale, rerun_request("AN0001", 2)]);
    let answered: Vec<u64> = updates
        .iter()
        .filter_map(|update| match update {
            Update::Rerun { generation, .. } | Update::Query { generation, .. } => {
                Some(*generation)
            }
            _ => None,
        })
        .collect();
    assert_eq!(answered, vec![2], "the cancelled query was answered");
}

fn query_result(text: &str) -> Result<QueryResult, String> {
    let updates = serve_all(&[samples()], vec![query_request(text, 1)]);
    let found = updates.into_iter().find_map(|update| match update {
        Update::Query { result, .. } => Some(result),
        _ => None,
    });
    match found {
        Some(result) => result,
        None => panic!("no query result for {text}"),
    }
}

#[test]
fn query_chains_carry_steps_and_keys() {
    let sequence = query_result(
        "sequence by host.name with maxspan=1h \
         [authentication where event.code == \"4624\"] [process where true]",
    );
    let Ok(sequence) = sequence else {
        panic!("the sequence failed: {sequence:?}");
    };
    assert!(sequence.matches > 0, "{sequence:?}");
    assert_eq!(sequence.matches, sequence.chains.len());
    for chain in &sequence.chains {
        let steps: Vec<usize> = chain.steps.iter().map(|s| s.step).collect();
        assert_eq!(steps, vec![0, 1], "{chain:?}");
        assert_eq!(chain.join_keys.len(), 1, "{chain:?}");
        assert_eq!(chain.join_keys[0].field, "host.name");
    }

    let events = query_result("process where true");
    let Ok(events) = events else {
        panic!("the event query failed: {events:?}");
    };
    assert!(events.matches > 0);
    assert!(events.chains.iter().all(|c| c.steps.len() == 1));
    assert!(events.chains.iter().all(|c| c.join_keys.is_empty()));
}

#[test]
fn query_counts_become_keys() {
    let counted = query_result("process where true | count host.name");
    let Ok(counted) = counted else {
        panic!("the count failed: {counted:?}");
    };
    assert!(!counted.chains.is_empty());
    for chain in &counted.chains {
        assert!(chain.steps.is_empty(), "{chain:?}");
        let fields: Vec<&str> = chain.join_keys.iter().map(|k| k.field.as_str()).collect();
        assert_eq!(fields[..2], ["key", "count"], "{chain:?}");
    }
}

#[test]
fn query_evaluation_error_is_returned() {
    let failed = query_result("process where process.name regex \"(\"");
    let Err(message) = failed else {
        panic!("an invalid regular expression ran: {failed:?}");
    };
    assert!(message.contains("invalid regular expression"), "{message}");
}
