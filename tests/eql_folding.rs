//! Evaluates the reference implementation's constant-folding cases (`test_folding.toml`, from
//! the `eql` package's sources) with our EQL evaluator.
//!
//! Each case is an expression without fields and the value it must produce; a case without
//! `expected` must produce null. A section marked `case_sensitive` or `case_insensitive` runs
//! in that mode, and an unmarked one in both. A `loop` section repeats its cases with
//! `$value` replaced by a literal of each listed type. The data lives beside the repository
//! in `../shared/data/eql`; without it the test prints that it skips and passes.

use std::path::PathBuf;

use glexia::eql::{Options, Value, evaluate, parse_expression};

/// Literals substituted for `$value`, by the type names the loop sections use.
fn literals(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "bool" => &["true", "false"],
        "int" => &["0", "7", "-3"],
        "string" => &["'foo'", "''"],
        "float" => &["0.0", "1.5"],
        "null" => &["null"],
        _ => &[],
    }
}

fn case_modes(section: &toml::Table) -> Vec<bool> {
    let flag = |name: &str| section.get(name).and_then(toml::Value::as_bool);
    match (flag("case_sensitive"), flag("case_insensitive")) {
        (None, None) => vec![true, false],
        (sensitive, insensitive) => [(true, sensitive), (false, insensitive)]
            .into_iter()
            .filter(|(_, flag)| *flag == Some(true))
            .map(|(mode, _)| mode)
            .collect(),
    }
}

/// Tests a computed value against the TOML `expected`, where a missing value means null.
fn same_value(found: &Value, expected: Option<&toml::Value>) -> bool {
    match (found, expected) {
        (Value::Null, None) => true,
        (Value::Bool(found), Some(toml::Value::Boolean(expected))) => found == expected,
        (Value::Int(found), Some(toml::Value::Integer(expected))) => found == expected,
        (Value::Float(found), Some(toml::Value::Float(expected))) => {
            (found - expected).abs() <= 1e-12 * expected.abs().max(1.0)
        }
        (Value::Str(found), Some(toml::Value::String(expected))) => found == expected,
        _ => false,
    }
}

/// Reads the cases of one `fold` table as (expression, expected) pairs.
fn fold_cases(fold: &toml::Value) -> Vec<(String, Option<toml::Value>)> {
    let tests = fold
        .get("tests")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    tests
        .iter()
        .map(|case| {
            let expression = case["expression"].as_str().unwrap().to_string();
            (expression, case.get("expected").cloned())
        })
        .collect()
}

/// Collects every case of a section, with loop cases expanded over their parameter types.
fn section_cases(section: &toml::Table) -> Vec<(String, Option<toml::Value>)> {
    let mut cases = section.get("fold").map(fold_cases).unwrap_or_default();
    let loops = section.get("loop").and_then(toml::Value::as_array);
    for repeat in loops.into_iter().flatten() {
        let param = &repeat["param"];
        let name = param["name"].as_str().unwrap();
        let placeholder = format!("${name}");
        for type_name in param["type"].as_array().unwrap() {
            let type_name = type_name.as_str().unwrap();
            assert!(
                !literals(type_name).is_empty(),
                "no literals for type {type_name}"
            );
            for literal in literals(type_name) {
                for (expression, expected) in fold_cases(&repeat["fold"]) {
                    cases.push((expression.replace(&placeholder, literal), expected));
                }
            }
        }
    }
    cases
}

#[test]
fn reference_folding_cases_pass() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/eql/test_folding.toml");
    if !path.exists() {
        println!("skipping: no EQL folding cases at {}", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let event = serde_json::json!({});

    let mut runs = 0;
    let mut failures = Vec::new();
    for (name, section) in &table {
        let section = section.as_table().unwrap();
        for (expression, expected) in section_cases(section) {
            for case_sensitive in case_modes(section) {
                runs += 1;
                let options = Options {
                    case_sensitive_equals: case_sensitive,
                    ..Options::default()
                };
                let found = parse_expression(&expression)
                    .map_err(|error| error.to_string())
                    .and_then(|expr| {
                        evaluate(&expr, &event, &options).map_err(|error| error.to_string())
                    });
                match found {
                    Ok(value) if same_value(&value, expected.as_ref()) => {}
                    other => failures.push(format!(
                        "[{name}] {expression} (case-sensitive: {case_sensitive}): \
                         expected {expected:?}, found {other:?}"
                    )),
                }
            }
        }
    }

    for failure in &failures {
        println!("{failure}");
    }
    println!("{} of {runs} folding runs pass", runs - failures.len());
    assert!(
        failures.is_empty(),
        "{} folding runs failed",
        failures.len()
    );
    assert!(runs >= 100, "only {runs} folding runs were found");
}
