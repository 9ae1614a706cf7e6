//! JSON numbers that may be undefined. serde_json writes NaN (an undefined figure: a recovery
//! rate without defaults) as `null`; these read it back as NaN, for `#[serde(deserialize_with)]`
//! on the `f64` fields of everything a result folder's JSON holds.

/// Reads a JSON number that may be `null` (how serde_json writes NaN, an undefined figure) as
/// NaN: for `#[serde(deserialize_with)]` on every `f64` a summary may leave undefined.
pub fn nan_if_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    use serde::Deserialize;
    Option::<f64>::deserialize(deserializer).map(|v| v.unwrap_or(f64::NAN))
}

/// As [`nan_if_null`], for a pair (an interval).
pub fn nan_pair_if_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<(f64, f64), D::Error> {
    use serde::Deserialize;
    <(Option<f64>, Option<f64>)>::deserialize(deserializer)
        .map(|(a, b)| (a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)))
}
