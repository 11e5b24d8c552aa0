//! A language model as a second opinion: Anthropic's Messages API or any
//! OpenAI-compatible chat-completions server, streamed, investigating with
//! read-only tools within a step limit, a deadline and a budget.
//!
//! The edges are pure and tested on the documented streams: event-stream
//! decoding ([`sse`]), each provider's chunks ([`anthropic`], [`openai`]),
//! the retry rules ([`transport`]), the answer ([`answer`]), the budget
//! ([`budget`]). This module only runs the conversation.

pub mod answer;
pub mod anthropic;
pub mod budget;
pub mod config;
pub mod conversation;
pub mod openai;
pub mod prompt;
pub mod sse;
pub mod tools;
pub mod transport;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

pub use config::{ApiKey, KeyFilter, ModelConfig, ModelLimits, Provider};

use self::budget::{HourlyBudget, PassBudget};
use self::conversation::{Delta, Message, StreamError, StreamParser, Turn};
use self::tools::{NodeLogs, ToolSpec, Toolbox};
use self::transport::{CallError, Deadlines, Request, Retry};
use super::diagnosis::Verdict;
use super::evidence::Evidence;
pub use super::opinion::ModelFailure;
use super::progress::Progress;
use crate::text::{quote_for_model, span};

/// How long a tool may take (node logs come from the runtime).
const TOOL_TIMEOUT: Duration = Duration::from_secs(5);

impl ModelFailure {
    fn from_call(error: CallError, limits: &ModelLimits) -> Self {
        match error {
            CallError::Connect(m) => Self::Unreachable(m),
            CallError::Status {
                status: 429,
                retry_after: None,
                message,
            } => Self::Http {
                status: 429,
                message: format!("{message} (no retry-after: a spend limit, not retried)"),
            },
            CallError::Status {
                status, message, ..
            } => Self::Http { status, message },
            CallError::FirstToken(d) => Self::FirstToken(d),
            CallError::Deadline => Self::Deadline(limits.total),
            CallError::Stream(StreamError::Api { kind, message }) => {
                Self::ServerError(format!("{kind}: {message}"))
            }
            CallError::Stream(StreamError::Malformed(m)) => Self::Malformed(m),
            CallError::Stream(StreamError::Cut(m)) => Self::Cut(m),
            CallError::TooLong => Self::Malformed(CallError::TooLong.to_string()),
        }
    }
}

/// Ollama cuts a prompt longer than its context from the start, without an
/// error; the only sign is a prompt token count far below what was sent
/// (about 4 bytes a token; JSON packs fewer, so only a gap of 3x counts).
pub fn prompt_looks_cut(sent_bytes: usize, counted_tokens: u64) -> bool {
    sent_bytes > 4000 && (counted_tokens as usize) * 12 < sent_bytes
}

/// What a finished investigation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRun {
    pub verdict: Verdict,
    pub first_token: Option<Duration>,
    pub tool_calls: usize,
    pub output_tokens: u64,
}

/// Talks to one model. Shared by every diagnosis of a show, so the hourly
/// budget holds across passes.
pub struct ModelAgent {
    config: ModelConfig,
    client: reqwest::Client,
    hourly: Mutex<HourlyBudget>,
    logs: Option<Arc<dyn NodeLogs>>,
}

/// Progress on its way to the pane without ever blocking the stream: what
/// the channel cannot take yet waits here, text fragments joined.
struct Sink<'a> {
    tx: &'a mpsc::Sender<Progress>,
    queue: VecDeque<Progress>,
    filter: KeyFilter,
}

impl<'a> Sink<'a> {
    fn new(tx: &'a mpsc::Sender<Progress>, key: Option<ApiKey>) -> Self {
        Self {
            tx,
            queue: VecDeque::new(),
            filter: KeyFilter::new(key),
        }
    }

    fn text(&mut self, fragment: &str) {
        let shown = self.filter.push(fragment);
        if shown.is_empty() {
            return;
        }
        match self.queue.back_mut() {
            Some(Progress::Text(text)) => text.push_str(&shown),
            _ => self.queue.push_back(Progress::Text(shown)),
        }
        self.drain();
    }

    fn push(&mut self, progress: Progress) {
        let rest = self.filter.flush();
        if !rest.is_empty() {
            self.queue.push_back(Progress::Text(rest));
        }
        self.queue.push_back(progress);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(item) = self.queue.pop_front() {
            match self.tx.try_send(item) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(item)) => {
                    self.queue.push_front(item);
                    return;
                }
                // Nobody watches: no reason to keep anything.
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.queue.clear();
                    return;
                }
            }
        }
    }

    async fn send(&mut self, progress: Progress) {
        self.push(progress);
        self.flush().await;
    }

    async fn flush(&mut self) {
        let rest = self.filter.flush();
        if !rest.is_empty() {
            self.queue.push_back(Progress::Text(rest));
        }
        while let Some(item) = self.queue.pop_front() {
            if self.tx.send(item).await.is_err() {
                self.queue.clear();
            }
        }
    }
}

/// Counters of one investigation.
#[derive(Default)]
struct Stats {
    first_token: Option<Duration>,
    tool_calls: usize,
    output_tokens: u64,
}

impl ModelAgent {
    pub fn new(config: ModelConfig, logs: Option<Arc<dyn NodeLogs>>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        let hourly = Mutex::new(HourlyBudget::new(config.limits.calls_per_hour));
        Ok(Self {
            config,
            client,
            hourly,
            logs,
        })
    }

    pub fn label(&self) -> String {
        self.config.label()
    }

    fn request(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
        json_mode: bool,
        max_tokens: u32,
    ) -> Request {
        let c = &self.config;
        match c.provider {
            Provider::Anthropic => {
                let mut request = Request::new(
                    anthropic::endpoint(&c.url),
                    anthropic::request_body(
                        &c.model,
                        max_tokens,
                        &prompt::system(),
                        messages,
                        tools,
                    ),
                );
                request
                    .headers
                    .push(("anthropic-version", anthropic::API_VERSION.into()));
                request.key_header = c
                    .key
                    .as_ref()
                    .map(|k| ("x-api-key", k.expose().to_string()));
                request
            }
            Provider::OpenAi => {
                let mut request = Request::new(
                    openai::endpoint(&c.url),
                    openai::request_body(
                        &c.model,
                        max_tokens,
                        &prompt::system(),
                        messages,
                        tools,
                        json_mode,
                    ),
                );
                request.key_header = c
                    .key
                    .as_ref()
                    .map(|k| ("authorization", format!("Bearer {}", k.expose())));
                request
            }
        }
    }

    fn parser(&self) -> Box<dyn StreamParser> {
        match self.config.provider {
            Provider::Anthropic => Box::new(anthropic::AnthropicStream::new()),
            Provider::OpenAi => Box::new(openai::OpenAiStream::new()),
        }
    }

    fn spend(&self, pass: &mut PassBudget) -> Result<(), ModelFailure> {
        pass.spend().map_err(ModelFailure::Budget)?;
        self.hourly
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .spend(Instant::now())
            .map_err(ModelFailure::Budget)
    }

    /// One turn, retried as the rules allow within the deadline.
    async fn call(
        &self,
        request: &Request,
        deadline: Instant,
        pass: &mut PassBudget,
        stats: &mut Stats,
        sink: &mut Sink<'_>,
    ) -> Result<Turn, ModelFailure> {
        let limits = &self.config.limits;
        let mut attempt = 0;
        loop {
            self.spend(pass)?;
            let sent = Instant::now();
            let deadlines = Deadlines::from_now(limits.first_token, deadline);
            let mut first = stats.first_token;
            let result = transport::stream_turn(
                &self.client,
                request,
                self.parser(),
                deadlines,
                self.config.key.as_ref(),
                |delta| {
                    if first.is_none() {
                        let took = sent.elapsed();
                        first = Some(took);
                        sink.push(Progress::FirstToken(took));
                    }
                    match delta {
                        Delta::Text(text) => sink.text(&text),
                        // Each call is shown once its arguments are whole.
                        Delta::ToolCallStarted { .. } | Delta::Activity => {}
                    }
                },
            )
            .await;
            stats.first_token = first;
            sink.flush().await;
            let error = match result {
                Ok(turn) => {
                    stats.output_tokens += turn.usage.output_tokens.unwrap_or(0);
                    let sent = request.body.to_string().len();
                    // Only OpenAI-compatible servers (Ollama) cut silently.
                    let counted = turn
                        .usage
                        .input_tokens
                        .filter(|_| self.config.provider == Provider::OpenAi)
                        .filter(|&n| prompt_looks_cut(sent, n));
                    if let Some(counted) = counted {
                        sink.send(Progress::Note(format!(
                            "the server counted only {counted} prompt tokens of about {} sent: it may have cut the prompt to fit its context",
                            sent / 4
                        )))
                        .await;
                    }
                    return Ok(self.redacted(turn));
                }
                Err(error) => error,
            };
            match transport::retry_policy(&error, attempt, limits.max_retries) {
                Retry::After(wait) if Instant::now() + wait < deadline => {
                    tracing::info!(%error, wait = ?wait, "model request failed; retrying");
                    sink.send(Progress::Note(format!(
                        "{error}: trying again in {}",
                        span(wait)
                    )))
                    .await;
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Retry::After(wait) => {
                    let failure = ModelFailure::from_call(error, limits);
                    return Err(match failure {
                        ModelFailure::Http { status, message } => ModelFailure::Http {
                            status,
                            message: format!(
                                "{message} (a retry in {} would pass the deadline)",
                                span(wait)
                            ),
                        },
                        other => other,
                    });
                }
                Retry::No => return Err(ModelFailure::from_call(error, limits)),
            }
        }
    }

    /// A turn with the key scrubbed from everything the server wrote: a
    /// server (or a model) that echoes it back must not put it on screen.
    fn redacted(&self, mut turn: Turn) -> Turn {
        if let Some(key) = &self.config.key {
            turn.text = key.redact(&turn.text);
            for call in &mut turn.tool_calls {
                call.name = key.redact(&call.name);
                call.raw_arguments = key.redact(&call.raw_arguments);
                call.id = key.redact(&call.id);
            }
        }
        turn
    }

    /// Investigates `evidence` and answers, or says why it could not.
    pub async fn investigate(
        &self,
        evidence: &Evidence,
        progress: &mpsc::Sender<Progress>,
    ) -> Result<ModelRun, ModelFailure> {
        let limits = self.config.limits;
        let deadline = Instant::now() + limits.total;
        let mut sink = Sink::new(progress, self.config.key.clone());
        let mut stats = Stats::default();
        let result = tokio::time::timeout_at(
            deadline,
            self.conversation(evidence, deadline, &mut sink, &mut stats),
        )
        .await
        .unwrap_or(Err(ModelFailure::Deadline(limits.total)));
        sink.flush().await;
        result
    }

    async fn conversation(
        &self,
        evidence: &Evidence,
        deadline: Instant,
        sink: &mut Sink<'_>,
        stats: &mut Stats,
    ) -> Result<ModelRun, ModelFailure> {
        let limits = self.config.limits;
        let services = tools::services_in(evidence);
        let specs = tools::catalogue();
        let mut toolbox = Toolbox::new(
            evidence.clone(),
            self.logs.clone(),
            limits.tool_answer_bytes,
        );
        let mut messages = vec![Message::User(prompt::opening(evidence))];
        let mut pass = PassBudget::new(limits.calls_per_pass);
        let mut steps = 0;
        let mut told_the_limit = false;
        sink.send(Progress::Step(format!("asking {}…", self.label())))
            .await;
        loop {
            let request = self.request(&messages, &specs, false, limits.max_output_tokens);
            let turn = self
                .call(&request, deadline, &mut pass, stats, sink)
                .await?;
            if turn.tool_calls.is_empty() {
                let verdict = self
                    .verdict(&turn.text, &services, deadline, &mut pass, stats, sink)
                    .await;
                return Ok(ModelRun {
                    verdict,
                    first_token: stats.first_token,
                    tool_calls: stats.tool_calls,
                    output_tokens: stats.output_tokens,
                });
            }
            if told_the_limit {
                return Err(ModelFailure::StepLimit(limits.max_steps));
            }
            let mut results = Vec::new();
            for call in &turn.tool_calls {
                let arguments = quote_for_model(&call.raw_arguments);
                sink.send(Progress::ToolCall {
                    name: quote_for_model(&call.name),
                    arguments,
                })
                .await;
                let outcome = if steps >= limits.max_steps {
                    told_the_limit = true;
                    toolbox.refuse(call, "step limit reached: answer now with what you have")
                } else {
                    match tokio::time::timeout(TOOL_TIMEOUT, toolbox.run(call)).await {
                        Ok(outcome) => outcome,
                        Err(_) => toolbox.refuse(call, "the tool took too long"),
                    }
                };
                steps += 1;
                stats.tool_calls += 1;
                tracing::info!(tool = %call.name, refused = outcome.refused, summary = %outcome.summary, "tool call");
                sink.send(Progress::ToolAnswer {
                    name: quote_for_model(&call.name),
                    summary: quote_for_model(&outcome.summary),
                    refused: outcome.refused,
                })
                .await;
                results.push(outcome.result);
            }
            messages.push(Message::Assistant {
                text: turn.text,
                tool_calls: turn.tool_calls,
            });
            messages.push(Message::ToolResults(results));
        }
    }

    /// The answer in the structure, asking once more in JSON mode when the
    /// server has one and the answer was prose.
    async fn verdict(
        &self,
        text: &str,
        services: &[String],
        deadline: Instant,
        pass: &mut PassBudget,
        stats: &mut Stats,
        sink: &mut Sink<'_>,
    ) -> Verdict {
        let label = self.label();
        let first = answer::parse(text, services, &label);
        let restate = matches!(first, Verdict::Text(_))
            && self.config.provider == Provider::OpenAi
            && !text.trim().is_empty();
        if !restate {
            return first;
        }
        sink.send(Progress::Step(
            "the answer is prose: asking for it as JSON (JSON mode)".into(),
        ))
        .await;
        let request = self.request(
            &[Message::User(prompt::restate_as_json(text))],
            &[],
            true,
            self.config.limits.max_output_tokens,
        );
        match self.call(&request, deadline, pass, stats, sink).await {
            Ok(turn) => match answer::parse(&turn.text, services, &label) {
                structured @ Verdict::Structured(_) => structured,
                Verdict::Text(_) => first,
            },
            Err(failure) => {
                sink.send(Progress::Note(format!("no JSON restatement: {failure}")))
                    .await;
                first
            }
        }
    }

    /// A tiny request (no tools), for `doctor`: the time to its first token.
    /// Under the same two deadlines as a diagnosis, so that a failure names
    /// the one that fired: the first token's, or the whole answer's.
    pub async fn ping(&self) -> Result<Duration, ModelFailure> {
        let limits = self.config.limits;
        let deadline = Instant::now() + limits.total;
        let request = self.request(
            &[Message::User("Reply with the one word: ready".into())],
            &[],
            false,
            16,
        );
        let (tx, mut rx) = mpsc::channel(64);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let mut sink = Sink::new(&tx, self.config.key.clone());
        let mut stats = Stats::default();
        let mut pass = PassBudget::new(1 + limits.max_retries);
        let result = self
            .call(&request, deadline, &mut pass, &mut stats, &mut sink)
            .await;
        drop(sink);
        drop(tx);
        let _ = drain.await;
        result?;
        stats
            .first_token
            .ok_or_else(|| ModelFailure::Cut("an answer with no token at all".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::prompt_looks_cut;

    #[test]
    fn a_prompt_counted_far_below_its_size_looks_cut() {
        assert!(prompt_looks_cut(40_000, 2048), "Ollama's default context");
        assert!(!prompt_looks_cut(40_000, 9_000), "a plausible count");
        assert!(!prompt_looks_cut(2_000, 10), "too small to tell");
    }
}
