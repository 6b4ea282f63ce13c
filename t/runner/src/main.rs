//! `test-nginx`: runs Test::Nginx-format `.t` files against nginx.
//!
//! Usage: `test-nginx [--label NAME] FILE...`. nginx is started per block (the configuration
//! differs from block to block) on a free loopback port; see `docs/testing.md` for the
//! sections and `TEST_NGINX_*` variables understood. Prints one `ok`/`not ok` line per block
//! and closes with `N passed, N failed`.

mod http;
mod nginx;
mod parse;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::nginx::{ConfParts, Env, Server};
use crate::parse::{eval_list, Block};

/// Values of a section, one per request: an `eval` list, or the single value for all.
fn per_request(block: &Block, name: &str, n: usize) -> Result<Option<Vec<String>>> {
    let Some(s) = block.get(name) else {
        return Ok(None);
    };
    if s.has("eval") {
        let v = eval_list(&s.data)?;
        if v.len() != n {
            bail!("--- {name} eval has {} values for {n} requests", v.len());
        }
        return Ok(Some(v));
    }
    Ok(Some(vec![s.data.clone(); n]))
}

fn lines(block: &Block, name: &str) -> Vec<String> {
    block
        .get(name)
        .map(|s| {
            s.data
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn user_files(block: &Block) -> Vec<(String, String)> {
    let Some(s) = block.get("user_files") else {
        return vec![];
    };
    let mut files: Vec<(String, String)> = Vec::new();
    for line in s.data.lines() {
        if let Some(name) = line.strip_prefix(">>> ") {
            files.push((name.trim().to_string(), String::new()));
        } else if let Some((_, content)) = files.last_mut() {
            content.push_str(line);
            content.push('\n');
        }
    }
    files
}

fn check_logs(block: &Block, log: &str, problems: &mut Vec<String>) {
    for want in lines(block, "error_log") {
        if !log.contains(&want) {
            problems.push(format!("error log lacks {want:?}"));
        }
    }
    for unwanted in lines(block, "no_error_log") {
        if log.contains(&unwanted) {
            problems.push(format!("error log has {unwanted:?}"));
        }
    }
    if let Some(problem) = check_grep(block, log) {
        problems.push(problem);
    }
}

/// `--- grep_error_log` (a literal string) with `--- grep_error_log_out`: every occurrence
/// of the string in the log, one per line, must equal the expected output (Test::Nginx's
/// semantics for a literal pattern; counts how often something was logged).
fn check_grep(block: &Block, log: &str) -> Option<String> {
    let pattern = block.get("grep_error_log")?.data.trim_end_matches('\n');
    if pattern.is_empty() {
        return Some("--- grep_error_log is empty".to_string());
    }
    let got: String = log.matches(pattern).map(|m| format!("{m}\n")).collect();
    let want = block
        .get("grep_error_log_out")
        .map(|s| s.data.as_str())
        .unwrap_or("");
    let norm = |s: &str| s.trim_end().to_string();
    (norm(&got) != norm(want)).then(|| {
        format!(
            "grep_error_log {pattern:?}: {} occurrence(s), expected {}",
            got.lines().count(),
            want.trim_end().lines().count()
        )
    })
}

/// Runs one block; returns the list of failed expectations (empty: passed).
fn run_block(env: &Env, block: &Block) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for s in ["error_log", "no_error_log"] {
        if block.get(s).is_some_and(|s| s.has("eval")) {
            bail!("--- {s} eval is not supported by this runner");
        }
    }
    let port = env.port()?;
    let get = |n: &str| block.get(n).map(|s| s.data.as_str()).unwrap_or("");
    let parts = ConfParts {
        main_config: get("main_config"),
        http_config: get("http_config"),
        config: get("config"),
    };
    nginx::prepare(env, port, &parts, &user_files(block))?;
    let timeout =
        Duration::from_secs_f64(get("timeout").trim().parse().unwrap_or(5.0)) * env.slowdown();
    let error_log_path = env.servroot.join("logs/error.log");

    if block.has("must_die") {
        let stderr = nginx::run_must_die(env, timeout)?;
        let log = stderr + &nginx::read_log(&error_log_path);
        check_logs(block, &log, &mut problems);
        check_valgrind(env, &mut problems);
        check_sanitizers(&server_stderr(env), &mut problems);
        return Ok(problems);
    }

    let pipelined = block.get("pipelined_requests");
    let requests: Vec<String> = match (block.get("request"), pipelined) {
        (Some(_), Some(_)) => bail!("block has both --- request and --- pipelined_requests"),
        (None, Some(s)) if s.has("eval") => eval_list(&s.data)?,
        (None, Some(_)) => bail!("--- pipelined_requests needs eval and a list"),
        (Some(s), None) if s.has("eval") => eval_list(&s.data)?,
        (Some(s), None) => vec![s.data.trim().to_string()],
        (None, None) => bail!("block has no --- request"),
    };
    let n = requests.len();
    let codes = per_request(block, "error_code", n)?;
    let bodies = per_request(block, "response_body", n)?;
    let likes = per_request(block, "response_body_like", n)?;
    let headers: Vec<(String, String)> = lines(block, "more_headers")
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .collect();
    let body = get("request_body").as_bytes().to_vec();
    let expected_headers = lines(block, "response_headers");
    // As in Test::Nginx, lines after the request line are the request body.
    let split: Vec<(&str, Vec<u8>)> = requests
        .iter()
        .map(|req| match req.split_once('\n') {
            Some((line, rest)) if !rest.trim().is_empty() => (
                line.trim(),
                rest.strip_suffix('\n').unwrap_or(rest).as_bytes().to_vec(),
            ),
            _ => (req.trim(), body.clone()),
        })
        .collect();
    let wire: Vec<http::Request<'_>> = split
        .iter()
        .map(|(line, body)| http::Request { line, body })
        .collect();

    // Test::Nginx: `--- abort` makes a client timeout no failure; `--- ignore_response`
    // skips every check of the responses.
    let abort = block.has("abort");
    let ignore_response = block.has("ignore_response");
    let server = Server::start(env, port)?;
    // Pipelined: every response read at once (`None` where none came); otherwise each
    // request is sent in the loop below.
    let mut pipelined_responses: Option<Vec<Option<Result<http::Response>>>> = pipelined.map(
        |_| match http::send_pipelined(port, &wire, &headers, timeout) {
            Ok(v) => v.into_iter().map(Some).collect(),
            Err(e) => {
                if !(ignore_response || abort && e.downcast_ref::<http::TimedOut>().is_some()) {
                    problems.push(format!("pipelined requests: {e:#}"));
                }
                (0..n).map(|_| None).collect()
            }
        },
    );
    for (i, req) in wire.iter().enumerate() {
        let tag = if n > 1 {
            format!("request {}: ", i + 1)
        } else {
            String::new()
        };
        let line = req.line;
        let result = match pipelined_responses.as_mut() {
            Some(all) => match all[i].take() {
                Some(r) => r,
                None => continue,
            },
            None => http::send(port, req, &headers, timeout),
        };
        let resp = match result {
            Ok(r) => r,
            Err(e) if abort && e.downcast_ref::<http::TimedOut>().is_some() => {
                if !ignore_response {
                    problems.push(format!("{tag}{line}: {e:#} (no response to check)"));
                }
                continue;
            }
            Err(e) if ignore_response => {
                let _ = e;
                continue;
            }
            Err(e) => {
                problems.push(format!("{tag}{line}: {e:#}"));
                continue;
            }
        };
        if ignore_response {
            continue;
        }
        let want_code: u16 = codes
            .as_ref()
            .map_or(Ok(200), |c| c[i].trim().parse())
            .context("error_code")?;
        if resp.status != want_code {
            problems.push(format!(
                "{tag}status {} (expected {want_code})",
                resp.status
            ));
        }
        let got = String::from_utf8_lossy(&resp.body);
        if let Some(b) = &bodies {
            if got != b[i] {
                problems.push(format!("{tag}body {got:?} (expected {:?})", b[i]));
            }
        }
        if let Some(l) = &likes {
            let re = regex::Regex::new(&perl_regex(l[i].trim_end_matches('\n')))
                .context("response_body_like")?;
            if !re.is_match(&got) {
                problems.push(format!(
                    "{tag}body {got:?} does not match /{}/",
                    l[i].trim_end()
                ));
            }
        }
        for h in &expected_headers {
            if let Some(name) = h.strip_prefix('!') {
                if let Some(v) = resp.header(name.trim()) {
                    problems.push(format!(
                        "{tag}header {name}: {v:?} present (expected absent)"
                    ));
                }
            } else if let Some((name, value)) = h.split_once(':') {
                match resp.header(name.trim()) {
                    Some(v) if v == value.trim() => {}
                    other => problems.push(format!(
                        "{tag}header {name}: {other:?} (expected {:?})",
                        value.trim()
                    )),
                }
            }
        }
    }
    // `--- wait: N`: give the server N seconds (e.g. for a timer to log) before stopping it;
    // under valgrind, as much longer as every other wait.
    if let Ok(secs) = get("wait").trim().parse::<f64>() {
        let secs = secs.clamp(0.0, 60.0) * f64::from(env.slowdown());
        std::thread::sleep(Duration::from_secs_f64(secs.min(60.0)));
    }
    let stop = server.stop(env);
    let log = nginx::read_log(&error_log_path);
    check_logs(block, &log, &mut problems);
    // Any alert or worker crash is a failure, whatever the block expects.
    for bad in ["[alert]", "[emerg]", "exited on signal"] {
        if log.contains(bad) && !lines(block, "error_log").iter().any(|w| w.contains(bad)) {
            problems.push(format!("error log has {bad:?}"));
        }
    }
    stop?;
    check_valgrind(env, &mut problems);
    check_sanitizers(&server_stderr(env), &mut problems);
    Ok(problems)
}

fn server_stderr(env: &Env) -> String {
    nginx::read_log(&env.servroot.join("logs/stderr.log"))
}

/// A build with sanitizers (`make build BUILD_SANITIZE=1`) reports to nginx's stderr: any
/// AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report fails the block.
fn check_sanitizers(stderr: &str, problems: &mut Vec<String>) {
    let Some(start) = stderr
        .find("ERROR: AddressSanitizer")
        .or_else(|| stderr.find("ERROR: LeakSanitizer"))
        .or_else(|| stderr.find("runtime error:"))
    else {
        return;
    };
    let report: String = stderr[start..]
        .lines()
        .take(40)
        .collect::<Vec<_>>()
        .join("\n    ");
    problems.push(format!("sanitizer report on nginx's stderr:\n    {report}"));
}

/// Under valgrind: every error memcheck reported (after the suppressions) fails the block,
/// with the first one's report.
fn check_valgrind(env: &Env, problems: &mut Vec<String>) {
    if env.valgrind.is_none() {
        return;
    }
    let path = env.valgrind_log();
    let Ok(log) = std::fs::read_to_string(&path) else {
        problems.push(format!("valgrind wrote no report ({})", path.display()));
        return;
    };
    let errors = log
        .lines()
        .filter_map(|l| l.split_once("ERROR SUMMARY: "))
        .filter_map(|(_, rest)| rest.split_whitespace().next()?.parse::<u64>().ok())
        .sum::<u64>();
    if errors > 0 {
        let first: String = log
            .lines()
            .map(|l| l.split_once("== ").map_or(l, |(_, r)| r))
            .skip_while(|l| {
                !l.starts_with("Invalid")
                    && !l.starts_with("Conditional")
                    && !l.contains("definitely lost")
                    && !l.starts_with("Syscall param")
                    && !l.starts_with("Mismatched")
                    && !l.contains("uninitialised")
            })
            .take(60)
            .collect::<Vec<_>>()
            .join("\n    ");
        problems.push(format!(
            "valgrind: {errors} error(s) ({}):\n    {first}",
            path.display()
        ));
    }
}

/// Our extension sections `--- compiled_engines: a b` (run only if all are compiled into the
/// module) and `--- missing_engines: a b` (run only if none is), checked against
/// `TEST_NGINX_COMPILED_ENGINES`. Returns why the block is skipped, if it is.
fn engine_skip(block: &Block) -> Option<String> {
    let compiled_env = std::env::var("TEST_NGINX_COMPILED_ENGINES").ok()?;
    let compiled: Vec<&str> = compiled_env.split_whitespace().collect();
    let list = |name: &str| -> Vec<String> {
        block
            .get(name)
            .map(|s| s.data.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let need = list("compiled_engines");
    if let Some(e) = need.iter().find(|e| !compiled.contains(&e.as_str())) {
        return Some(format!("(engine {e} not compiled in)"));
    }
    let absent = list("missing_engines");
    if let Some(e) = absent.iter().find(|e| compiled.contains(&e.as_str())) {
        return Some(format!("(engine {e} compiled in)"));
    }
    None
}

/// Runs every block of `files` once; returns (passed, failed, skipped).
fn run_files(env: &Env, files: &[String], prefix: &str) -> Result<(usize, usize, usize)> {
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        let blocks = parse::parse(&text).with_context(|| format!("parsing {file}"))?;
        let only: Vec<&Block> = blocks.iter().filter(|b| b.has("ONLY")).collect();
        let selected: Vec<&Block> = if only.is_empty() {
            blocks.iter().collect()
        } else {
            only
        };
        for block in selected {
            let name = format!("{prefix}{} {}", Path::new(file).display(), block.name);
            if let Some(why) = engine_skip(block) {
                skipped += 1;
                println!("ok - {name} # SKIP {why}");
                continue;
            }
            if block.has("SKIP") || block.has("skip_eval") {
                skipped += 1;
                println!("ok - {name} # SKIP");
                continue;
            }
            match run_block(env, block) {
                Ok(p) if p.is_empty() => {
                    passed += 1;
                    println!("ok - {name}");
                }
                result => {
                    failed += 1;
                    let mut msg = format!("not ok - {name} (line {})", block.line);
                    match result {
                        Ok(problems) => problems.iter().for_each(|p| {
                            let _ = write!(msg, "\n#   {p}");
                        }),
                        Err(e) => {
                            let _ = write!(msg, "\n#   {e:#}");
                        }
                    }
                    let log = nginx::read_log(&env.servroot.join("logs/error.log"));
                    let tail: Vec<&str> = log.lines().filter(|l| !l.contains("[debug]")).collect();
                    for l in &tail[tail.len().saturating_sub(8)..] {
                        let _ = write!(msg, "\n#   log: {l}");
                    }
                    println!("{msg}");
                }
            }
        }
    }
    Ok((passed, failed, skipped))
}

fn summary(prefix: &str, (passed, failed, skipped): (usize, usize, usize)) -> String {
    let skip = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    format!("{prefix}{passed} passed, {failed} failed{skip}")
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut engines: Vec<String> = Vec::new();
    let mut label = String::new();
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--engines" => engines.extend(
                args.next()
                    .context("--engines needs a value")?
                    .split_whitespace()
                    .map(str::to_string),
            ),
            "--label" => label = args.next().context("--label needs a value")?,
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        bail!("usage: test-nginx [--engines \"wasmtime wasmer wasmi\"] [--label NAME] FILE.t...");
    }
    let mut env = Env::from_env()?;
    // Without --engines: one run with the module's default engine.
    let runs: Vec<Option<String>> = if engines.is_empty() {
        vec![None]
    } else {
        engines.into_iter().map(Some).collect()
    };
    let mut lines = Vec::new();
    let mut total = (0, 0, 0);
    for engine in runs {
        let tag = [label.as_str(), engine.as_deref().unwrap_or("")]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let prefix = if tag.is_empty() {
            String::new()
        } else {
            format!("[{tag}] ")
        };
        env.wasm_engine = engine;
        let counts = run_files(&env, &files, &prefix)?;
        lines.push(summary(&prefix, counts));
        total = (total.0 + counts.0, total.1 + counts.1, total.2 + counts.2);
    }
    if !env.no_clean && env.servroot.exists() {
        let _ = std::fs::remove_dir_all(&env.servroot);
    }
    if lines.len() > 1 {
        for l in &lines {
            println!("{l}");
        }
    }
    println!("{}", summary("", total));
    if total.1 > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// A `response_body_like` pattern as Perl reads `qr/$pattern/s`, in the `regex` crate's
/// syntax: `.` matches a newline (the `s` flag), and a `$` that is not escaped nor in a
/// character class matches at the end or before a final newline, as Perl's `$` does
/// without `/m` (the crate's `$` matches only at the very end).
fn perl_regex(pattern: &str) -> String {
    let mut out = String::from("(?s)");
    let (mut escaped, mut in_class) = (false, false);
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            '$' if !in_class => {
                out.push_str("(?:\\n?\\z)");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod regex_tests {
    use super::perl_regex;

    #[test]
    fn dollar_matches_before_a_final_newline_as_in_perl() {
        let re = |p: &str| regex::Regex::new(&perl_regex(p)).expect("valid");
        assert!(re("^ok$").is_match("ok\n"));
        assert!(re("^ok$").is_match("ok"));
        assert!(!re("^ok$").is_match("ok\n\n"));
        assert!(re("a.b").is_match("a\nb"), "the s flag");
        assert!(
            re(r"cost \$5").is_match("cost $5"),
            "an escaped dollar is literal"
        );
        assert!(re("[$]").is_match("$"), "a dollar in a class is literal");
    }
}
