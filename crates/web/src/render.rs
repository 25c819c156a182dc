//! Templates (minijinja, auto-escaped HTML, embedded in the binary) and the headers every page
//! is sent with.

use std::cell::Cell;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::value::{Kwargs, Value};
use minijinja::Environment;

use crate::i18n::{Catalogues, Lang};

/// The pages' templates, by file name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("forms.html", include_str!("../templates/forms.html")),
    ("signin.html", include_str!("../templates/signin.html")),
    ("refused.html", include_str!("../templates/refused.html")),
    ("today.html", include_str!("../templates/today.html")),
    ("found.html", include_str!("../templates/found.html")),
    ("person.html", include_str!("../templates/person.html")),
    (
        "person_new.html",
        include_str!("../templates/person_new.html"),
    ),
    ("record.html", include_str!("../templates/record.html")),
    ("survey.html", include_str!("../templates/survey.html")),
    (
        "site_diaries.html",
        include_str!("../templates/site_diaries.html"),
    ),
    ("diary.html", include_str!("../templates/diary.html")),
    ("month.html", include_str!("../templates/month.html")),
    ("trail.html", include_str!("../templates/trail.html")),
    ("reads.html", include_str!("../templates/reads.html")),
    (
        "checkpoints.html",
        include_str!("../templates/checkpoints.html"),
    ),
    ("accounts.html", include_str!("../templates/accounts.html")),
    // The supervisor's, evaluator's and admin's further pages.
    ("diaries.html", include_str!("../templates/diaries.html")),
    ("erase.html", include_str!("../templates/erase.html")),
    ("period.html", include_str!("../templates/period.html")),
    ("sites.html", include_str!("../templates/sites.html")),
    ("services.html", include_str!("../templates/services.html")),
];

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
}

thread_local! {
    /// The language of the page being rendered on this thread (rendering is synchronous), so
    /// that `t` speaks it in macros imported from another template too.
    static LANG: Cell<Lang> = const { Cell::new(Lang::It) };
}

impl Templates {
    pub fn new(catalogues: Arc<Catalogues>) -> Templates {
        let mut env = Environment::new();
        // `t(key, name=value, ...)`; `default=` is shown when the catalogue lacks the key (an
        // event type added after the catalogue was written, say).
        let t = move |key: String, kwargs: Kwargs| {
            let lang = LANG.with(Cell::get);
            let mut args = Vec::new();
            let mut default = None;
            for arg in kwargs.args() {
                let value: Value = kwargs.get(arg)?;
                if arg == "default" {
                    default = Some(value.to_string());
                } else {
                    args.push((arg, value.to_string()));
                }
            }
            Ok::<_, minijinja::Error>(match default {
                Some(default) if !catalogues.has(lang, &key) => default,
                _ => catalogues.text(lang, &key, &args),
            })
        };
        env.add_function("t", t);
        for (name, source) in TEMPLATES {
            if let Err(error) = env.add_template(name, source) {
                // The templates test renders every page; a broken one is named there.
                tracing::error!(template = name, %error, "a template does not compile");
            }
        }
        env.add_filter("date", |text: String| {
            crate::time::parse_date(&text).map_or(text, crate::time::date)
        });
        env.add_filter("datetime", |text: String| {
            text.parse().map_or(text, crate::time::date_time)
        });
        Templates { env }
    }

    /// Renders `name` with `context`; templates call `t(key, arg=value, ...)` for every word.
    pub fn render(
        &self,
        lang: Lang,
        name: &str,
        context: Value,
    ) -> Result<String, minijinja::Error> {
        LANG.with(|current| current.set(lang));
        let context = minijinja::context! { lang => lang.code(), ..context };
        self.env.get_template(name)?.render(context)
    }
}

/// A page: HTML that is never stored by the browser or a proxy.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The headers of every response of the pages (assets included).
pub fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let templates = Templates::new(Arc::new(Catalogues::default()));
        for (name, _) in TEMPLATES {
            if let Err(error) = templates.env.get_template(name) {
                panic!("{name}: {error:#}");
            }
        }
    }
}
