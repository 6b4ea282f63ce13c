//! Parses the Test::Nginx block format: a Perl preamble, `__DATA__`, then blocks of
//! `=== TEST N: name` followed by `--- section` parts.

use anyhow::{bail, Context, Result};

/// One `--- name [filters]` section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Section name, e.g. `response_body`.
    pub name: String,
    /// Filters after the name, e.g. `eval`, `chomp`.
    pub filters: Vec<String>,
    /// The data, with Test::Base's `trim` applied (and `chomp` if asked).
    pub data: String,
}

impl Section {
    /// True if the section carries filter `f`.
    pub fn has(&self, f: &str) -> bool {
        self.filters.iter().any(|x| x == f)
    }
}

/// One `=== TEST` block.
#[derive(Debug, Clone)]
pub struct Block {
    /// The name after `===`.
    pub name: String,
    /// Line of the `===` header in the file.
    pub line: usize,
    /// Sections in order.
    pub sections: Vec<Section>,
}

impl Block {
    /// The section named `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
    /// True if the block has section `name`.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Test::Base `trim`: drop blank lines at the start and end, keep one final newline.
fn trim(lines: &[&str]) -> String {
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |e| e + 1);
    let mut s = String::new();
    for l in &lines[start..end] {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Parses the blocks of a `.t` file.
pub fn parse(text: &str) -> Result<Vec<Block>> {
    let lines: Vec<&str> = text.lines().collect();
    let data_start = lines
        .iter()
        .position(|l| l.trim() == "__DATA__")
        .context("no __DATA__ line")?
        + 1;
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<(String, Vec<String>, Vec<&str>)> = None;
    let flush = |block: &mut Block, cur: &mut Option<(String, Vec<String>, Vec<&str>)>| {
        if let Some((name, filters, body)) = cur.take() {
            let mut data = trim(&body);
            if filters.iter().any(|f| f == "chomp") && data.ends_with('\n') {
                data.pop();
            }
            block.sections.push(Section {
                name,
                filters,
                data,
            });
        }
    };
    for (i, line) in lines.iter().enumerate().skip(data_start) {
        if let Some(name) = line.strip_prefix("=== ") {
            if let Some(b) = blocks.last_mut() {
                flush(b, &mut current);
            }
            blocks.push(Block {
                name: name.trim().to_string(),
                line: i + 1,
                sections: vec![],
            });
        } else if let Some(rest) = line.strip_prefix("--- ") {
            let Some(b) = blocks.last_mut() else {
                bail!("line {}: section before any block", i + 1)
            };
            flush(b, &mut current);
            // `--- name: inline value` or `--- name filter filter`
            let (head, inline) = match rest.split_once(':') {
                Some((h, v)) if !h.contains(' ') => (h, Some(v.trim())),
                _ => (rest, None),
            };
            let mut words = head.split_whitespace();
            let name = words.next().unwrap_or_default().to_string();
            let filters = words.map(str::to_string).collect();
            current = Some((name, filters, inline.map(|v| vec![v]).unwrap_or_default()));
        } else if let Some((_, _, body)) = current.as_mut() {
            body.push(line);
        }
    }
    if let Some(b) = blocks.last_mut() {
        flush(b, &mut current);
    }
    Ok(blocks)
}

/// Evaluates the small subset of Perl used in `eval` sections: a string or number literal, or
/// an array of them (`["GET /a", "GET /b"]`, `[200, 500]`). Double-quoted strings understand
/// `\n`, `\r`, `\t`, `\"`, `\\` and `\$`. A string may be repeated (`"a" x 1000`) and
/// strings joined (`"POST /t\n" . ("a" x 1000)`), as Perl means them.
pub fn eval_list(src: &str) -> Result<Vec<String>> {
    let s = src.trim();
    let inner = match s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(i) => i,
        None => s,
    };
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        skip(&mut chars, |c| c.is_whitespace() || c == ',');
        if chars.peek().is_none() {
            break;
        }
        out.push(expression(&mut chars, src)?);
    }
    Ok(out)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip(chars: &mut Chars<'_>, what: impl Fn(char) -> bool) {
    while chars.peek().is_some_and(|c| what(*c)) {
        chars.next();
    }
}

/// `term ("." term)*`, or a number.
fn expression(chars: &mut Chars<'_>, src: &str) -> Result<String> {
    let mut v = term(chars, src)?;
    loop {
        skip(chars, char::is_whitespace);
        if chars.peek() != Some(&'.') {
            return Ok(v);
        }
        chars.next();
        skip(chars, char::is_whitespace);
        v.push_str(&term(chars, src)?);
    }
}

/// A string literal, a parenthesized expression or a number, optionally repeated (`x N`).
fn term(chars: &mut Chars<'_>, src: &str) -> Result<String> {
    let v = match chars.peek() {
        Some('"' | '\'') => literal(chars, src)?,
        Some('(') => {
            chars.next();
            skip(chars, char::is_whitespace);
            let v = expression(chars, src)?;
            skip(chars, char::is_whitespace);
            if chars.next() != Some(')') {
                bail!("unbalanced parentheses in eval: {src}");
            }
            v
        }
        _ => {
            let v = number(chars);
            if v.is_empty() {
                bail!("unsupported eval expression: {src}");
            }
            return Ok(v);
        }
    };
    let mut ahead = chars.clone();
    skip(&mut ahead, char::is_whitespace);
    if ahead.next() == Some('x') && ahead.peek().is_some_and(|c| c.is_whitespace()) {
        skip(&mut ahead, char::is_whitespace);
        let n = number(&mut ahead);
        let n: usize = n
            .parse()
            .map_err(|_| anyhow::anyhow!("a repetition needs a count: {src}"))?;
        *chars = ahead;
        return Ok(v.repeat(n));
    }
    Ok(v)
}

fn number(chars: &mut Chars<'_>) -> String {
    let mut v = String::new();
    while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
        v.push(c);
        chars.next();
    }
    v
}

fn literal(chars: &mut Chars<'_>, src: &str) -> Result<String> {
    let Some(c) = chars.next() else {
        bail!("expected a string in eval: {src}")
    };
    let mut v = String::new();
    loop {
        let Some(ch) = chars.next() else {
            bail!("unterminated string in eval: {src}")
        };
        if ch == c {
            return Ok(v);
        }
        if ch != '\\' {
            v.push(ch);
            continue;
        }
        let Some(e) = chars.next() else {
            bail!("dangling backslash in eval")
        };
        if c == '\'' {
            if e != '\'' && e != '\\' {
                v.push('\\');
            }
            v.push(e);
            continue;
        }
        v.push(match e {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            other => other,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "use Test::Nginx::Socket 'no_plan';\nrun_tests();\n__DATA__\n\n=== TEST 1: one\n--- config\n    location /t { return 200; }\n\n--- request\nGET /t\n--- error_code: 404\n--- response_body chomp\nhello\n\n\n=== TEST 2: two\n--- request eval\n[\"GET /a\", 'GET /b']\n--- error_code eval\n[200, 500]\n";

    #[test]
    fn blocks_and_sections() {
        let b = parse(FILE).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].name, "TEST 1: one");
        assert_eq!(
            b[0].get("config").unwrap().data,
            "    location /t { return 200; }\n"
        );
        assert_eq!(b[0].get("request").unwrap().data, "GET /t\n");
        assert_eq!(b[0].get("error_code").unwrap().data, "404\n");
        assert_eq!(b[0].get("response_body").unwrap().data, "hello");
        assert!(b[1].get("request").unwrap().has("eval"));
    }

    #[test]
    fn eval_lists() {
        assert_eq!(
            eval_list("[\"GET /a\", 'GET /b']").unwrap(),
            vec!["GET /a", "GET /b"]
        );
        assert_eq!(eval_list("[200, 500]\n").unwrap(), vec!["200", "500"]);
        assert_eq!(eval_list("\"a\\nb\"").unwrap(), vec!["a\nb"]);
        assert!(eval_list("[foo()]").is_err());
        assert_eq!(
            eval_list("[\"POST /t\\n\" . (\"ab\" x 3), \"x\" x 2 . 'y']").unwrap(),
            vec!["POST /t\nababab", "xxy"]
        );
        assert!(eval_list("\"a\" x").is_err());
        assert!(eval_list("(\"a\"").is_err());
    }
}
