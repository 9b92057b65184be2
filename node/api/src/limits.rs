//! The API's bounds on work (issue 19, item 4; docs/api.md): each client address gets
//! a number of requests a second with a burst, beyond which it is answered 429
//! `rate_limited` with `Retry-After`; at most a number of requests are served at
//! once, one more is answered 503 `busy` at once (shed, not queued); and every request answers
//! within a deadline or gets 503 `timeout`. Event streams (`/stream`) are long-lived by
//! design: they are rate-limited when they open but hold no in-flight place or deadline (their
//! own cap is `MAX_STREAMS`).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::ApiError;

/// Client addresses tracked by the rate limiter before the idle ones are forgotten.
const MAX_CLIENTS_TRACKED: usize = 10_000;

/// The API's limits and their state.
#[derive(Clone, Debug)]
pub struct Limits {
    per_second: u32,
    in_flight: usize,
    timeout: Duration,
    rate: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    places: Arc<tokio::sync::Semaphore>,
}

impl Limits {
    /// A node's limits: `per_second` requests a second per client address (bursts of twice
    /// as many), 1,024 requests served at once, 30 s per request.
    pub fn node(per_second: u32) -> Limits {
        Limits::new(
            per_second,
            per_second.saturating_mul(2),
            1_024,
            Duration::from_secs(30),
        )
    }

    pub fn new(per_second: u32, burst: u32, in_flight: usize, timeout: Duration) -> Limits {
        let quota = Quota::per_second(NonZeroU32::new(per_second.max(1)).expect("at least 1"))
            .allow_burst(NonZeroU32::new(burst.max(1)).expect("at least 1"));
        Limits {
            per_second,
            in_flight,
            timeout,
            rate: Arc::new(RateLimiter::keyed(quota)),
            places: Arc::new(tokio::sync::Semaphore::new(in_flight)),
        }
    }
}

/// The middleware that applies [`Limits`] to every request.
pub async fn enforce(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(client) = client {
        if limits.rate.len() > MAX_CLIENTS_TRACKED {
            limits.rate.retain_recent();
        }
        if let Err(not_until) = limits.rate.check_key(&client) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "more than {} requests a second from {client}; retry after {} ms",
                    limits.per_second,
                    wait.as_millis()
                ),
            )
            .into_response();
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }
    if request.uri().path().ends_with("/stream") {
        return next.run(request).await;
    }
    let Ok(_place) = Arc::clone(&limits.places).try_acquire_owned() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!(
                "this node is serving {} requests already; retry shortly",
                limits.in_flight
            ),
        )
        .into_response();
    };
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} s; retry later",
                limits.timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn app(limits: Limits) -> Router {
        Router::new()
            .route("/fast", get(|| async { "ok" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "late"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(limits, enforce))
    }

    fn from(ip: [u8; 4], path: &str) -> Request {
        let mut request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("request");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
        request
    }

    async fn code(response: Response) -> (StatusCode, String) {
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn a_client_over_its_rate_is_refused_and_told_when_to_retry_others_are_not() {
        let app = app(Limits::new(1, 2, 16, Duration::from_secs(5)));
        for _ in 0..2 {
            let response = app.clone().oneshot(from([10, 0, 0, 1], "/fast")).await;
            assert_eq!(response.expect("answer").status(), StatusCode::OK);
        }
        let response = app
            .clone()
            .oneshot(from([10, 0, 0, 1], "/fast"))
            .await
            .expect("answer");
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        let (status, body) = code(response).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(body.contains("rate_limited"), "{body}");
        let other = app.oneshot(from([10, 0, 0, 2], "/fast")).await;
        assert_eq!(other.expect("answer").status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn past_the_places_a_request_is_shed_and_a_slow_one_times_out() {
        let app = app(Limits::new(1_000, 1_000, 1, Duration::from_millis(100)));
        let (first, second) =
            tokio::join!(app.clone().oneshot(from([10, 0, 0, 1], "/slow")), async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                app.clone().oneshot(from([10, 0, 0, 2], "/fast")).await
            });
        let (status, body) = code(first.expect("answer")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("\"timeout\""), "{body}");
        let (status, body) = code(second.expect("answer")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("\"busy\""), "{body}");
        // Its place given back, the next request is served.
        let third = app.oneshot(from([10, 0, 0, 2], "/fast")).await;
        assert_eq!(third.expect("answer").status(), StatusCode::OK);
    }
}
