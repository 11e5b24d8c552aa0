//! Which model to ask, where, with which key, and within which limits.

use std::fmt;
use std::time::Duration;

/// The two wire protocols spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Anthropic's Messages API.
    Anthropic,
    /// OpenAI's chat completions, and every server that speaks them.
    OpenAi,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::OpenAi => "openai",
        }
    }

    pub fn default_url(self) -> &'static str {
        match self {
            Self::Anthropic => super::anthropic::DEFAULT_URL,
            Self::OpenAi => super::openai::DEFAULT_URL,
        }
    }

    pub fn default_model(self) -> &'static str {
        match self {
            Self::Anthropic => "claude-sonnet-4-5",
            Self::OpenAi => "gpt-4o-mini",
        }
    }

    pub fn default_key_env(self) -> &'static str {
        match self {
            Self::Anthropic => "ANTHROPIC_API_KEY",
            Self::OpenAi => "OPENAI_API_KEY",
        }
    }
}

/// An API key. It has no `Display`, and its `Debug` shows nothing of it, so
/// it cannot slip into a log line, the screen or an error message by
/// formatting; [`ApiKey::redact`] scrubs it from text a server sent back.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_string();
        (!key.is_empty()).then_some(Self(key))
    }

    /// Only for the request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "[redacted key]")
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// Limits of one diagnosis and of the model's use over time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelLimits {
    /// Tool calls per diagnosis (refused ones count).
    pub max_steps: usize,
    /// From a request to the first piece of its answer.
    pub first_token: Duration,
    /// The whole investigation, retries and tool calls included.
    pub total: Duration,
    /// `max_tokens` of each call.
    pub max_output_tokens: u32,
    /// Requests per diagnosis (one per pass of the default story), retries included.
    pub calls_per_pass: u32,
    /// Requests in any rolling hour (a kiosk runs for days).
    pub calls_per_hour: u32,
    /// Bytes of one tool answer handed to the model.
    pub tool_answer_bytes: usize,
    /// Retries of one request (429 with retry-after, 529, 5xx, no connection).
    pub max_retries: u32,
}

impl Default for ModelLimits {
    fn default() -> Self {
        Self {
            max_steps: 8,
            first_token: Duration::from_secs(20),
            total: Duration::from_secs(90),
            max_output_tokens: 1500,
            calls_per_pass: 12,
            calls_per_hour: 60,
            tool_answer_bytes: 4000,
            max_retries: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub provider: Provider,
    pub model: String,
    /// Base URL of the API (`--agent-url`).
    pub url: String,
    pub key: Option<ApiKey>,
    pub limits: ModelLimits,
}

impl ModelConfig {
    /// "anthropic claude-sonnet-4-5": the pane's title.
    pub fn label(&self) -> String {
        format!("{} {}", self.provider.name(), self.model)
    }
}

/// Holds back the end of a stream of text until it is clear that the key
/// does not continue there: a key split across fragments is caught too.
#[derive(Debug, Default)]
pub struct KeyFilter {
    key: Option<ApiKey>,
    pending: String,
}

impl KeyFilter {
    pub fn new(key: Option<ApiKey>) -> Self {
        Self {
            key,
            pending: String::new(),
        }
    }

    /// The text that can be shown now.
    pub fn push(&mut self, fragment: &str) -> String {
        let Some(key) = &self.key else {
            return fragment.to_string();
        };
        self.pending.push_str(fragment);
        let redacted = key.redact(&self.pending);
        // Keep back what could be the start of the key.
        let keep = (1..key.len().min(redacted.len() + 1))
            .rev()
            .find(|&n| {
                redacted.is_char_boundary(redacted.len() - n)
                    && key.expose().starts_with(&redacted[redacted.len() - n..])
            })
            .unwrap_or(0);
        let split = redacted.len() - keep;
        self.pending = redacted[split..].to_string();
        redacted[..split].to_string()
    }

    /// The rest, at the end of the stream.
    pub fn flush(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        match &self.key {
            Some(key) => key.redact(&rest),
            None => rest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_nothing_of_the_key() {
        let key = ApiKey::new("sk-secret-123").unwrap();
        assert!(!format!("{key:?}").contains("secret"));
        assert!(ApiKey::new("  ").is_none());
    }

    #[test]
    fn a_key_split_across_fragments_never_shows() {
        let key = ApiKey::new("sk-XYZ-987").unwrap();
        let text = "the key is sk-XYZ-987, and again sk-XYZ-987!";
        for piece in 1..text.len() {
            let mut filter = KeyFilter::new(Some(key.clone()));
            let mut shown = String::new();
            let mut rest = text;
            while !rest.is_empty() {
                let mut end = piece.min(rest.len());
                while !rest.is_char_boundary(end) {
                    end += 1;
                }
                shown.push_str(&filter.push(&rest[..end]));
                rest = &rest[end..];
            }
            shown.push_str(&filter.flush());
            assert_eq!(
                shown, "the key is [redacted key], and again [redacted key]!",
                "pieces of {piece}"
            );
        }
    }
}
