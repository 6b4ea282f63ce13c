//! Writes an nginx configuration for a block and runs nginx in the foreground.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Settings from the `TEST_NGINX_*` environment.
#[derive(Debug, Clone)]
pub struct Env {
    /// `TEST_NGINX_BINARY`
    pub binary: PathBuf,
    /// `TEST_NGINX_SERVROOT`
    pub servroot: PathBuf,
    /// `TEST_NGINX_LOAD_MODULES` (space-separated `.so` paths)
    pub load_modules: Vec<String>,
    /// `TEST_NGINX_PORT` when `TEST_NGINX_RANDOMIZE=0`, else a free port per block.
    pub fixed_port: Option<u16>,
    /// `TEST_NGINX_NO_CLEAN=1`
    pub no_clean: bool,
    /// The engine to select with `wasm_engine` (per run, from `--engines`).
    pub wasm_engine: Option<String>,
    /// `TEST_NGINX_USE_VALGRIND`: run nginx under valgrind memcheck.
    pub valgrind: Option<Valgrind>,
}

#[derive(Debug, Clone)]
/// How nginx runs under valgrind memcheck (`TEST_NGINX_USE_VALGRIND=1`, Test::Nginx's name).
pub struct Valgrind {
    /// `TEST_NGINX_VALGRIND_SUPP`: a suppression file (ours: `sanitizers/valgrind.supp`).
    pub suppressions: Option<PathBuf>,
}

impl Env {
    /// How much longer things take: valgrind runs nginx (and the engines' compilers) 20-50
    /// times slower.
    pub fn slowdown(&self) -> u32 {
        if self.valgrind.is_some() {
            30
        } else {
            1
        }
    }

    /// Where valgrind writes its report for the current block.
    pub fn valgrind_log(&self) -> PathBuf {
        self.servroot.join("logs/valgrind.log")
    }
}

impl Env {
    /// Reads the environment.
    pub fn from_env() -> Result<Env> {
        let binary = std::env::var("TEST_NGINX_BINARY").unwrap_or_else(|_| "nginx".into());
        let servroot = std::env::var("TEST_NGINX_SERVROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                std::env::current_dir()
                    .unwrap_or_default()
                    .join("t/servroot")
            });
        let load_modules = std::env::var("TEST_NGINX_LOAD_MODULES")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let randomize = std::env::var("TEST_NGINX_RANDOMIZE")
            .map(|v| v != "0")
            .unwrap_or(true);
        let fixed_port = match std::env::var("TEST_NGINX_PORT") {
            Ok(p) if !randomize => Some(p.parse().context("TEST_NGINX_PORT")?),
            _ if !randomize => Some(1984),
            _ => None,
        };
        let no_clean = std::env::var("TEST_NGINX_NO_CLEAN").is_ok_and(|v| v == "1");
        let valgrind = std::env::var("TEST_NGINX_USE_VALGRIND")
            .is_ok_and(|v| !v.is_empty() && v != "0")
            .then(|| Valgrind {
                suppressions: std::env::var_os("TEST_NGINX_VALGRIND_SUPP").map(PathBuf::from),
            });
        Ok(Env {
            binary: PathBuf::from(binary),
            servroot,
            load_modules,
            fixed_port,
            no_clean,
            wasm_engine: None,
            valgrind,
        })
    }

    /// The port for the next block.
    pub fn port(&self) -> Result<u16> {
        if let Some(p) = self.fixed_port {
            return Ok(p);
        }
        let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
        Ok(l.local_addr()?.port())
    }
}

/// A log file's text, empty if it does not exist. Logs may hold bytes that are not UTF-8
/// (nginx logs what a client sent, e.g. a TLS hello to a plain port); they are replaced, so
/// the rest of the log can still be matched, as Test::Nginx matches a log's bytes.
pub fn read_log(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Replaces `$TEST_NGINX_NAME` (and `${TEST_NGINX_NAME}`) with the environment variable's
/// value, plus `$TEST_NGINX_SERVER_PORT`, `$TEST_NGINX_SERVROOT` and `$TEST_NGINX_HTML_DIR`.
pub fn expand(text: &str, port: u16, servroot: &Path) -> String {
    // A constant pattern, checked by every block that uses a variable.
    #[allow(clippy::expect_used)]
    let re = regex::Regex::new(r"\$\{?(TEST_NGINX_[A-Z0-9_]+)\}?").expect("static regex");
    re.replace_all(text, |c: &regex::Captures| match &c[1] {
        "TEST_NGINX_SERVER_PORT" | "TEST_NGINX_PORT" => port.to_string(),
        "TEST_NGINX_SERVROOT" => servroot.display().to_string(),
        "TEST_NGINX_HTML_DIR" => servroot.join("html").display().to_string(),
        name => std::env::var(name).unwrap_or_default(),
    })
    .into_owned()
}

/// Sections of a block that go into nginx.conf.
pub struct ConfParts<'a> {
    /// `--- main_config`
    pub main_config: &'a str,
    /// `--- http_config`
    pub http_config: &'a str,
    /// `--- config` (inside the default `server`)
    pub config: &'a str,
}

/// Creates a fresh server root and writes `conf/nginx.conf` for `parts`.
pub fn prepare(
    env: &Env,
    port: u16,
    parts: &ConfParts<'_>,
    user_files: &[(String, String)],
) -> Result<()> {
    let root = &env.servroot;
    if root.exists() {
        fs::remove_dir_all(root).with_context(|| format!("cleaning {}", root.display()))?;
    }
    for d in ["conf", "logs", "html", "tmp"] {
        fs::create_dir_all(root.join(d))?;
    }
    for (name, content) in user_files {
        let p = root.join("html").join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(p, content)?;
    }
    let tmp = root.join("tmp").display().to_string();
    // One line either way; a block that sets wasm_engine itself keeps its own.
    let sets_engine = [parts.main_config, parts.http_config, parts.config]
        .iter()
        .any(|p| p.contains("wasm_engine"));
    let engine_line = match &env.wasm_engine {
        Some(e) if !sets_engine => format!("wasm_engine {e};"),
        _ => "# wasm_engine: the module's default".to_string(),
    };
    // Always exactly one line, so configuration line numbers do not depend on what is loaded.
    let modules: String = if env.load_modules.is_empty() {
        "# no dynamic modules\n".to_string()
    } else {
        env.load_modules
            .iter()
            .map(|m| format!("load_module {m}; "))
            .collect::<String>()
            + "\n"
    };
    let conf = format!(
        "{modules}\
daemon off;
master_process off;
worker_processes 1;
error_log logs/error.log debug;
pid logs/nginx.pid;
{main}
events {{
    worker_connections 128;
}}

http {{
    access_log logs/access.log;
    default_type text/plain;
    keepalive_timeout 68;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {engine_line}

{http}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        client_max_body_size 30M;

{config}
    }}
}}
",
        main = expand(parts.main_config, port, root),
        http = expand(parts.http_config, port, root),
        config = expand(parts.config, port, root),
    );
    fs::write(root.join("conf/nginx.conf"), conf)?;
    Ok(())
}

fn command(env: &Env) -> Command {
    let mut c = match &env.valgrind {
        None => Command::new(&env.binary),
        Some(v) => {
            let mut c = Command::new("valgrind");
            c.args([
                "--tool=memcheck",
                "--error-exitcode=0",
                "--leak-check=full",
                "--show-leak-kinds=definite",
                "--errors-for-leak-kinds=definite",
                "--num-callers=40",
                "--gen-suppressions=all",
            ]);
            c.arg(format!("--log-file={}", env.valgrind_log().display()));
            if let Some(s) = &v.suppressions {
                c.arg(format!("--suppressions={}", s.display()));
            }
            c.arg(&env.binary);
            c
        }
    };
    c.arg("-p")
        .arg(&env.servroot)
        .arg("-c")
        .arg("conf/nginx.conf");
    c.stdin(Stdio::null()).stdout(Stdio::null());
    c
}

/// Runs nginx expecting it to refuse the configuration; returns its stderr. Fails if it
/// starts instead.
pub fn run_must_die(env: &Env, timeout: Duration) -> Result<String> {
    let stderr_path = env.servroot.join("logs/stderr.log");
    let mut child = command(env)
        .stderr(fs::File::create(&stderr_path)?)
        .spawn()
        .context("starting nginx")?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            let stderr = read_log(&stderr_path);
            if status.success() {
                bail!("nginx exited successfully, but the block expects it to die");
            }
            return Ok(stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("nginx started and kept running, but the block expects it to die");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A running nginx.
pub struct Server {
    child: Child,
    stderr_path: PathBuf,
}

impl Server {
    /// Starts nginx and waits until it accepts connections on `port`.
    pub fn start(env: &Env, port: u16) -> Result<Server> {
        let stderr_path = env.servroot.join("logs/stderr.log");
        let child = command(env)
            .stderr(fs::File::create(&stderr_path)?)
            .spawn()
            .context("starting nginx")?;
        let mut server = Server { child, stderr_path };
        let wait = Duration::from_secs(10) * env.slowdown();
        let deadline = Instant::now() + wait;
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "nginx exited at start ({status}): {}",
                    server.stderr().trim()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("nginx did not listen on port {port} within {wait:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// What nginx wrote to stderr so far.
    pub fn stderr(&self) -> String {
        read_log(&self.stderr_path)
    }

    /// Asks nginx to stop (SIGTERM, then SIGKILL after 5 s, longer under valgrind) and waits
    /// for it.
    pub fn stop(mut self, env: &Env) -> Result<()> {
        let pid = self.child.id() as libc::pid_t;
        let deadline = Instant::now() + Duration::from_secs(5) * env.slowdown();
        let mut last_signal = Instant::now() - Duration::from_secs(1);
        loop {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.child.kill()?;
                self.child.wait()?;
                bail!("nginx did not stop on SIGTERM in time");
            }
            // A single-process nginx can miss a signal that arrives during start-up: repeat.
            if last_signal.elapsed() > Duration::from_millis(500) {
                // SAFETY: sending a signal to our own child process.
                unsafe { libc::kill(pid, libc::SIGTERM) };
                last_signal = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
