//! The HTTP client: several PD endpoints tried in turn, a timeout per
//! request, typed errors that say which endpoint did what.

use std::error::Error as _;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;

use super::api::{
    ConfigResponse, MemberHealth, MembersResponse, RegionsResponse, StoreInfo, StoresResponse,
};
use super::mapping::{self, MappingError};
use crate::cluster::BackendError;
use crate::cluster::model::{PdMember, RegionHealth, Store};

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
    /// PD answered with an HTTP error. Server errors are only returned once
    /// every endpoint has been tried.
    #[error("PD at {endpoint} answered {path} with HTTP {code}{}", describe_body(.body))]
    Status {
        endpoint: String,
        path: String,
        code: u16,
        body: String,
    },
    /// PD answered, but not with the JSON chaosdeck expects.
    #[error("PD at {endpoint} sent an unexpected answer to {path}: {reason}")]
    InvalidJson {
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

impl From<PdError> for BackendError {
    fn from(error: PdError) -> Self {
        BackendError::PdUnreachable(error.to_string())
    }
}

/// Everything the show needs from PD in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct PdView {
    pub members: Vec<PdMember>,
    /// TiKV stores only, sorted by id.
    pub stores: Vec<Store>,
    pub regions: RegionHealth,
}

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
    preferred: AtomicUsize,
}

impl PdClient {
    /// `endpoints` like `pd0:2379` or `http://127.0.0.1:2379/`; `timeout`
    /// bounds each request to one endpoint, body included.
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
            preferred: AtomicUsize::new(0),
        })
    }

    /// The endpoints, normalized (`http://host:port`).
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The endpoint the next request starts with: the last one that answered.
    pub fn current_endpoint(&self) -> &str {
        &self.endpoints[self.preferred.load(Ordering::Relaxed) % self.endpoints.len()]
    }

    /// TiKV stores (TiFlash left out), sorted by id.
    pub async fn stores(&self) -> Result<Vec<Store>, PdError> {
        let (endpoint, response): (_, StoresResponse) = self.get_json(STORES).await?;
        mapping::map_stores(&response, SystemTime::now())
            .map_err(|err| invalid(&endpoint, STORES, err))
    }

    /// TiKV status addresses by store id, for [`crate::cluster::metrics`].
    pub async fn status_addresses(&self) -> Result<Vec<(u64, String)>, PdError> {
        let (_, response): (_, StoresResponse) = self.get_json(STORES).await?;
        Ok(mapping::status_addresses(&response))
    }

    /// One store by PD id (TiFlash included: the caller asked for it).
    pub async fn store(&self, id: u64) -> Result<Store, PdError> {
        let path = format!("/pd/api/v1/store/{id}");
        let (endpoint, info): (_, StoreInfo) = self.get_json(&path).await?;
        mapping::map_store(&info, SystemTime::now()).map_err(|err| invalid(&endpoint, &path, err))
    }

    /// `/health` as PD reports it.
    pub async fn health(&self) -> Result<Vec<MemberHealth>, PdError> {
        Ok(self.get_json(HEALTH).await?.1)
    }

    /// PD members with the leader marked and health merged in. A failing
    /// `/health` leaves `healthy` unknown rather than failing the call.
    pub async fn members(&self) -> Result<Vec<PdMember>, PdError> {
        let (members, health) =
            tokio::join!(self.get_json::<MembersResponse>(MEMBERS), self.health());
        let (_, members) = members?;
        let health = health
            .inspect_err(|err| tracing::warn!("PD health unknown: {err}"))
            .ok();
        Ok(mapping::map_members(&members, health.as_deref()))
    }

    /// `schedule.max-store-down-time`: how long before PD calls a silent store Down.
    pub async fn max_store_down_time(&self) -> Result<Duration, PdError> {
        let (endpoint, config): (_, ConfigResponse) = self.get_json(CONFIG).await?;
        mapping::max_store_down_time(&config).map_err(|err| invalid(&endpoint, CONFIG, err))
    }

    /// Region totals from `/regions` plus the `miss-peer` and `down-peer`
    /// checks; see [`mapping::region_health`] for what each number means.
    /// `/regions` lists every region: fine for a demo cluster, heavy for a
    /// big one.
    pub async fn region_health(&self) -> Result<RegionHealth, PdError> {
        let (all, miss, down) = tokio::join!(
            self.get_json::<RegionsResponse>(REGIONS),
            self.get_json::<RegionsResponse>(MISS_PEER),
            self.get_json::<RegionsResponse>(DOWN_PEER)
        );
        Ok(mapping::region_health(&all?.1, &miss?.1, &down?.1))
    }

    /// Members, stores and regions, fetched concurrently.
    pub async fn cluster_view(&self) -> Result<PdView, PdError> {
        let (members, stores, regions) =
            tokio::join!(self.members(), self.stores(), self.region_health());
        Ok(PdView {
            members: members?,
            stores: stores?,
            regions: regions?,
        })
    }

    /// GETs `path` and decodes its JSON, trying the endpoints in turn.
    /// Returns the endpoint that answered with the value.
    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<(String, T), PdError> {
        let count = self.endpoints.len();
        let start = self.preferred.load(Ordering::Relaxed) % count;
        let mut tried = Vec::new();
        let mut server_error = None;
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
                    tried.push((endpoint.clone(), format!("HTTP {code}")));
                    server_error = Some(status);
                    continue;
                }
                Err(reason) => {
                    tracing::debug!("PD {endpoint}{path}: {reason}");
                    tried.push((endpoint.clone(), reason));
                    continue;
                }
            };
            self.preferred.store(index, Ordering::Relaxed);
            return serde_json::from_slice(&body)
                .map(|value| (endpoint.clone(), value))
                .map_err(|err| PdError::InvalidJson {
                    endpoint: endpoint.clone(),
                    path: path.to_string(),
                    reason: err.to_string(),
                });
        }
        Err(server_error.unwrap_or(PdError::Unreachable { tried }))
    }

    /// One endpoint: its answer, or why there was none.
    async fn fetch(&self, endpoint: &str, path: &str) -> Result<Answer, String> {
        let url = format!("{endpoint}{path}");
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|err| self.describe(&err))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|err| self.describe(&err))?;
        if status.is_success() {
            return Ok(Answer::Body(body.to_vec()));
        }
        let excerpt = String::from_utf8_lossy(&body)
            .trim()
            .chars()
            .take(BODY_EXCERPT_CHARS)
            .collect();
        Ok(Answer::Status {
            code: status.as_u16(),
            body: excerpt,
        })
    }

    fn describe(&self, error: &reqwest::Error) -> String {
        describe_http_error(error, self.timeout)
    }
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
}

const STORES: &str = "/pd/api/v1/stores";
const HEALTH: &str = "/pd/api/v1/health";
const MEMBERS: &str = "/pd/api/v1/members";
const CONFIG: &str = "/pd/api/v1/config";
const REGIONS: &str = "/pd/api/v1/regions";
const MISS_PEER: &str = "/pd/api/v1/regions/check/miss-peer";
const DOWN_PEER: &str = "/pd/api/v1/regions/check/down-peer";

fn invalid(endpoint: &str, path: &str, error: MappingError) -> PdError {
    PdError::InvalidJson {
        endpoint: endpoint.to_string(),
        path: path.to_string(),
        reason: error.to_string(),
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
        let backend: BackendError = err.into();
        assert!(matches!(backend, BackendError::PdUnreachable(_)));
    }
}
