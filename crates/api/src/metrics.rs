//! Prometheus metrics: appends, positions, request latency, projection lag.

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub struct Metrics {
    registry: Mutex<Registry>,
    appends: Counter,
    events_appended: Counter,
    rejected_commands: Counter,
    tokens_refused: Counter,
    requests: Histogram,
    head_position: Gauge<i64, AtomicI64>,
    applied_position: Gauge<i64, AtomicI64>,
    projection_lag: Gauge<i64, AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("impact");
        let appends = Counter::default();
        let events_appended = Counter::default();
        let rejected_commands = Counter::default();
        let tokens_refused = Counter::default();
        let requests = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let head_position = Gauge::default();
        let applied_position = Gauge::default();
        let projection_lag = Gauge::default();
        registry.register(
            "appends",
            "Commands recorded through this server (imports by the CLI are not counted)",
            appends.clone(),
        );
        registry.register(
            "events_appended",
            "Events recorded through this server",
            events_appended.clone(),
        );
        registry.register(
            "rejected_commands",
            "Commands refused by the desk's rules or by a conflict",
            rejected_commands.clone(),
        );
        registry.register(
            "tokens_refused",
            "Requests refused for a missing, unknown, expired or revoked token",
            tokens_refused.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL request over HTTP",
            requests.clone(),
        );
        registry.register(
            "journal_head_position",
            "Last acknowledged journal position",
            head_position.clone(),
        );
        registry.register(
            "projection_applied_position",
            "Last position folded into the read models",
            applied_position.clone(),
        );
        registry.register(
            "projection_lag_events",
            "Events acknowledged but not yet folded into the read models",
            projection_lag.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            appends,
            events_appended,
            rejected_commands,
            tokens_refused,
            requests,
            head_position,
            applied_position,
            projection_lag,
        }
    }

    pub fn observe_request(&self, elapsed: Duration) {
        self.requests.observe(elapsed.as_secs_f64());
    }

    pub fn recorded(&self, events: usize) {
        self.appends.inc();
        self.events_appended
            .inc_by(u64::try_from(events).unwrap_or(u64::MAX));
    }

    pub fn token_refused(&self, _reason: crate::auth::Refusal) {
        self.tokens_refused.inc();
    }

    pub fn refused(&self) {
        self.rejected_commands.inc();
    }

    /// The text exposition, with the positions as of now.
    pub fn render(&self, head: u64, applied: u64) -> String {
        let head = i64::try_from(head).unwrap_or(i64::MAX);
        let applied = i64::try_from(applied).unwrap_or(i64::MAX);
        self.head_position.set(head);
        self.applied_position.set(applied);
        self.projection_lag.set(head - applied);
        let mut out = String::new();
        if encode(&mut out, &self.registry.lock()).is_err() {
            out.clear();
        }
        out
    }
}
