//! A real browser for the tests: Debian's `chromium`, headless, driven by its `chromedriver`
//! over WebDriver with `fantoccini`, and able to reach nothing but loopback. Used by
//! `tests/clients.rs` (GraphiQL) and `tests/pages.rs` (the desk's pages), through `#[path]`.
//!
//! - [`Driver::start`] runs `chromedriver` on a free port of 127.0.0.1, in a process group of its
//!   own, and dropping the [`Driver`] kills the group (the driver and every browser it started),
//!   so a failed test leaves no browser behind;
//! - [`Driver::browser`] opens a window with its own profile and cookies, in Italian; it sends
//!   every request but loopback to a proxy on a closed port (127.0.0.1:9) and resolves no host
//!   name but loopback (`--host-resolver-rules`): a page that needs a CDN fails here as it would
//!   on a desk PC that reaches only the server;
//! - a missing `chromium` or `chromedriver` fails the test, naming the packages
//!   (`apt-get install chromium chromium-driver`; `.ci/run` installs them);
//! - [`Browser::screenshot`] keeps a PNG under `target/test-artefacts/`; [`Browser::axe`] runs
//!   axe-core (npm `axe-core`, installed in `tests/clients/` by `.ci/run`) on the page shown.
//!
//! Every wait is bounded, so a hang fails the test instead of blocking it.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// Longest the driver and a browser session may take to start.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Longest a page may take to show what a test waits for.
pub const WAIT_DEADLINE: Duration = Duration::from_secs(60);
/// How many times (100 ms apart) a new page is looked for after a click that navigates.
const NAVIGATION_TRIES: u32 = 300;

/// A free port on 127.0.0.1 (bound, then released for the child to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A chromedriver, and the headless Chromium sessions opened through it.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts `chromedriver` on a free port and waits until it accepts connections.
    pub fn start() -> Driver {
        for (path, package) in [
            (chromium_binary(), "chromium"),
            (driver_binary(), "chromium-driver"),
        ] {
            assert!(
                Path::new(&path).exists(),
                "{path} is missing: the browser tests need Debian's {package} \
                 (apt-get install chromium chromium-driver; .ci/run does)"
            );
        }
        let port = free_port();
        let mut child = Command::new(driver_binary())
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: dropping the driver kills it and its browsers.
            .process_group(0)
            .spawn()
            .expect("chromedriver could not start");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + START_DEADLINE;
        while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromedriver exited at start: {status}");
            }
            if Instant::now() > deadline {
                kill_group(&mut child);
                panic!("chromedriver did not listen on {addr} in time");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// A new browser window (its own profile and cookies) through this driver.
    pub async fn browser(&self) -> Browser {
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_binary(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--lang=it-IT", "--no-first-run",
                    "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-default-apps", "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                    // Nothing but loopback: every other request goes to a closed port, and no
                    // host name but loopback resolves.
                    "--proxy-server=http://127.0.0.1:9",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"
                ],
                "prefs": { "intl.accept_languages": "it-IT,it" }
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match tokio::time::timeout(
            START_DEADLINE,
            ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&self.url),
        )
        .await
        {
            Ok(Ok(client)) => client,
            outcome => panic!("no Chromium session through chromedriver: {outcome:?}"),
        };
        Browser {
            client,
            _profile: profile,
        }
    }
}

impl Drop for Driver {
    /// A failed test must not leave a driver or a browser behind.
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Kills the driver's process group (the driver and the browsers it started) and reaps the
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

fn driver_binary() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn chromium_binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// One browser window.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

/// An accessibility violation axe-core found (shown through `Debug` in a failed assertion).
#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub nodes: Vec<String>,
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("the page loads");
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current address")
            .path()
            .to_owned()
    }

    /// Types into the field with this id (its content replaced).
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no field #{id}: {e}"));
        field.clear().await.expect("the field clears");
        field.send_keys(text).await.expect("the field takes text");
    }

    /// Chooses the option of this value in the select with this id.
    pub async fn choose(&self, id: &str, value: &str) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no select #{id}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("#{id} has no option {value}: {e}"));
    }

    /// Chooses the option at this index (0 the first) in the select with this id.
    pub async fn choose_nth(&self, id: &str, index: usize) {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no select #{id}: {e}"))
            .select_by_index(index)
            .await
            .unwrap_or_else(|e| panic!("#{id} has no option {index}: {e}"));
    }

    /// Clicks the element with this CSS selector, scrolled to the middle of the window first
    /// (as a person would scroll to it).
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        let arg = serde_json::to_value(&element).expect("an element reference");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .expect("the element scrolls into view");
        if let Err(error) = element.click().await {
            // Chromedriver sometimes computes the point before its own scroll ends ("element
            // click intercepted" at a point below the window): the element's own click then.
            let arg = serde_json::to_value(&element).expect("an element reference");
            self.client
                .execute("arguments[0].click();", vec![arg])
                .await
                .unwrap_or_else(|e| panic!("{css} does not click: {error}; {e}"));
        }
    }

    /// Clicks a link or a form's button and waits until the next page has loaded (the old
    /// page's marker gone, the new one complete), at most [`NAVIGATION_TRIES`] × 100 ms.
    pub async fn follow(&self, css: &str) {
        self.client
            .execute("window.__impactOldPage = true;", Vec::new())
            .await
            .expect("the page takes a marker");
        self.click(css).await;
        for _ in 0..NAVIGATION_TRIES {
            let loaded = self
                .client
                .execute(
                    "return !window.__impactOldPage && document.readyState === 'complete';",
                    Vec::new(),
                )
                .await
                .unwrap_or(Value::Bool(false));
            if loaded == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("clicking {css} led to no new page");
    }

    /// The text of the element with this CSS selector.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("the element's text")
    }

    /// Whether an element with this CSS selector is on the page.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("a search of the page")
            .is_empty()
    }

    /// The whole page's visible text.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Writes a screenshot of the page to `target/test-artefacts/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = tokio::time::timeout(WAIT_DEADLINE, self.client.screenshot())
            .await
            .expect("no screenshot in time")
            .expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let dir = artefacts_dir();
        std::fs::create_dir_all(&dir).expect("the artefacts folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// The value of a cookie of the page, if set.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client
            .get_all_cookies()
            .await
            .expect("the cookies")
            .into_iter()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// Runs axe-core on the page; the violations whose impact is serious or critical.
    pub async fn axe(&self) -> Vec<Violation> {
        let source = std::fs::read_to_string(axe_path())
            .expect("tests/clients/node_modules/axe-core/axe.min.js (cd tests/clients && npm ci)");
        self.client
            .execute(&source, Vec::new())
            .await
            .expect("axe-core loads into the page");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations.map(v => ({
                     id: v.id, impact: v.impact,
                     nodes: v.nodes.map(n => n.target.join(' '))
                   }))))
                   .catch(e => done({ error: String(e) }));",
                Vec::new(),
            )
            .await
            .expect("axe-core runs");
        let Value::Array(violations) = result else {
            panic!("axe-core failed: {result}");
        };
        violations
            .into_iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                impact: v["impact"].as_str().unwrap_or_default().to_owned(),
                nodes: v["nodes"]
                    .as_array()
                    .map(|n| {
                        n.iter()
                            .filter_map(|t| t.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .filter(|v| v.impact == "serious" || v.impact == "critical")
            .collect()
    }

    /// Ends the session (the window closes).
    pub async fn close(self) {
        let _ = tokio::time::timeout(WAIT_DEADLINE, self.client.clone().close()).await;
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `target/test-artefacts/` of the workspace (or of `CARGO_TARGET_DIR`).
pub fn artefacts_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("test-artefacts")
}

fn axe_path() -> PathBuf {
    workspace_root().join("tests/clients/node_modules/axe-core/axe.min.js")
}
