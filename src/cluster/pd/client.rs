//! The HTTP client: several PD endpoints tried in turn, a timeout per
//! request, a size limit per body, typed errors that say which endpoint
//! answered what (an HTTP status, invalid JSON at a line and column, an
//! empty body, a body over the limit, no answer in time).

use std::error::Error as _;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::api::{ConfigResponse, MemberHealth, StoreInfo};
use super::decode::{self, Lenient};
use super::mapping::{self, MappingError};
use crate::cluster::model::{PdMember, RegionHealth, Store};
use crate::text::{clean_line, excerpt};

/// The largest body read from PD unless configured otherwise: a demo
/// cluster's `/regions` is a few KiB, a 10,000-region one about 5 MiB.
pub const DEFAULT_BODY_LIMIT: u64 = 8 << 20;
/// The environment variable that sets the limit (`16MiB`, `50MB`, bytes).
pub const BODY_LIMIT_ENV: &str = "CHAOSDECK_PD_BODY_LIMIT";

/// Why a PD request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdError {
    /// `PdClient::new` was given nothing to talk to.
    #[error("no PD endpoint given")]
    NoEndpoints,
    #[error("invalid PD endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
    /// No endpoint answered (connection failed or timed out), in the order tried.
    #[error("no PD endpoint answered: {}", describe_tried(.tried))]
    Unreachable { tried: Vec<(String, String)> },
    /// PD has no leader: a follower said so (HTTP 503, "redirect finds no
    /// leader") and no endpoint answered otherwise. Every endpoint, in the
    /// order tried.
    #[error("PD has no leader: {}", describe_tried(.tried))]
    NoLeader { tried: Vec<(String, String)> },
    /// PD answered with an HTTP error. Server errors are only returned once
    /// every endpoint has been tried.
    #[error("PD at {endpoint} answered {path} with HTTP {code}{}", describe_body(.body))]
    Status {
        endpoint: String,
        path: String,
        code: u16,
        body: String,
    },
    /// A 2xx answer with nothing in it.
    #[error("PD at {endpoint} answered {path} with an empty body")]
    EmptyBody { endpoint: String, path: String },
    /// A body larger than the limit; reading stopped there.
    #[error(
        "PD at {endpoint} answered {path} with a body over the limit of {} \
         (set {BODY_LIMIT_ENV} to raise it)",
        describe_bytes(*.limit)
    )]
    TooLarge {
        endpoint: String,
        path: String,
        limit: u64,
    },
    /// PD answered, but not with JSON.
    #[error(
        "PD at {endpoint} answered {path} with invalid JSON at line {line}, column {column}: {reason}"
    )]
    InvalidJson {
        endpoint: String,
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
    /// PD answered with JSON, but not of the shape chaosdeck reads.
    #[error("PD at {endpoint} sent an unexpected answer to {path}: {reason}")]
    Unexpected {
        endpoint: String,
        path: String,
        reason: String,
    },
}

fn describe_tried(tried: &[(String, String)]) -> String {
    let mut text = String::new();
    for (index, (endpoint, reason)) in tried.iter().enumerate() {
        if index > 0 {
            text.push_str("; ");
        }
        let _ = write!(text, "{endpoint} ({reason})");
    }
    text
}

fn describe_body(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// `8 MiB`, `1500 bytes`.
fn describe_bytes(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// The body limit from [`BODY_LIMIT_ENV`], else [`DEFAULT_BODY_LIMIT`].
pub fn body_limit_from_env() -> Result<u64, String> {
    match std::env::var(BODY_LIMIT_ENV) {
        Ok(text) if !text.trim().is_empty() => match crate::units::parse_size(&text) {
            Ok(0) => Err(format!("{BODY_LIMIT_ENV}: the limit must be above 0")),
            Ok(limit) => Ok(limit),
            Err(err) => Err(format!("{BODY_LIMIT_ENV}: {err}")),
        },
        _ => Ok(DEFAULT_BODY_LIMIT),
    }
}

/// Everything the show needs from PD in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct PdView {
    pub members: Vec<PdMember>,
    /// TiKV stores only, sorted by id, one per id.
    pub stores: Vec<Store>,
    /// The region lists' figures, or why they could not be read: they fail
    /// alone, without taking the members and stores with them.
    pub regions: Result<RegionHealth, String>,
    /// What PD sent that was left out (a store that did not read, an id
    /// listed twice), each with why.
    pub skipped: Vec<String>,
}

/// TiKV stores and the entries of the answer that were left out.
pub type Stores = mapping::MappedStores;

/// How much of an error body goes into a message.
const BODY_EXCERPT_CHARS: usize = 200;

/// A client for PD's HTTP API (`/pd/api/v1/...`).
///
/// Endpoints are tried in turn, starting with the last one that answered.
/// A connection failure, a timeout or an HTTP 5xx moves on to the next
/// endpoint (a PD member cut off from its peers answers 500); any other
/// answer is final.
#[derive(Debug)]
pub struct PdClient {
    endpoints: Vec<String>,
    http: reqwest::Client,
    timeout: Duration,
    body_limit: u64,
    preferred: AtomicUsize,
    /// Held while a body grows past [`FREE_BODY_BYTES`]: see [`Self::fetch`].
    big_body: tokio::sync::Semaphore,
}

/// A body may grow this far without waiting for the others. Every PD answer
/// of a demo cluster is far smaller; past it, bodies are read one at a time,
/// so that a PD answering every path with an endless body costs about one
/// body limit of memory, not one per request in flight.
const FREE_BODY_BYTES: usize = 1 << 20;

impl PdClient {
    /// `endpoints` like `pd0:2379` or `http://127.0.0.1:2379/`; `timeout`
    /// bounds each request to one endpoint, body included. Bodies are
    /// limited to [`DEFAULT_BODY_LIMIT`]; see [`Self::with_body_limit`].
    pub fn new(endpoints: Vec<String>, timeout: Duration) -> Result<Self, PdError> {
        let endpoints = endpoints
            .iter()
            .map(|endpoint| normalize_endpoint(endpoint))
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err(PdError::NoEndpoints);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // PD sits next to us on a Compose network: a proxy from the
            // environment would only get in the way.
            .no_proxy()
            .build()
            .map_err(|err| PdError::InvalidEndpoint {
                endpoint: endpoints.join(","),
                reason: format!("cannot build the HTTP client: {err}"),
            })?;
        Ok(Self {
            endpoints,
            http,
            timeout,
            body_limit: DEFAULT_BODY_LIMIT,
            preferred: AtomicUsize::new(0),
            big_body: tokio::sync::Semaphore::new(1),
        })
    }

    /// Reads at most `bytes` of any body (at least 1).
    pub fn with_body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes.max(1);
        self
    }

    /// The endpoints, normalized (`http://host:port`).
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The endpoint the next request starts with: the last one that answered.
    pub fn current_endpoint(&self) -> &str {
        &self.endpoints[self.preferred.load(Ordering::Relaxed) % self.endpoints.len()]
    }

    /// TiKV stores (TiFlash left out), sorted by id, and the entries left out.
    pub async fn stores(&self) -> Result<Stores, PdError> {
        let (_, response) = self.get(STORES, decode::stores).await?;
        let mut mapped = mapping::map_stores(&response.value, SystemTime::now());
        mapped.skipped.splice(0..0, response.skipped);
        Ok(mapped)
    }

    /// TiKV status addresses by store id, for [`crate::cluster::metrics`].
    pub async fn status_addresses(&self) -> Result<Vec<(u64, String)>, PdError> {
        let (_, response) = self.get(STORES, decode::stores).await?;
        Ok(mapping::status_addresses(&response.value))
    }

    /// One store by PD id (TiFlash included: the caller asked for it).
    pub async fn store(&self, id: u64) -> Result<Store, PdError> {
        let path = format!("/pd/api/v1/store/{id}");
        let (endpoint, info) = self.get(&path, strict::<StoreInfo>).await?;
        mapping::map_store(&info.value, SystemTime::now())
            .map_err(|err| unexpected(&endpoint, &path, err))
    }

    /// `/health` as PD reports it (entries that do not read left out).
    pub async fn health(&self) -> Result<Vec<MemberHealth>, PdError> {
        Ok(self.get(HEALTH, decode::health).await?.1.value)
    }

    /// PD members with the leader marked and health merged in. A failing
    /// `/health` leaves `healthy` unknown rather than failing the call.
    pub async fn members(&self) -> Result<Vec<PdMember>, PdError> {
        Ok(self.members_noting_skipped().await?.value)
    }

    async fn members_noting_skipped(&self) -> Result<Lenient<Vec<PdMember>>, PdError> {
        let (members, health) = tokio::join!(self.get(MEMBERS, decode::members), self.health());
        let (_, members) = members?;
        let health = health
            .inspect_err(|err| tracing::warn!("PD health unknown: {err}"))
            .ok();
        Ok(Lenient {
            value: mapping::map_members(&members.value, health.as_deref()),
            skipped: members.skipped,
        })
    }

    /// `schedule.max-store-down-time`: how long before PD calls a silent store Down.
    pub async fn max_store_down_time(&self) -> Result<Duration, PdError> {
        let (endpoint, config) = self.get(CONFIG, strict::<ConfigResponse>).await?;
        mapping::max_store_down_time(&config.value)
            .map_err(|err| unexpected(&endpoint, CONFIG, err))
    }

    /// Region totals from `/regions` plus the `miss-peer` and `down-peer`
    /// checks; see [`mapping::region_health`] for what each number means.
    /// `/regions` lists every region: fine for a demo cluster, heavy for a
    /// big one (see [`DEFAULT_BODY_LIMIT`]).
    pub async fn region_health(&self) -> Result<RegionHealth, PdError> {
        Ok(self.region_health_noting_skipped().await?.value)
    }

    async fn region_health_noting_skipped(&self) -> Result<Lenient<RegionHealth>, PdError> {
        let (all, miss, down) = tokio::join!(
            self.get(REGIONS, decode::regions),
            self.get(MISS_PEER, decode::regions),
            self.get(DOWN_PEER, decode::regions)
        );
        let (all, miss, down) = (all?.1, miss?.1, down?.1);
        let mut skipped = all.skipped;
        skipped.extend(miss.skipped);
        skipped.extend(down.skipped);
        Ok(Lenient {
            value: mapping::region_health(&all.value, &miss.value, &down.value),
            skipped,
        })
    }

    /// Members, stores and regions, fetched concurrently.
    pub async fn cluster_view(&self) -> Result<PdView, PdError> {
        let (members, stores, regions) = tokio::join!(
            self.members_noting_skipped(),
            self.stores(),
            self.region_health_noting_skipped()
        );
        let (members, stores) = (members?, stores?);
        let mut skipped = members.skipped;
        skipped.extend(stores.skipped);
        let regions = regions.map(|regions| {
            skipped.extend(regions.skipped);
            regions.value
        });
        Ok(PdView {
            members: members.value,
            stores: stores.stores,
            regions: regions.map_err(|error| error.to_string()),
            skipped,
        })
    }

    /// GETs `path` and decodes its body with `decode`, trying the endpoints
    /// in turn. Returns the endpoint that answered with the value.
    async fn get<T>(
        &self,
        path: &str,
        decode: fn(&str) -> Result<T, serde_json::Error>,
    ) -> Result<(String, T), PdError> {
        let count = self.endpoints.len();
        let start = self.preferred.load(Ordering::Relaxed) % count;
        let mut tried = Vec::new();
        let mut server_error = None;
        let mut no_leader = false;
        for offset in 0..count {
            let index = (start + offset) % count;
            let endpoint = &self.endpoints[index];
            let body = match self.fetch(endpoint, path).await {
                Ok(Answer::Body(body)) => body,
                Ok(Answer::Status { code, body }) => {
                    let status = PdError::Status {
                        endpoint: endpoint.clone(),
                        path: path.to_string(),
                        code,
                        body,
                    };
                    if code < 500 {
                        self.preferred.store(index, Ordering::Relaxed);
                        return Err(status);
                    }
                    if is_no_leader(code, &body_of(&status)) {
                        // A follower that cannot redirect: another member
                        // may know better, so go on.
                        no_leader = true;
                        tried.push((endpoint.clone(), "HTTP 503 redirect finds no leader".into()));
                    } else {
                        tried.push((endpoint.clone(), format!("HTTP {code}")));
                    }
                    server_error = Some(status);
                    continue;
                }
                Ok(Answer::TooLarge) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Err(PdError::TooLarge {
                        endpoint: endpoint.clone(),
                        path: path.to_string(),
                        limit: self.body_limit,
                    });
                }
                Err(reason) => {
                    tracing::debug!("PD {endpoint}{path}: {reason}");
                    tried.push((endpoint.clone(), reason));
                    continue;
                }
            };
            self.preferred.store(index, Ordering::Relaxed);
            return decode_body(&body, decode)
                .map(|value| (endpoint.clone(), value))
                .map_err(|problem| problem.at(endpoint, path));
        }
        if no_leader {
            return Err(PdError::NoLeader { tried });
        }
        Err(server_error.unwrap_or(PdError::Unreachable { tried }))
    }

    /// One endpoint: its answer, or why there was none. A body is read in
    /// chunks and dropped as soon as it passes the limit.
    async fn fetch(&self, endpoint: &str, path: &str) -> Result<Answer, String> {
        let url = format!("{endpoint}{path}");
        let mut response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|err| self.describe(&err))?;
        let status = response.status();
        if response
            .content_length()
            .is_some_and(|len| len > self.body_limit)
        {
            return Ok(Answer::TooLarge);
        }
        let limit = usize::try_from(self.body_limit).unwrap_or(usize::MAX);
        let mut body = Vec::new();
        let mut big = None;
        while let Some(chunk) = response.chunk().await.map_err(|err| self.describe(&err))? {
            let needed = body.len() + chunk.len();
            if needed > limit {
                return Ok(Answer::TooLarge);
            }
            if needed > FREE_BODY_BYTES && big.is_none() {
                // The request's own timeout still bounds the wait.
                big = Some(
                    self.big_body
                        .acquire()
                        .await
                        .map_err(|_| "the client is closing".to_string())?,
                );
            }
            if needed > body.capacity() {
                // Grows as a Vec would, but never past the limit.
                let target = needed.max(body.capacity() * 2).min(limit);
                body.reserve_exact(target - body.len());
            }
            body.extend_from_slice(&chunk);
        }
        drop(big);
        if status.is_success() {
            return Ok(Answer::Body(body));
        }
        Ok(Answer::Status {
            code: status.as_u16(),
            body: excerpt(&String::from_utf8_lossy(&body), BODY_EXCERPT_CHARS),
        })
    }

    fn describe(&self, error: &reqwest::Error) -> String {
        describe_http_error(error, self.timeout)
    }
}

/// PD's follower with no leader to redirect to: `errRedirectNoLeader`.
fn is_no_leader(code: u16, body: &str) -> bool {
    code == 503 && body.contains("no leader")
}

fn body_of(error: &PdError) -> String {
    match error {
        PdError::Status { body, .. } => body.clone(),
        _ => String::new(),
    }
}

/// A body decoded as a whole, for answers that are one object.
fn strict<T: serde::de::DeserializeOwned>(body: &str) -> Result<Lenient<T>, serde_json::Error> {
    Ok(Lenient {
        value: serde_json::from_str(body)?,
        skipped: Vec::new(),
    })
}

/// What was wrong with a 2xx body, before the endpoint is named.
enum BodyProblem {
    Empty,
    Invalid {
        line: usize,
        column: usize,
        reason: String,
    },
    Unexpected(String),
}

impl BodyProblem {
    fn at(self, endpoint: &str, path: &str) -> PdError {
        let (endpoint, path) = (endpoint.to_string(), path.to_string());
        match self {
            Self::Empty => PdError::EmptyBody { endpoint, path },
            Self::Invalid {
                line,
                column,
                reason,
            } => PdError::InvalidJson {
                endpoint,
                path,
                line,
                column,
                reason,
            },
            Self::Unexpected(reason) => PdError::Unexpected {
                endpoint,
                path,
                reason,
            },
        }
    }
}

/// UTF-8, then JSON, then the shape `decode` expects. Pure.
fn decode_body<T>(
    body: &[u8],
    decode: fn(&str) -> Result<T, serde_json::Error>,
) -> Result<T, BodyProblem> {
    let text = std::str::from_utf8(body).map_err(|err| {
        let valid = &body[..err.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        BodyProblem::Invalid {
            line,
            column,
            reason: "not UTF-8".into(),
        }
    })?;
    if text.trim().is_empty() {
        return Err(BodyProblem::Empty);
    }
    decode(text).map_err(|err| {
        // Tell JSON that is not JSON from JSON of another shape: serde calls
        // an array read as a struct "trailing characters", a syntax error.
        match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(syntax) => BodyProblem::Invalid {
                line: syntax.line(),
                column: syntax.column(),
                reason: decode::reason(&syntax),
            },
            Ok(_) => BodyProblem::Unexpected(format!(
                "at line {}, column {}: {}",
                err.line(),
                err.column(),
                decode::reason(&err)
            )),
        }
    })
}

/// A short reason for a failed request, without the URL (the caller names
/// the endpoint): `timed out after 200ms`, `connection failed: Connection
/// refused (os error 111)`, or reqwest's cause chain.
pub(crate) fn describe_http_error(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("timed out after {timeout:?}");
    }
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    match causes.last() {
        Some(root) if error.is_connect() => format!("connection failed: {root}"),
        Some(_) => causes.join(": "),
        None => error.to_string(),
    }
}

/// What one endpoint answered.
enum Answer {
    /// A 2xx answer's body.
    Body(Vec<u8>),
    /// Any other answer, with the start of its body.
    Status { code: u16, body: String },
    /// A body over the limit, of any status.
    TooLarge,
}

const STORES: &str = "/pd/api/v1/stores";
const HEALTH: &str = "/pd/api/v1/health";
const MEMBERS: &str = "/pd/api/v1/members";
const CONFIG: &str = "/pd/api/v1/config";
const REGIONS: &str = "/pd/api/v1/regions";
const MISS_PEER: &str = "/pd/api/v1/regions/check/miss-peer";
const DOWN_PEER: &str = "/pd/api/v1/regions/check/down-peer";

fn unexpected(endpoint: &str, path: &str, error: MappingError) -> PdError {
    PdError::Unexpected {
        endpoint: endpoint.to_string(),
        path: path.to_string(),
        reason: clean_line(&error.to_string()).into_owned(),
    }
}

/// `pd0:2379` -> `http://pd0:2379`; trailing slashes dropped; https refused
/// (chaosdeck is built without TLS).
pub fn normalize_endpoint(endpoint: &str) -> Result<String, PdError> {
    let invalid = |reason: &str| PdError::InvalidEndpoint {
        endpoint: endpoint.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = endpoint.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(invalid("empty"));
    }
    let url = match trimmed.split_once("://") {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") => trimmed.to_string(),
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
            return Err(invalid(
                "https is not supported (chaosdeck is built without TLS)",
            ));
        }
        Some(_) => return Err(invalid("only http:// endpoints are supported")),
        None => format!("http://{trimmed}"),
    };
    let parsed = reqwest::Url::parse(&url).map_err(|err| invalid(&err.to_string()))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if parsed.path() != "/" || parsed.query().is_some() {
        return Err(invalid("expected host:port, without a path"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalized() {
        assert_eq!(
            normalize_endpoint("127.0.0.1:2379").unwrap(),
            "http://127.0.0.1:2379"
        );
        assert_eq!(
            normalize_endpoint(" http://pd0:2379/ ").unwrap(),
            "http://pd0:2379"
        );
        assert_eq!(
            normalize_endpoint("HTTP://pd0:2379").unwrap(),
            "HTTP://pd0:2379"
        );
        assert_eq!(
            normalize_endpoint("[::1]:2379").unwrap(),
            "http://[::1]:2379"
        );
    }

    #[test]
    fn bad_endpoints_are_refused_with_a_reason() {
        for (bad, reason) in [
            ("", "empty"),
            ("https://pd0:2379", "https is not supported"),
            ("ftp://pd0", "only http://"),
            ("pd0:2379/pd/api", "without a path"),
            ("pd0:notaport", "invalid port"),
        ] {
            let err = normalize_endpoint(bad).unwrap_err();
            assert!(err.to_string().contains(reason), "{bad}: {err}");
        }
        assert_eq!(
            PdClient::new(Vec::new(), Duration::from_secs(1)).unwrap_err(),
            PdError::NoEndpoints
        );
    }

    #[test]
    fn messages_name_every_endpoint_tried() {
        let err = PdError::Unreachable {
            tried: vec![
                ("http://pd0:2379".into(), "connection refused".into()),
                ("http://pd1:2379".into(), "timed out after 200ms".into()),
            ],
        };
        assert_eq!(
            err.to_string(),
            "no PD endpoint answered: http://pd0:2379 (connection refused); http://pd1:2379 (timed out after 200ms)"
        );
    }
}
