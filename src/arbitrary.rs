//! Proptest strategies shared by the property tests of the parsers of untrusted input: text
//! seeded with the words a parser reacts to, and arbitrary JSON.

use proptest::prelude::*;
use serde_json::Value;

/// Text made of `words` (so that generated input reaches the parser's branches), arbitrary
/// unicode, and whitespace.
pub(crate) fn text_with(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(words).prop_map(str::to_owned),
        2 => any::<String>(),
        1 => "[ \t\n]{1,3}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.join(" "))
}

/// Any JSON value, a few levels deep, whose strings and keys are drawn from `words` or are
/// arbitrary.
pub(crate) fn json_with(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let string = prop_oneof![
        proptest::sample::select(words).prop_map(str::to_owned),
        any::<String>(),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        string.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(string.clone(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}
