//! Names of enumerations (formats, layers, kinds, stages) are defined once, by `strum`
//! attributes on the enum; serde, `Display` and parsing all go through them.

/// Implements `Serialize`/`Deserialize` for a `strum` enum by its name (`IntoStaticStr` and
/// `FromStr`), so JSON, the command line and messages spell it the same way.
#[macro_export]
macro_rules! serde_by_name {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(<&'static str>::from(*self))
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|_| {
                    serde::de::Error::custom(format!("unknown {} {s:?}", stringify!($t)))
                })
            }
        }
    };
}

/// The hash mixer used wherever a well-spread 64-bit key is needed (sketch cells, MinHash
/// seeds, shuffles): splitmix64's finalizer, a cheap bijection of `u64`.
pub const fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
