//! The real `impact serve --demo` on a free port of 127.0.0.1, as the browser tests start it:
//! the demo's passwords and tokens as it printed them, GraphQL with a role's token, and the
//! axe-core check every page shown gets. Include it with `#[path = "support/demo.rs"] mod demo;`
//! beside `browser` and `raw_http`.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::raw_http;

const BIN: &str = env!("CARGO_BIN_EXE_impact");

/// `impact serve --demo` with the demo's passwords and tokens as it printed them.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// Passwords by user name.
    pub passwords: HashMap<String, String>,
    /// Bearer tokens by role.
    pub tokens: HashMap<String, String>,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("IMPACT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("impact serve starts");
        let lines = raw_http::stdout_lines(&mut child);
        let mut passwords = HashMap::new();
        let mut tokens = HashMap::new();
        loop {
            let line = lines
                .recv_timeout(raw_http::IO_DEADLINE)
                .expect("impact serve printed no `listening on` line");
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[..] {
                [_role, "user", user, "password", password] => {
                    passwords.insert(user.to_owned(), password.to_owned());
                }
                [role @ ("mediator" | "supervisor" | "evaluator" | "admin"), token] => {
                    tokens.insert(role.to_owned(), token.to_owned());
                }
                _ => {}
            }
            if let Some(addr) = line.strip_prefix("listening on http://") {
                let addr = addr.trim().parse().expect("an address");
                return Server {
                    child,
                    addr,
                    passwords,
                    tokens,
                };
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A GraphQL operation with the demo token of `role`; its data.
    pub async fn graphql(&self, role: &str, query: &str, variables: Value) -> Value {
        let auth = format!("Bearer {}", self.tokens[role]);
        let body = json!({ "query": query, "variables": variables }).to_string();
        let reply = raw_http::http(
            self.addr,
            "POST",
            "/graphql",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &body,
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let answer: Value = serde_json::from_str(&reply.body).expect("a JSON answer");
        assert!(answer["errors"].is_null(), "{query}: {answer}");
        answer["data"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks the page with axe-core and keeps its screenshot.
pub async fn check_page(browser: &Browser, name: &str) {
    browser.screenshot(name).await;
    let violations = browser.axe().await;
    assert!(
        violations.is_empty(),
        "{name}: axe-core found serious or critical violations: {violations:#?}"
    );
}
