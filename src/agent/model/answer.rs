//! The model's answer read back into the built-in analyzer's structure.
//! Pure and lenient about form (a JSON object, possibly in a code fence or
//! after a sentence; numbers or strings; a list or one string), strict about
//! meaning: the action goes through the allowlist, every string is cleaned.

use std::time::Duration;

use serde_json::Value;

use crate::agent::allowlist::{self, ActionCheck};
use crate::agent::diagnosis::{Alternative, Diagnosis, FaultClass, RootCause};
use crate::agent::diagnosis::{ModelDiagnosis, Verdict};
use crate::text::quote_for_model;

/// Longest string kept from the answer, and most items of a list.
const MAX_TEXT: usize = 300;
const MAX_ITEMS: usize = 12;

/// Reads `text` as a diagnosis by `analyzer`; as text when it does not
/// follow the structure.
pub fn parse(text: &str, services: &[String], analyzer: &str) -> Verdict {
    match json_object(text).and_then(|v| structured(&v, services, analyzer)) {
        Some(diagnosis) => Verdict::Structured(Box::new(diagnosis)),
        None => Verdict::Text(
            text.lines()
                .map(quote_for_model)
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    }
}

/// The first JSON object in the text: all of it, a fenced block, or the
/// span from the first `{` to the last `}`.
pub fn json_object(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    let mut candidates = vec![trimmed.to_string()];
    if let Some(start) = trimmed.find("```") {
        let after = &trimmed[start + 3..];
        let after = after.strip_prefix("json").unwrap_or(after);
        if let Some(end) = after.find("```") {
            candidates.push(after[..end].to_string());
        }
    }
    if let (Some(start), Some(end)) = (trimmed.find('{'), trimmed.rfind('}')) {
        if start < end {
            candidates.push(trimmed[start..=end].to_string());
        }
    }
    candidates
        .iter()
        .filter_map(|c| serde_json::from_str::<Value>(c.trim()).ok())
        .find(Value::is_object)
}

/// The class as the model named it, leniently; `None` for "no incident".
pub fn class_of(name: &str) -> Option<FaultClass> {
    FaultClass::named(name)
}

fn structured(v: &Value, services: &[String], analyzer: &str) -> Option<ModelDiagnosis> {
    let cause = v.get("root_cause")?;
    let (class_name, service, summary, confidence) = match cause {
        Value::Object(_) => (
            text_of(&cause["class"]).unwrap_or_default(),
            text_of(&cause["service"]),
            text_of(&cause["summary"]).unwrap_or_default(),
            confidence_of(&cause["confidence"]),
        ),
        // "root_cause": "process_crash" at least names a class.
        Value::String(s) => (s.clone(), None, String::new(), None),
        _ => return None,
    };
    let class = class_of(&class_name);
    let no_incident = class.is_none();
    let service = service
        .filter(|s| {
            !matches!(
                s.to_ascii_lowercase().as_str(),
                "" | "null" | "none" | "n/a"
            )
        })
        .filter(|_| !no_incident);
    let (action_verb, action_service) = match v.get("recommended_action") {
        Some(Value::Object(a)) => (
            a.get("action").and_then(text_of).unwrap_or_default(),
            a.get("service").and_then(text_of),
        ),
        Some(other) => (text_of(other).unwrap_or_default(), None),
        None => (String::new(), None),
    };
    let (action, refused_action) =
        match allowlist::check(&action_verb, action_service.as_deref(), services) {
            ActionCheck::Nothing => (None, None),
            ActionCheck::Allowed(action) => (Some(action), None),
            ActionCheck::Refused(refused) => (None, Some(refused)),
        };
    let diagnosis = Diagnosis {
        analyzer: analyzer.to_string(),
        timeline: timeline_of(v.get("timeline")),
        root_cause: RootCause {
            class: class.unwrap_or(FaultClass::Unknown),
            service: service.map(|s| quote_for_model(&s)),
            summary: short(&summary),
            confidence: confidence.unwrap_or(0.0),
        },
        alternatives: list_of(v.get("alternatives"))
            .iter()
            .filter_map(|a| match a {
                Value::Object(_) => Some(Alternative {
                    hypothesis: short(&text_of(&a["hypothesis"]).unwrap_or_default()),
                    evidence_for: strings_of(a.get("evidence_for")),
                    evidence_against: strings_of(a.get("evidence_against")),
                }),
                other => text_of(other).map(|h| Alternative {
                    hypothesis: short(&h),
                    evidence_for: vec![],
                    evidence_against: vec![],
                }),
            })
            .collect(),
        impact: strings_of(v.get("impact")),
        action,
        risks: strings_of(v.get("risks")),
        second_opinion: None,
    };
    Some(ModelDiagnosis {
        diagnosis,
        no_incident,
        confidence_given: confidence.is_some(),
        refused_action,
    })
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn short(s: &str) -> String {
    let line = quote_for_model(s);
    if line.chars().count() <= MAX_TEXT {
        line
    } else {
        let mut cut: String = line.chars().take(MAX_TEXT - 1).collect();
        cut.push('…');
        cut
    }
}

/// 0 to 1; a percentage (or "80%") is read as one.
fn confidence_of(v: &Value) -> Option<f32> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok()?,
        _ => return None,
    };
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let n = if n > 1.0 { n / 100.0 } else { n };
    Some(n.clamp(0.0, 1.0) as f32)
}

fn list_of(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(items)) => items.iter().take(MAX_ITEMS).cloned().collect(),
        Some(Value::Null) | None => vec![],
        Some(one) => vec![one.clone()],
    }
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    list_of(v)
        .iter()
        .filter_map(text_of)
        .map(|s| short(&s))
        .filter(|s| !s.is_empty())
        .collect()
}

fn timeline_of(v: Option<&Value>) -> Vec<(Duration, String)> {
    let mut last = Duration::ZERO;
    list_of(v)
        .iter()
        .filter_map(|item| {
            let (at, what) = match item {
                Value::Object(o) => (
                    o.get("at").or(o.get("time")),
                    o.get("event").or(o.get("what")).and_then(text_of)?,
                ),
                other => (None, text_of(other)?),
            };
            match at.and_then(time_of) {
                Some(t) => last = t,
                None => {
                    if let Some(raw) = at.and_then(text_of) {
                        return Some((last, short(&format!("{raw}: {what}"))));
                    }
                }
            }
            Some((last, short(&what)))
        })
        .collect()
}

/// Show time as `mm:ss.s`, `h:mm:ss`, `12.3s`, `T+12.3s` or seconds.
pub fn time_of(v: &Value) -> Option<Duration> {
    let seconds = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let s = s.trim().trim_start_matches("T+").trim_end_matches('s');
            let mut total = 0.0;
            for part in s.split(':') {
                total = total * 60.0 + part.trim().parse::<f64>().ok()?;
            }
            total
        }
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Recovery;

    fn services() -> Vec<String> {
        vec!["tikv0".into(), "tikv1".into(), "tikv2".into()]
    }

    fn structured_of(text: &str) -> ModelDiagnosis {
        match parse(text, &services(), "m") {
            Verdict::Structured(d) => *d,
            Verdict::Text(t) => panic!("read as text: {t}"),
        }
    }

    #[test]
    fn a_fenced_answer_after_a_sentence_is_read_whole() {
        let answer = structured_of(
            "Here is my analysis:\n```json\n{\"timeline\":[{\"at\":\"00:33.1\",\"event\":\"tikv1 died (137)\"},{\"at\":\"bogus\",\"event\":\"later\"}],\
             \"root_cause\":{\"class\":\"process_crash\",\"service\":\"tikv1\",\"summary\":\"killed\",\"confidence\":\"85%\"},\
             \"alternatives\":[{\"hypothesis\":\"graceful stop\",\"evidence_for\":[],\"evidence_against\":\"exit 137\"}],\
             \"impact\":\"21 regions leaderless\",\"recommended_action\":{\"action\":\"start\",\"service\":\"tikv1\"},\"risks\":[]}\n```",
        );
        let d = &answer.diagnosis;
        assert_eq!(d.root_cause.class, FaultClass::ProcessCrash);
        assert_eq!(d.root_cause.service.as_deref(), Some("tikv1"));
        assert!((d.root_cause.confidence - 0.85).abs() < 1e-6);
        assert_eq!(d.timeline[0].0, Duration::from_millis(33_100));
        assert_eq!(
            d.timeline[1],
            (Duration::from_millis(33_100), "bogus: later".into())
        );
        assert_eq!(d.alternatives[0].evidence_against, ["exit 137"]);
        assert_eq!(d.impact, ["21 regions leaderless"]);
        assert_eq!(d.action.as_ref().unwrap().recovery, Recovery::Start);
        assert!(answer.refused_action.is_none());
    }

    #[test]
    fn an_action_outside_the_allowlist_is_kept_apart_and_never_the_action() {
        let answer = structured_of(
            r#"{"root_cause":{"class":"frozen","service":"tikv2","confidence":0.7},
                "recommended_action":{"action":"docker restart","service":"tikv2"}}"#,
        );
        assert_eq!(answer.diagnosis.action, None);
        let refused = answer.refused_action.unwrap();
        assert_eq!(refused.asked, "docker restart tikv2");
        assert!(refused.why.contains("allowlist"));
    }

    #[test]
    fn no_incident_names_no_service() {
        let answer = structured_of(
            r#"{"root_cause":{"class":"no_incident","service":"tikv0","summary":"all well","confidence":0.9},"recommended_action":"none"}"#,
        );
        assert!(answer.no_incident);
        assert_eq!(answer.diagnosis.root_cause.service, None);
        assert_eq!(answer.diagnosis.action, None);
    }

    #[test]
    fn prose_is_shown_as_text_cleaned() {
        match parse("tikv1 looks dead.\n\u{1b}[31mRestart it.", &services(), "m") {
            Verdict::Text(t) => assert_eq!(t, "tikv1 looks dead.\nRestart it."),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("{\"foo\": 1}", &services(), "m"),
            Verdict::Text(_)
        ));
    }

    #[test]
    fn times_in_every_form_the_prompt_allows() {
        assert_eq!(
            time_of(&Value::from("01:02.5")),
            Some(Duration::from_millis(62_500))
        );
        assert_eq!(
            time_of(&Value::from("T+12.5s")),
            Some(Duration::from_millis(12_500))
        );
        assert_eq!(time_of(&Value::from(7)), Some(Duration::from_secs(7)));
        assert_eq!(
            time_of(&Value::from("1:00:00")),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(time_of(&Value::from("soon")), None);
    }
}
