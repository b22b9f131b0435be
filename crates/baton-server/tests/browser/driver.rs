//! Headless Chromium driven through `chromedriver`: finding the programs, starting them, and
//! ending them (the whole process group) when the test is over, passed or not.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;

/// What each test's browser looks like: a desktop window, or a phone.
#[derive(Clone, Copy, Debug)]
pub enum Screen {
    /// A 1280×900 window.
    Desktop,
    /// Chromium's mobile emulation at `width`×`height` CSS pixels (touch, a mobile viewport
    /// that honours `<meta name="viewport">`).
    Phone { width: u32, height: u32 },
}

/// The flags every Chromium here starts with: headless, and quiet on the network (the machine
/// has none beyond loopback; without them Chromium keeps trying to reach Google's services).
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// The programs a browser test needs.
#[derive(Clone, Debug)]
pub struct Programs {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl Programs {
    /// Chromium and chromedriver from `BATON_CHROMIUM` / `BATON_CHROMEDRIVER` or the `PATH`.
    /// Without them: a panic naming the packages when `CI` is set (CI must run these tests),
    /// otherwise `None` after saying on stderr that the test is skipped.
    pub fn find(test: &str) -> Option<Self> {
        let chromium = program("BATON_CHROMIUM", &["chromium", "chromium-browser"]);
        let chromedriver = program("BATON_CHROMEDRIVER", &["chromedriver"]);
        match (chromium, chromedriver) {
            (Some(chromium), Some(chromedriver)) => Some(Self {
                chromium,
                chromedriver,
            }),
            (chromium, chromedriver) => {
                let missing: Vec<&str> = [
                    chromium.is_none().then_some("chromium"),
                    chromedriver.is_none().then_some("chromedriver"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let message = format!(
                    "{test}: {} not found on the PATH; install Debian's packages with \
                     `apt-get install chromium chromium-driver` (or set BATON_CHROMIUM and \
                     BATON_CHROMEDRIVER)",
                    missing.join(" and ")
                );
                if std::env::var_os("CI").is_some() {
                    panic!("{message}");
                }
                eprintln!("SKIPPED browser test {message}");
                None
            }
        }
    }
}

/// The program named by `env`, or the first of `names` found on the `PATH`.
fn program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| is_executable(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A running chromedriver (and, once a session is open, its Chromium) in its own process
/// group, with a fresh profile folder. Dropping it kills the whole group and removes the
/// folder, so a failed test leaves no browser behind.
pub struct Driver {
    child: Child,
    /// The WebDriver address, `http://127.0.0.1:<port>`.
    pub url: String,
    /// The profile, chromedriver's log and anything else of this browser.
    pub dir: TempDir,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it listens (at most 10 s; up
    /// to three tries, for a port taken meanwhile). Chromium inherits `TZ=Europe/Berlin`, the
    /// example team's zone, so the pages show the team's times and their script has no reason
    /// to reload them in another zone.
    pub async fn start(programs: &Programs) -> Self {
        let mut errors = Vec::new();
        for _ in 0..3 {
            match Self::try_start(programs).await {
                Ok(driver) => return driver,
                Err(e) => errors.push(e),
            }
        }
        panic!("chromedriver did not start:\n{}", errors.join("\n---\n"));
    }

    async fn try_start(programs: &Programs) -> Result<Self, String> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let log = dir.path().join("chromedriver.log");
        let port = free_port();
        let child = Command::new(&programs.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .env("TZ", "Europe/Berlin")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", programs.chromedriver.display()));
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return Ok(driver);
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("chromedriver exited with {status}: {log}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver.kill();
        Err(format!(
            "chromedriver did not listen on port {port} within 10 s"
        ))
    }

    /// Opens a WebDriver session: a headless Chromium with a fresh profile, showing `screen`.
    pub async fn session(&self, programs: &Programs, screen: Screen) -> Client {
        let profile = self.dir.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut options = json!({
            "binary": programs.chromium,
            "args": args,
        });
        match screen {
            Screen::Desktop => {
                options["args"]
                    .as_array_mut()
                    .expect("a list")
                    .push(json!("--window-size=1280,900"));
            }
            Screen::Phone { width, height } => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true},
                    "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
                });
            }
        }
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 30_000, "script": 15_000, "implicit": 0},
            "goog:chromeOptions": options,
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("an object")
        };
        let capabilities: Capabilities = capabilities;
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(self.dir.path().join("chromedriver.log"))
                    .unwrap_or_default();
                let tail: String = log
                    .lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                panic!("chromedriver could not start Chromium: {e}\n{tail}")
            })
    }

    /// Kills chromedriver and every Chromium process it started (its process group).
    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                // SAFETY: `kill` takes plain integers; `-pid` is the group this child leads
                // (it was started with `process_group(0)`), so only processes this test started
                // are signalled.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
