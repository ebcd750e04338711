//! Strict reading of the objects users write (snapshots, the config, rule files): an object
//! must be written as an object, never in serde's sequence form (`["…", null, [...]]` for a
//! struct), and an unknown key gets a "did you mean" from the keys that exist.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// A `T` that was written as an object (a JSON object, a TOML table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object(deserializer).map(Object)
    }
}

/// Deserializes a `T` only from an object (for `#[serde(deserialize_with = "object")]`).
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectVisitor<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

/// Deserializes a list of objects (for `deserialize_with`).
pub(crate) fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Vec::<Object<T>>::deserialize(deserializer).map(|list| list.into_iter().map(|o| o.0).collect())
}

/// Deserializes an optional object (for `deserialize_with`, beside `default`).
pub(crate) fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Object<T>>::deserialize(deserializer).map(|o| o.map(|o| o.0))
}

/// Deserializes an optional list of objects (for `deserialize_with`, beside `default`).
pub(crate) fn optional_objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<Object<T>>>::deserialize(deserializer)
        .map(|list| list.map(|list| list.into_iter().map(|o| o.0).collect()))
}

/// serde's message for an unknown key (`unknown field `x`, expected one of `a`, `b``), with
/// the key meant when one is close: the same letters in another case, a spelling one or two
/// edits away (`AlternateContact` → `AlternateContacts`), or the start of one (`email` →
/// `email_address`).
pub(crate) fn suggest_key(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let expected = expected.trim_start_matches(", expected ");
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let closest = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(unknown))
        .or_else(|| {
            known
                .iter()
                .map(|k| (strsim::levenshtein(k, unknown), k))
                .filter(|(distance, _)| *distance <= 2)
                .min_by_key(|(distance, _)| *distance)
                .map(|(_, k)| k)
        })
        .or_else(|| {
            let lower = unknown.to_ascii_lowercase();
            known
                .iter()
                .find(|k| lower.len() >= 4 && k.to_ascii_lowercase().starts_with(&lower))
        });
    match closest {
        Some(key) => {
            format!("unknown key `{unknown}`: did you mean `{key}`? (expected {expected})")
        }
        None => format!("unknown key `{unknown}`; expected {expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Pair {
        a: u8,
        b: u8,
    }

    #[test]
    fn objects_are_read_and_sequences_refused() {
        let read: Object<Pair> = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        assert_eq!(read.0, Pair { a: 1, b: 2 });
        let error = serde_json::from_str::<Object<Pair>>("[1, 2]").unwrap_err();
        assert!(error.to_string().contains("expected an object"), "{error}");
        #[derive(Debug, serde::Deserialize)]
        struct Root {
            pairs: Vec<Object<Pair>>,
        }
        let error = toml::from_str::<Root>("pairs = [[1, 2]]").unwrap_err();
        assert!(error.to_string().contains("expected an object"), "{error}");
        let root = toml::from_str::<Root>("pairs = [{ a = 1, b = 2 }]").unwrap();
        assert_eq!(root.pairs, [Object(Pair { a: 1, b: 2 })]);
    }

    #[test]
    fn unknown_keys_get_the_key_meant() {
        let suggest = |message: &str| suggest_key(message);
        assert_eq!(
            suggest("unknown field `AlternateContact`, expected one of `Id`, `AlternateContacts`"),
            "unknown key `AlternateContact`: did you mean `AlternateContacts`? (expected one of `Id`, `AlternateContacts`)"
        );
        assert!(
            suggest("unknown field `emailAddress`, expected one of `Name`, `EmailAddress`")
                .contains("did you mean `EmailAddress`?")
        );
        assert_eq!(
            suggest("unknown field `zzz`, expected `a` or `b`"),
            "unknown key `zzz`; expected `a` or `b`"
        );
        assert!(
            suggest("unknown field `email`, expected one of `name`, `email_address`")
                .contains("did you mean `email_address`?")
        );
        assert_eq!(suggest("missing field `Id`"), "missing field `Id`");
    }
}
