//! The `[kiosk]` table of the chapters file: which faults the booth loop
//! rotates through, what it shows between passes, and when autoplay comes
//! back after a person stepped in.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de};

use super::chapter::{Target, duration, fault_spec, title};
use crate::cluster::{FaultKind, FaultSpec};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawKioskPlan")]
pub struct KioskPlan {
    /// One fault per pass, in turn; each replaces the script's own
    /// `inject_fault` kind and target for that pass.
    pub faults: Vec<KioskFault>,
    /// Whether the chapters file wrote `faults` (else every kind in turn):
    /// a kind the cluster cannot apply is then refused, where the default
    /// rotation leaves it out with a note.
    pub faults_written: bool,
    /// Shown between passes while the cluster is checked and healed.
    pub attract: Option<Attract>,
    /// After a person's last key, autoplay resumes by itself after this long.
    pub idle: Duration,
    /// Longest wait between passes for the cluster to be healthy again.
    pub heal_timeout: Duration,
}

/// The table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [kiosk] table")]
struct RawKioskPlan {
    #[serde(default, deserialize_with = "at_least_one_fault")]
    faults: Option<Vec<KioskFault>>,
    #[serde(default)]
    attract: Option<Attract>,
    #[serde(default = "default_idle", deserialize_with = "idle")]
    idle: Duration,
    #[serde(default = "default_heal_timeout", deserialize_with = "duration")]
    heal_timeout: Duration,
}

impl From<RawKioskPlan> for KioskPlan {
    fn from(raw: RawKioskPlan) -> Self {
        Self {
            faults_written: raw.faults.is_some(),
            faults: raw.faults.unwrap_or_else(every_kind),
            attract: raw.attract,
            idle: raw.idle,
            heal_timeout: raw.heal_timeout,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawKioskFault")]
pub struct KioskFault {
    pub fault: FaultSpec,
    pub target: Target,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a fault such as { kind = \"kill\" }")]
struct RawKioskFault {
    kind: FaultKind,
    cpus: Option<f64>,
    percent: Option<f64>,
    #[serde(default = "random")]
    target: Target,
}

impl TryFrom<RawKioskFault> for KioskFault {
    type Error = String;

    fn try_from(raw: RawKioskFault) -> Result<Self, String> {
        Ok(Self {
            fault: fault_spec(raw.kind, &[("cpus", raw.cpus), ("percent", raw.percent)])?,
            target: raw.target,
        })
    }
}

/// The chapter shown between passes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { title = \"Break a database\" }"
)]
pub struct Attract {
    #[serde(deserialize_with = "title")]
    pub title: String,
    #[serde(default)]
    pub narration: String,
    /// Shown at least this long, however quickly the cluster is healthy.
    #[serde(default = "default_attract_dwell", deserialize_with = "duration")]
    pub dwell: Duration,
}

fn every_kind() -> Vec<KioskFault> {
    FaultKind::ALL
        .iter()
        .map(|&kind| KioskFault {
            fault: kind.into(),
            target: Target::Random,
        })
        .collect()
}

fn random() -> Target {
    Target::Random
}

fn default_idle() -> Duration {
    Duration::from_secs(120)
}

/// The shortest `idle`: below it autoplay takes the show back before a
/// person has read the screen, and at 0 nobody can ever step in.
pub const MIN_IDLE: Duration = Duration::from_secs(5);

fn idle<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let idle = duration(d)?;
    if idle < MIN_IDLE {
        return Err(de::Error::custom(format!(
            "{}s is shorter than {}s, too soon for a person to step in",
            idle.as_secs_f64(),
            MIN_IDLE.as_secs()
        )));
    }
    Ok(idle)
}

fn at_least_one_fault<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<KioskFault>>, D::Error> {
    let faults = Vec::deserialize(d)?;
    if faults.is_empty() {
        return Err(de::Error::custom(
            "expected at least one fault, such as { kind = \"kill\" }",
        ));
    }
    Ok(Some(faults))
}

fn default_heal_timeout() -> Duration {
    Duration::from_secs(120)
}

fn default_attract_dwell() -> Duration {
    Duration::from_secs(10)
}

impl Default for KioskPlan {
    fn default() -> Self {
        Self {
            faults: every_kind(),
            faults_written: false,
            attract: None,
            idle: default_idle(),
            heal_timeout: default_heal_timeout(),
        }
    }
}

impl KioskPlan {
    /// Leaves out of the default rotation the kinds `keep` refuses, and
    /// returns them; a rotation the chapters file wrote is kept as written
    /// (and refused whole if it asks for what the cluster cannot do).
    pub fn leave_out(&mut self, keep: impl Fn(FaultKind) -> bool) -> Vec<FaultKind> {
        if self.faults_written {
            return Vec::new();
        }
        let mut left_out = Vec::new();
        self.faults.retain(|f| {
            let kept = keep(f.fault.kind());
            if !kept {
                left_out.push(f.fault.kind());
            }
            kept
        });
        if self.faults.is_empty() {
            // Nothing left to rotate through: keep the refusal honest.
            self.faults = every_kind();
            return Vec::new();
        }
        left_out
    }

    /// The fault of pass `pass` (from 1).
    pub fn fault_for(&self, pass: u32) -> Option<&KioskFault> {
        let len = self.faults.len();
        (len > 0).then(|| &self.faults[(pass.saturating_sub(1) as usize) % len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::parse_script;

    #[test]
    fn without_a_table_every_kind_takes_its_turn() {
        let script = parse_script("[[chapter]]\ntitle = 'a'\n", "t").unwrap();
        let kinds: Vec<FaultKind> = (1..=7)
            .map(|pass| script.kiosk.fault_for(pass).unwrap().fault.kind())
            .collect();
        use FaultKind::*;
        assert_eq!(kinds, [Kill, Stop, Pause, Partition, Slow, Loss, Kill]);
        assert_eq!(script.kiosk.idle, Duration::from_secs(120));
    }

    #[test]
    fn only_the_default_rotation_leaves_out_what_the_cluster_cannot_do() {
        let mut plan = parse_script("[[chapter]]\ntitle = 'a'\n", "t")
            .unwrap()
            .kiosk;
        assert!(!plan.faults_written);
        let left = plan.leave_out(|k| !matches!(k, FaultKind::Slow | FaultKind::Loss));
        assert_eq!(left, [FaultKind::Slow, FaultKind::Loss]);
        assert_eq!(plan.faults.len(), FaultKind::ALL.len() - 2);
        let text = "[kiosk]\nfaults = [{ kind = 'slow' }]\n[[chapter]]\ntitle = 'a'\n";
        let mut written = parse_script(text, "t").unwrap().kiosk;
        assert!(written.faults_written);
        assert!(written.leave_out(|_| false).is_empty());
        assert_eq!(written.faults.len(), 1);
    }

    #[test]
    fn the_table_names_faults_targets_attract_and_idle() {
        let text = r#"
[kiosk]
faults = [{ kind = "pause", target = "tikv1" }, { kind = "kill" }]
idle = "45s"

[kiosk.attract]
title = "Come and break a database"
narration = "Press any key to take over."
dwell = "20s"

[[chapter]]
title = "a"
"#;
        let plan = parse_script(text, "t").unwrap().kiosk;
        assert_eq!(plan.faults.len(), 2);
        assert_eq!(
            plan.fault_for(1).unwrap().target,
            Target::Service("tikv1".into())
        );
        assert_eq!(plan.fault_for(2).unwrap().target, Target::Random);
        assert_eq!(plan.idle, Duration::from_secs(45));
        let attract = plan.attract.unwrap();
        assert_eq!(attract.dwell, Duration::from_secs(20));
        assert!(
            parse_script(
                "[kiosk]\nfaults = [{ kind = 'nuke' }]\n[[chapter]]\ntitle='a'\n",
                "t"
            )
            .is_err()
        );
    }

    #[test]
    fn an_idle_below_five_seconds_is_refused_where_it_is_written() {
        for idle in ["0", "'0s'", "4.999", "'4s'"] {
            let text = format!("[[chapter]]\ntitle = 'a'\n[kiosk]\nidle = {idle}\n");
            let e = parse_script(&text, "t").unwrap_err();
            assert_eq!((e.line, e.column), (Some(4), Some(8)), "{e}");
            assert!(e.detail.contains("idle: "), "{e}");
            assert!(e.detail.contains("shorter than 5s"), "{e}");
        }
        let text = "[[chapter]]\ntitle = 'a'\n[kiosk]\nidle = '5s'\n";
        assert_eq!(parse_script(text, "t").unwrap().kiosk.idle, MIN_IDLE);
    }

    #[test]
    fn no_faults_and_a_blank_attract_title_are_refused_where_they_are_written() {
        let e = parse_script("[kiosk]\nfaults = []\n[[chapter]]\ntitle = 'a'\n", "t").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(10)), "{e}");
        assert!(
            e.detail.contains("faults: expected at least one fault"),
            "{e}"
        );
        let e = parse_script(
            "[kiosk.attract]\ntitle = ' '\n[[chapter]]\ntitle = 'a'\n",
            "t",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(9)), "{e}");
        assert!(e.detail.contains("title: a title cannot be blank"), "{e}");
    }
}
