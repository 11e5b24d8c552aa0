//! The only actions an agent may recommend: start, unpause or reconnect one
//! named service of this cluster. Anything else is refused, shown as
//! refused, and never executed.

use super::diagnosis::RecommendedAction;
pub use super::opinion::RefusedAction;
use crate::cluster::Recovery;
use crate::text::quote_for_model;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCheck {
    /// Nothing recommended.
    Nothing,
    Allowed(RecommendedAction),
    Refused(RefusedAction),
}

/// The only actions an analyzer may recommend: the catalogue's recoveries.
pub const ALLOWED: &[Recovery] = &Recovery::ALL;

/// Checks a recommendation: `verb` as the agent wrote it (it may carry the
/// service too, "start tikv1"), `service` when given apart.
pub fn check(verb: &str, service: Option<&str>, services: &[String]) -> ActionCheck {
    let verb = verb.trim();
    let service = service.map(str::trim).filter(|s| !s.is_empty());
    let mut words = verb.split_whitespace();
    let first = words.next().unwrap_or_default().to_ascii_lowercase();
    let rest: Vec<&str> = words.collect();
    let asked = || {
        let mut text = verb.to_string();
        if let Some(s) = service {
            if !verb.contains(s) {
                text.push(' ');
                text.push_str(s);
            }
        }
        quote_for_model(&text)
    };
    if matches!(
        first.as_str(),
        "" | "none" | "null" | "nothing" | "no_action"
    ) && rest.is_empty()
    {
        return ActionCheck::Nothing;
    }
    let Some(recovery) = ALLOWED.iter().copied().find(|r| r.name() == first) else {
        return ActionCheck::Refused(RefusedAction {
            asked: asked(),
            why: "not in the allowlist (start, unpause, reconnect)".into(),
        });
    };
    let named = match (service, rest.as_slice()) {
        (Some(s), []) => s,
        (None, [s]) => s,
        (Some(s), [t]) if s == *t => s,
        (None, []) => {
            return ActionCheck::Refused(RefusedAction {
                asked: asked(),
                why: "names no service".into(),
            });
        }
        _ => {
            return ActionCheck::Refused(RefusedAction {
                asked: asked(),
                why: "one recovery of one named service only".into(),
            });
        }
    };
    if !services.iter().any(|s| s == named) {
        return ActionCheck::Refused(RefusedAction {
            asked: asked(),
            why: format!(
                "{} is not a service of this cluster",
                quote_for_model(named)
            ),
        });
    }
    ActionCheck::Allowed(RecommendedAction {
        recovery,
        service: named.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Vec<String> {
        vec!["pd0".into(), "tikv0".into(), "tikv1".into()]
    }

    #[test]
    fn the_three_recoveries_of_a_known_service_pass() {
        assert_eq!(
            check("unpause", Some("tikv1"), &services()),
            ActionCheck::Allowed(RecommendedAction {
                recovery: Recovery::Unpause,
                service: "tikv1".into()
            })
        );
        assert!(matches!(
            check("Start tikv0", None, &services()),
            ActionCheck::Allowed(_)
        ));
        assert!(matches!(
            check("reconnect pd0", Some("pd0"), &services()),
            ActionCheck::Allowed(_)
        ));
        assert_eq!(check("none", None, &services()), ActionCheck::Nothing);
        assert_eq!(check("", None, &services()), ActionCheck::Nothing);
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        for (verb, service, why) in [
            ("restart", Some("tikv1"), "not in the allowlist"),
            ("docker rm -f tikv1", None, "not in the allowlist"),
            ("start", Some("tikv9"), "not a service of this cluster"),
            ("start", None, "names no service"),
            (
                "start tikv0 tikv1",
                None,
                "one recovery of one named service only",
            ),
        ] {
            match check(verb, service, &services()) {
                ActionCheck::Refused(refused) => {
                    assert!(refused.why.contains(why), "{verb}: {refused:?}")
                }
                other => panic!("{verb} {service:?} passed: {other:?}"),
            }
        }
    }

    #[test]
    fn a_refused_name_is_cleaned_for_the_screen() {
        let ActionCheck::Refused(refused) = check("rm\u{1b}[2J -rf /", None, &services()) else {
            panic!("passed")
        };
        assert!(!refused.asked.contains('\u{1b}'), "{refused:?}");
    }
}
