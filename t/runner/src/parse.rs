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
/// `\n`, `\r`, `\t`, `\"`, `\\` and `\$`.
pub fn eval_list(src: &str) -> Result<Vec<String>> {
    let s = src.trim();
    let inner = match s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(i) => i,
        None => s,
    };
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        match c {
            '"' | '\'' => {
                chars.next();
                let mut v = String::new();
                loop {
                    let Some(ch) = chars.next() else {
                        bail!("unterminated string in eval: {src}")
                    };
                    if ch == c {
                        break;
                    }
                    if ch == '\\' {
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
                    } else {
                        v.push(ch);
                    }
                }
                out.push(v);
            }
            _ => {
                let mut v = String::new();
                while matches!(chars.peek(), Some(ch) if *ch != ',') {
                    v.push(chars.next().unwrap_or_default());
                }
                let v = v.trim().to_string();
                if v.is_empty() || !v.chars().all(|ch| ch.is_ascii_digit()) {
                    bail!("unsupported eval expression: {src}");
                }
                out.push(v);
            }
        }
    }
    Ok(out)
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
    }
}
