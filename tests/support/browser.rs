//! A real browser for the tests: Debian's `chromium`, headless, driven by its `chromedriver`
//! over WebDriver with `fantoccini`, and able to reach nothing but loopback. Used by
//! `tests/clients.rs` (`#[path]`), and meant for every test of pages in a browser.
//!
//! - `chromedriver` starts on a free port of 127.0.0.1, in a process group of its own, and
//!   [`Browser`] kills the group (the driver and every browser process) when it is dropped, so a
//!   failed test leaves no browser behind;
//! - the browser sends every request but loopback to a proxy on a closed port (127.0.0.1:9)
//!   and resolves no host name but loopback (`--host-resolver-rules`): a page that needs a CDN
//!   fails here as it would on a desk PC that reaches only the server;
//! - a missing `chromium` or `chromedriver` fails the test, naming the packages
//!   (`apt-get install chromium chromium-driver`; `.ci/run` installs them);
//! - [`Browser::screenshot`] keeps a PNG under `target/test-artefacts/`.
//!
//! Every wait is bounded, so a hang fails the test instead of blocking it.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// Longest the driver and the browser may take to start.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Longest a page may take to show what a test waits for.
pub const WAIT_DEADLINE: Duration = Duration::from_secs(60);

/// Debian's paths for the browser and its driver (packages `chromium`, `chromium-driver`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session, and the `chromedriver` that runs it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `chromedriver` on a free port of 127.0.0.1 and opens a headless session in which
    /// only loopback is reachable.
    pub async fn start() -> Browser {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's {package} \
                 (apt-get install chromium chromium-driver)"
            );
        }
        let port = free_port();
        let mut driver = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: dropping the browser kills the driver and the browser.
            .process_group(0)
            .spawn()
            .expect("chromedriver could not start");
        let url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&mut driver, SocketAddr::from(([127, 0, 0, 1], port)));
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1400,900",
                    format!("--user-data-dir={}", profile.path().display()),
                    // Nothing but loopback: every other request goes to a closed port, and no
                    // host name but loopback resolves.
                    "--proxy-server=http://127.0.0.1:9",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-default-apps",
                    "--disable-sync",
                    "--disable-extensions",
                ],
            }),
        );
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        let client = match tokio::time::timeout(START_DEADLINE, builder.connect(&url)).await {
            Ok(Ok(client)) => client,
            outcome => {
                kill_group(&mut driver);
                panic!("no browser session: {outcome:?}");
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Saves a screenshot of the page as `target/test-artefacts/<name>.png`, and returns its
    /// path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = tokio::time::timeout(WAIT_DEADLINE, self.client.screenshot())
            .await
            .expect("no screenshot in time")
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let dir = artefacts_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the session (the browser closes), then the driver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = tokio::time::timeout(WAIT_DEADLINE, client.close()).await;
        kill_group(&mut self.driver);
    }
}

impl Drop for Browser {
    /// A failed test must not leave a driver or a browser behind.
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// `target/test-artefacts/`, where the tests keep what a person may want to look at.
pub fn artefacts_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("test-artefacts")
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits until the driver accepts connections, failing the test if it exits or takes too long.
fn wait_for_driver(driver: &mut Child, addr: SocketAddr) {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("chromedriver exited at start: {status}");
        }
        if Instant::now() > deadline {
            kill_group(driver);
            panic!("chromedriver did not listen on {addr} in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the driver's process group (the driver and the browser it started) and reaps the
/// driver.
fn kill_group(driver: &mut Child) {
    if let Ok(pid) = i32::try_from(driver.id()) {
        // SAFETY: kill(2) with a negative pid signals the group the driver leads; it touches no
        // memory of this process.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = driver.wait();
}
