//! Pages as a browser gets them: status, content type, redirects not followed, cookies sent by
//! hand; and forms posted as a browser posts them.

use std::time::Duration;

/// An answer: status, content type, `Location`, `Set-Cookie`, and the body as text.
pub struct Page {
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub body: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn page(mut answer: ureq::http::Response<ureq::Body>) -> Page {
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let location = header("location");
    let set_cookie = header("set-cookie");
    Page {
        status: answer.status().as_u16(),
        content_type,
        location,
        set_cookie,
        body: answer.body_mut().read_to_string().expect("a text body"),
    }
}

/// `GET url`.
pub fn fetch(url: &str) -> Page {
    page(agent().get(url).call().expect("the node answers"))
}

/// `GET url` sending `cookie` (`NAME=VALUE`).
pub fn fetch_with(url: &str, cookie: &str) -> Page {
    let answer = agent().get(url).header("cookie", cookie).call();
    page(answer.expect("the node answers"))
}

/// `POST url` of a form's fields, sending `cookie` if any.
pub fn post_form(url: &str, fields: &[(&str, &str)], cookie: Option<&str>) -> Page {
    let mut request = agent().post(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    page(
        request
            .send_form(fields.iter().copied())
            .expect("the node answers"),
    )
}

/// A 200 HTML page's body.
pub fn html(url: &str) -> String {
    let page = fetch(url);
    assert_eq!(page.status, 200, "{url}: {}", page.body);
    assert!(
        page.content_type.starts_with("text/html"),
        "{url}: {}",
        page.content_type
    );
    page.body
}
