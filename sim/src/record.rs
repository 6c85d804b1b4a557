//! A record of every exchange a simulator takes part in: each request it served (method, path,
//! query, headers, body) with the answer it gave (status, headers, body), and each webhook it
//! sent with the hub's status. The conformance test reads them to check both sides of the wire
//! against the channel's published specification.
//!
//! Off by default: a simulator that is not recording passes requests straight through without
//! buffering a byte, so the demo and the benchmark pay nothing. [`Recorder::start`] switches it
//! on with a cap on the number of exchanges kept (later ones are counted, not kept), and
//! [`Recorder::take`] hands the records over and empties the buffer.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Which way the exchange went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A client (the connector) called the simulated service.
    Served,
    /// The simulated service called the hub (a webhook or notification).
    Sent,
}

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub direction: Direction,
    /// When the request reached the simulator (served) or was sent (sent).
    pub at: Instant,
    pub method: String,
    /// For [`Direction::Served`] the request path; for [`Direction::Sent`] the target URL.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Bytes,
    /// The answer's status; 0 when a sent webhook got no answer.
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Bytes,
}

impl Exchange {
    /// The first request header of that name (case-insensitive).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        find(&self.request_headers, name)
    }

    /// The first response header of that name (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        find(&self.response_headers, name)
    }
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What the hub answered a sent webhook: status, headers, body.
pub type Answer = (u16, Vec<(String, String)>, Bytes);

/// The exchanges of one simulator, kept only while recording is on.
#[derive(Debug, Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    on: bool,
    limit: usize,
    kept: Vec<Exchange>,
    dropped: u64,
}

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps exchanges from now on, at most `limit` of them until the next [`Recorder::take`].
    pub fn start(&self, limit: usize) {
        let mut inner = self.lock();
        inner.on = true;
        inner.limit = limit;
    }

    /// Stops keeping exchanges; what was kept stays until taken.
    pub fn stop(&self) {
        self.lock().on = false;
    }

    pub fn is_recording(&self) -> bool {
        self.lock().on
    }

    /// Everything kept so far (oldest first), leaving the buffer empty.
    pub fn take(&self) -> Vec<Exchange> {
        let mut inner = self.lock();
        inner.dropped = 0;
        std::mem::take(&mut inner.kept)
    }

    /// Exchanges seen while recording but not kept because the cap was reached.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Keeps one exchange (when recording and under the cap).
    pub fn keep(&self, exchange: Exchange) {
        let mut inner = self.lock();
        if !inner.on {
            return;
        }
        if inner.kept.len() < inner.limit {
            inner.kept.push(exchange);
        } else {
            inner.dropped += 1;
        }
    }

    /// Records a webhook the simulator sent to `url`, with the hub's answer (`None`: no answer).
    pub fn sent(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        answer: Option<Answer>,
    ) {
        if !self.is_recording() {
            return;
        }
        let (status, response_headers, response_body) = answer.unwrap_or_default();
        self.keep(Exchange {
            direction: Direction::Sent,
            at: Instant::now(),
            method: "POST".into(),
            path: url.to_string(),
            query: None,
            request_headers: headers.to_vec(),
            request_body: Bytes::copy_from_slice(body),
            status,
            response_headers,
            response_body,
        });
    }
}

/// The most instants that fall in any span of `window` (from one instant to less than `window`
/// after it): calls per window, to compare with a channel's limit. `times` need not be sorted.
pub fn busiest_window(times: &[Instant], window: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let mut best = 0;
    let mut first = 0;
    for (last, t) in sorted.iter().enumerate() {
        while t.duration_since(sorted[first]) >= window {
            first += 1;
        }
        best = best.max(last + 1 - first);
    }
    best
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Sends a webhook the simulator built and returns the hub's status (or why nothing came
/// back); while `recorder` is on, the request and the answer are recorded as
/// [`Direction::Sent`].
pub async fn send(
    recorder: &Recorder,
    client: &reqwest::Client,
    builder: reqwest::RequestBuilder,
) -> Result<u16, String> {
    let request = builder.build().map_err(|e| e.to_string())?;
    let seen = recorder.is_recording().then(|| {
        (
            request.url().to_string(),
            header_list(request.headers()),
            request
                .body()
                .and_then(|b| b.as_bytes())
                .unwrap_or_default()
                .to_vec(),
        )
    });
    match client.execute(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            if let Some((url, headers, body)) = seen {
                let response_headers = header_list(response.headers());
                let response_body = response.bytes().await.unwrap_or_default();
                recorder.sent(
                    &url,
                    &headers,
                    &body,
                    Some((status, response_headers, response_body)),
                );
            }
            Ok(status)
        }
        Err(err) => {
            if let Some((url, headers, body)) = seen {
                recorder.sent(&url, &headers, &body, None);
            }
            Err(err.to_string())
        }
    }
}

/// Axum middleware recording every request the router serves (routes, guards and fallbacks
/// alike when added with `Router::layer`). When the recorder is off the request passes through
/// untouched.
pub async fn layer(
    State(recorder): State<Arc<Recorder>>,
    request: Request,
    next: Next,
) -> Response {
    if !recorder.is_recording() {
        return next.run(request).await;
    }
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let request_body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return (StatusCode::BAD_REQUEST, format!("unreadable body: {err}")).into_response();
        }
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let request_headers = header_list(&parts.headers);
    let response = next
        .run(Request::from_parts(parts, Body::from(request_body.clone())))
        .await;
    let (parts, body) = response.into_parts();
    let response_body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unreadable answer: {err}"),
            )
                .into_response();
        }
    };
    recorder.keep(Exchange {
        direction: Direction::Served,
        at,
        method,
        path,
        query,
        request_headers,
        request_body,
        status: parts.status.as_u16(),
        response_headers: header_list(&parts.headers),
        response_body: response_body.clone(),
    });
    Response::from_parts(parts, Body::from(response_body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;

    async fn serve(recorder: Arc<Recorder>) -> String {
        let app = Router::new()
            .route("/echo", post(|body: Bytes| async move { body }))
            .layer(from_fn_with_state(recorder, layer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[test]
    fn the_busiest_window_counts_calls_less_than_a_window_apart() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let second = Duration::from_secs(1);
        assert_eq!(busiest_window(&[], second), 0);
        assert_eq!(busiest_window(&[at(0)], second), 1);
        // 0, 400, 999 share a window; 1000 starts the next one with 400 and 999.
        let times = [at(1000), at(0), at(400), at(999), at(2500)];
        assert_eq!(busiest_window(&times, second), 3);
        assert_eq!(busiest_window(&times, Duration::from_millis(1001)), 4);
        assert_eq!(busiest_window(&times, Duration::from_secs(3)), 5);
    }

    #[tokio::test]
    async fn keeps_nothing_until_started_then_at_most_the_cap() {
        let recorder = Arc::new(Recorder::default());
        let base = serve(Arc::clone(&recorder)).await;
        let http = reqwest::Client::new();
        let call = |body: &'static str| {
            http.post(format!("{base}/echo?a=1"))
                .header("content-type", "text/plain")
                .body(body)
                .send()
        };
        assert_eq!(call("off").await.unwrap().text().await.unwrap(), "off");
        assert!(recorder.take().is_empty());

        recorder.start(2);
        for body in ["one", "two", "three"] {
            assert_eq!(call(body).await.unwrap().text().await.unwrap(), body);
        }
        assert_eq!(recorder.dropped(), 1);
        let kept = recorder.take();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].method, "POST");
        assert_eq!(kept[0].path, "/echo");
        assert_eq!(kept[0].query.as_deref(), Some("a=1"));
        assert_eq!(kept[0].request_header("Content-Type"), Some("text/plain"));
        assert_eq!(&kept[1].request_body[..], b"two");
        assert_eq!(
            (kept[1].status, &kept[1].response_body[..]),
            (200, &b"two"[..])
        );

        let unrouted = http.get(format!("{base}/nowhere")).send().await.unwrap();
        assert_eq!(unrouted.status(), 404);
        assert_eq!(recorder.take()[0].status, 404, "fallbacks are recorded too");

        recorder.stop();
        call("after").await.unwrap();
        recorder.sent("http://hub/webhooks/x", &[], b"{}", None);
        assert!(recorder.take().is_empty());
    }
}
