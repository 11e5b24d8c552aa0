//! PD's bodies decoded leniently: a list whose entries do not all read (an
//! id above 2^64, a negative count, a string where a number belongs) keeps
//! the entries that do, and says which were skipped and why. The envelope
//! itself must be JSON of the right shape.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::api::{MemberHealth, MemberInfo, MembersResponse, RegionsResponse, StoresResponse};
use crate::text::excerpt;

/// A decoded body and the entries left out of it, each with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Lenient<T> {
    pub value: T,
    pub skipped: Vec<String>,
}

/// Entries of a list, one by one; `what` names them in notes (`store`).
fn entries<T: DeserializeOwned>(
    raw: &[&RawValue],
    what: &str,
    skipped: &mut Vec<String>,
) -> Vec<T> {
    raw.iter()
        .enumerate()
        .filter_map(
            |(index, entry)| match serde_json::from_str::<T>(entry.get()) {
                Ok(value) => Some(value),
                Err(err) => {
                    skipped.push(format!(
                        "{what} #{} ({}) skipped: {}",
                        index + 1,
                        identify(entry),
                        reason(&err)
                    ));
                    None
                }
            },
        )
        .collect()
}

/// An optional field that may not read: None and a note when it does not.
fn field<T: DeserializeOwned>(
    raw: Option<&RawValue>,
    what: &str,
    skipped: &mut Vec<String>,
) -> Option<T> {
    let raw = raw?;
    match serde_json::from_str::<Option<T>>(raw.get()) {
        Ok(value) => value,
        Err(err) => {
            skipped.push(format!("{what} ignored: {}", reason(&err)));
            None
        }
    }
}

/// What names an entry in a note: its id (or member id) as written, when
/// the entry has one that can be found, else its first characters.
fn identify(entry: &RawValue) -> String {
    #[derive(Deserialize)]
    struct Ids<'a> {
        #[serde(borrow, default)]
        id: Option<&'a RawValue>,
        #[serde(borrow, default)]
        member_id: Option<&'a RawValue>,
        #[serde(borrow, default)]
        store: Option<&'a RawValue>,
    }
    let id_of = |raw: &str| -> Option<String> {
        let ids: Ids = serde_json::from_str(raw).ok()?;
        ids.id
            .or(ids.member_id)
            .map(|id| format!("id {}", excerpt(id.get(), 30)))
            .or_else(|| {
                let inner: Ids = serde_json::from_str(ids.store?.get()).ok()?;
                Some(format!("id {}", excerpt(inner.id?.get(), 30)))
            })
    };
    id_of(entry.get()).unwrap_or_else(|| excerpt(entry.get(), 30))
}

/// serde_json's message without its position: entries are quoted by number.
pub fn reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let text = text.strip_suffix(&suffix).unwrap_or(&text);
    // An integer beyond u64 is read as a float first; say what it means.
    if text.starts_with("invalid type: floating point") && text.ends_with("expected u64") {
        return format!("a number that is not a whole number from 0 to {}", u64::MAX);
    }
    excerpt(text, 160)
}

/// `GET /stores`.
pub fn stores(body: &str) -> Result<Lenient<StoresResponse>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        count: Option<&'a RawValue>,
        #[serde(borrow, default)]
        stores: Option<Vec<&'a RawValue>>,
    }
    let envelope: Envelope = serde_json::from_str(body)?;
    let mut skipped = Vec::new();
    let value = StoresResponse {
        count: field(envelope.count, "the store count", &mut skipped),
        stores: envelope
            .stores
            .map(|raw| entries(&raw, "store", &mut skipped)),
    };
    Ok(Lenient { value, skipped })
}

/// `GET /regions` and its checks.
pub fn regions(body: &str) -> Result<Lenient<RegionsResponse>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        count: Option<&'a RawValue>,
        #[serde(borrow, default)]
        regions: Option<Vec<&'a RawValue>>,
    }
    let envelope: Envelope = serde_json::from_str(body)?;
    let mut skipped = Vec::new();
    let value = RegionsResponse {
        count: field(envelope.count, "the region count", &mut skipped),
        regions: envelope
            .regions
            .map(|raw| entries(&raw, "region", &mut skipped)),
    };
    Ok(Lenient { value, skipped })
}

/// `GET /members`.
pub fn members(body: &str) -> Result<Lenient<MembersResponse>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        members: Option<Vec<&'a RawValue>>,
        #[serde(borrow, default)]
        leader: Option<&'a RawValue>,
        #[serde(borrow, default)]
        etcd_leader: Option<&'a RawValue>,
    }
    let envelope: Envelope = serde_json::from_str(body)?;
    let mut skipped = Vec::new();
    let value = MembersResponse {
        members: envelope
            .members
            .map(|raw| entries::<MemberInfo>(&raw, "PD member", &mut skipped)),
        leader: field(envelope.leader, "the PD leader", &mut skipped),
        etcd_leader: field(envelope.etcd_leader, "the etcd leader", &mut skipped),
    };
    Ok(Lenient { value, skipped })
}

/// `GET /health`: a bare list.
pub fn health(body: &str) -> Result<Lenient<Vec<MemberHealth>>, serde_json::Error> {
    let raw: Vec<&RawValue> = serde_json::from_str(body)?;
    let mut skipped = Vec::new();
    let value = entries(&raw, "health entry", &mut skipped);
    Ok(Lenient { value, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_store_is_skipped_and_named() {
        let body = r#"{"count": 3, "stores": [
            {"store": {"id": 1, "address": "a:1"}},
            {"store": {"id": 18446744073709551616, "address": "b:1"}},
            {"store": {"id": 3, "address": "c:1"}, "status": {"leader_count": -2}}
        ]}"#;
        let decoded = stores(body).unwrap();
        let ids: Vec<_> = decoded
            .value
            .stores
            .iter()
            .flatten()
            .map(|s| s.store.as_ref().and_then(|m| m.id))
            .collect();
        assert_eq!(ids, vec![Some(1)]);
        assert_eq!(decoded.skipped.len(), 2, "{:?}", decoded.skipped);
        assert!(
            decoded.skipped[0].starts_with("store #2 (id 18446744073709551616) skipped: "),
            "{}",
            decoded.skipped[0]
        );
        assert!(
            decoded.skipped[1].starts_with("store #3 (id 3) skipped: invalid value: integer `-2`"),
            "{}",
            decoded.skipped[1]
        );
        assert_eq!(decoded.value.count, Some(3));
    }

    #[test]
    fn ids_above_two_to_the_63_are_kept_exactly() {
        let decoded = stores(r#"{"stores": [{"store": {"id": 18446744073709551615}}]}"#).unwrap();
        let id = decoded.value.stores.unwrap()[0].store.as_ref().unwrap().id;
        assert_eq!(id, Some(u64::MAX));
    }

    #[test]
    fn a_bad_count_is_ignored_and_said() {
        let decoded = regions(r#"{"count": -1, "regions": [{"id": 2}]}"#).unwrap();
        assert_eq!(decoded.value.count, None);
        assert_eq!(decoded.value.regions.unwrap().len(), 1);
        assert_eq!(decoded.skipped.len(), 1);
        assert!(
            decoded.skipped[0].starts_with("the region count ignored"),
            "{:?}",
            decoded.skipped
        );
    }

    #[test]
    fn the_envelope_must_be_right() {
        assert!(stores("").is_err());
        assert!(stores("[1, 2]").is_err());
        assert!(stores(r#"{"stores": 5}"#).is_err());
        assert!(health(r#"{"name": "pd0"}"#).is_err());
        assert!(stores("{}").unwrap().value.stores.is_none());
    }
}
