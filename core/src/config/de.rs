//! A serde `Deserializer` over the located YAML tree. Every error it returns carries the
//! dotted path and position of the node it concerns, which serde's own errors cannot.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};

use super::tree::{Entry, Node, NodeKind, Pos, Scalar, child_key, is_null_text};

/// Where an error happened, and which node to drop so a retry can find the next error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At {
    pub path: String,
    pub pos: Pos,
    pub node: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeError {
    pub message: String,
    /// Set for serde's "missing field": the error then sits on the mapping that lacks it.
    pub missing_field: Option<String>,
    pub at: Option<At>,
}

impl DeError {
    fn at(mut self, path: &str, pos: Pos, node: usize) -> Self {
        if self.at.is_none() {
            self.at = Some(At {
                path: path.to_owned(),
                pos,
                node,
            });
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            missing_field: None,
            at: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            message: format!("missing field `{field}`"),
            missing_field: Some(field.to_owned()),
            at: None,
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        match unexp {
            Unexpected::Unit => Self::custom(format!("invalid type: empty value, expected {exp}")),
            other => Self::custom(format!("invalid type: {other}, expected {exp}")),
        }
    }
}

/// Deserializes one node; `path` is its dotted path from the root (`channels[1].stock`).
pub(crate) struct NodeDe<'a> {
    pub node: &'a Node,
    pub path: String,
}

impl<'a> NodeDe<'a> {
    fn fail(&self, e: DeError) -> DeError {
        e.at(&self.path, self.node.start, self.node.id)
    }

    fn empty_map<'de, V: Visitor<'de>>(&self, visitor: V) -> Result<V::Value, DeError> {
        let access = MapAcc {
            entries: [].iter(),
            current: None,
            path: &self.path,
        };
        visitor.visit_map(access).map_err(|e| self.fail(e))
    }
}

/// What a plain scalar means under the YAML 1.2 core schema.
enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a str),
}

fn resolve(s: &Scalar) -> Resolved<'_> {
    let t = s.text.as_str();
    if !s.plain {
        return Resolved::Str(t);
    }
    if is_null_text(t) {
        return Resolved::Null;
    }
    match t {
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = t.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).map_or(Resolved::Str(t), Resolved::UInt);
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).map_or(Resolved::Str(t), Resolved::UInt);
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = t.parse::<i64>() {
            return Resolved::Int(i);
        }
        if let Ok(u) = t.parse::<u64>() {
            return Resolved::UInt(u);
        }
        return Resolved::Str(t);
    }
    if is_float(digits)
        && let Ok(f) = t.parse::<f64>()
    {
        return Resolved::Float(f);
    }
    Resolved::Str(t)
}

/// `1.5`, `.5`, `1.`, `1e3`, `1.5E-3`: the core schema's float shape (sign already removed).
fn is_float(t: &str) -> bool {
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = (!int.is_empty() || !frac.is_empty()) && digits(int) && digits(frac);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok && (mantissa.contains('.') || exponent.is_some())
}

impl<'de, 'a> de::Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Scalar(s) => match resolve(s) {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(i) => visitor.visit_i64(i),
                Resolved::UInt(u) => visitor.visit_u64(u),
                Resolved::Float(f) => visitor.visit_f64(f),
                Resolved::Str(t) => visitor.visit_str(t),
            },
            NodeKind::Seq(items) => visitor.visit_seq(SeqAcc {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapAcc {
                entries: entries.iter(),
                current: None,
                path: &self.path,
            }),
        };
        result.map_err(|e| self.fail(e))
    }

    /// Any scalar reads as text (`id: 123` is the id "123"); a bare empty value reads as "",
    /// so a later check can say "must not be empty" rather than a type error.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Scalar(s) if !s.plain || !is_null_text(&s.text) || s.text.is_empty() => {
                visitor.visit_str(&s.text).map_err(|e| self.fail(e))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_none().map_err(|e| self.fail(e))
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    /// An empty value (`server:` with every setting commented out) is an empty mapping.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.empty_map(visitor)
        } else {
            self.deserialize_any(visitor)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Serde would also take a struct's fields by position from a list; a config file
        // names them.
        if let NodeKind::Seq(_) = self.node.kind {
            return Err(self.fail(de::Error::invalid_type(Unexpected::Seq, &visitor)));
        }
        self.deserialize_map(visitor)
    }

    /// An empty value (`channels:` with nothing under it) is an empty list.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            let access = SeqAcc {
                items: [].iter().enumerate(),
                path: &self.path,
            };
            visitor.visit_seq(access).map_err(|e| self.fail(e))
        } else {
            self.deserialize_any(visitor)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Scalar(s) => visitor.visit_enum(s.text.as_str().into_deserializer()),
            NodeKind::Map(entries) => {
                let live: Vec<&Entry> = entries.iter().filter(|e| !e.value.pruned).collect();
                match live.as_slice() {
                    [entry] => visitor.visit_enum(EnumAcc {
                        entry,
                        path: &self.path,
                    }),
                    _ => Err(de::Error::custom(
                        "expected a single `variant: value` pair".to_string(),
                    )),
                }
            }
            NodeKind::Seq(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
        };
        result.map_err(|e| self.fail(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        unit_struct tuple tuple_struct
    }
}

struct SeqAcc<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'a str,
}

impl<'de, 'a> SeqAccess<'de> for SeqAcc<'a> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.items.by_ref().find(|(_, n)| !n.pruned) else {
            return Ok(None);
        };
        let de = NodeDe {
            node,
            path: format!("{}[{i}]", self.path),
        };
        let path = de.path.clone();
        seed.deserialize(de)
            .map(Some)
            .map_err(|e| e.at(&path, node.start, node.id))
    }
}

struct MapAcc<'a> {
    entries: std::slice::Iter<'a, Entry>,
    current: Option<&'a Entry>,
    path: &'a str,
}

impl<'de, 'a> MapAccess<'de> for MapAcc<'a> {
    type Error = DeError;

    /// A key error (unknown field) sits on the key; dropping its value drops the entry.
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.by_ref().find(|e| !e.value.pruned) else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key: de::value::StrDeserializer<'_, DeError> = entry.key.as_str().into_deserializer();
        seed.deserialize(key).map(Some).map_err(|e| {
            e.at(
                &child_key(self.path, &entry.key),
                entry.key_pos,
                entry.value.id,
            )
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(entry) = self.current.take() else {
            return Err(de::Error::custom("a mapping value was read before its key"));
        };
        let de = NodeDe {
            node: &entry.value,
            path: child_key(self.path, &entry.key),
        };
        let path = de.path.clone();
        seed.deserialize(de)
            .map_err(|e| e.at(&path, entry.value.start, entry.value.id))
    }
}

/// `variant: value`, for enums with data.
struct EnumAcc<'a> {
    entry: &'a Entry,
    path: &'a str,
}

impl<'de, 'a> EnumAccess<'de> for EnumAcc<'a> {
    type Error = DeError;
    type Variant = NodeDe<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDe<'a>), DeError> {
        let path = child_key(self.path, &self.entry.key);
        let key: de::value::StrDeserializer<'_, DeError> =
            self.entry.key.as_str().into_deserializer();
        let value = seed
            .deserialize(key)
            .map_err(|e| e.at(&path, self.entry.key_pos, self.entry.value.id))?;
        Ok((
            value,
            NodeDe {
                node: &self.entry.value,
                path,
            },
        ))
    }
}

impl<'de, 'a> VariantAccess<'de> for NodeDe<'a> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        if self.node.is_null() {
            Ok(())
        } else {
            Err(self.fail(de::Error::custom("this variant takes no value")))
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::config::tree::parse;

    fn de<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, DeError> {
        let root = parse(text).unwrap().root.unwrap();
        T::deserialize(NodeDe {
            node: &root,
            path: String::new(),
        })
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct S {
        n: u32,
        f: f64,
        name: String,
        opt: Option<String>,
        #[serde(default)]
        list: Vec<i64>,
    }

    #[test]
    fn scalars_resolve_like_yaml_core_schema() {
        let s: S = de("n: 7\nf: 2\nname: 123\nopt: ~\nlist: [-1, 0x10]\n").unwrap();
        assert_eq!(
            s,
            S {
                n: 7,
                f: 2.0,
                name: "123".into(),
                opt: None,
                list: vec![-1, 16]
            }
        );
        let v: BTreeMap<String, serde_json::Value> =
            de("a: 1.5\nb: true\nc: '1'\nd: null\ne: .5e1\n").unwrap();
        assert_eq!(v["a"], serde_json::json!(1.5));
        assert_eq!(v["b"], serde_json::json!(true));
        assert_eq!(v["c"], serde_json::json!("1"));
        assert_eq!(v["d"], serde_json::Value::Null);
        assert_eq!(v["e"], serde_json::json!(5.0));
    }

    #[test]
    fn type_error_sits_on_the_value() {
        let e = de::<S>("n: lots\nf: 1\nname: x\nopt: y\n").unwrap_err();
        let at = e.at.unwrap();
        assert_eq!((at.path.as_str(), at.pos.line, at.pos.column), ("n", 1, 4));
        assert!(e.message.contains("expected u32"), "{}", e.message);
    }

    #[test]
    fn unknown_field_sits_on_the_key() {
        let e = de::<S>("n: 1\nf: 1\nname: x\n  \nbogus: 1\n").unwrap_err();
        let at = e.at.unwrap();
        assert_eq!((at.path.as_str(), at.pos.line), ("bogus", 5));
        assert!(e.message.contains("unknown field `bogus`"), "{}", e.message);
    }

    #[test]
    fn missing_field_sits_on_the_mapping() {
        let e = de::<Vec<S>>("- n: 1\n  f: 1\n  name: x\n- n: 1\n  f: 1\n").unwrap_err();
        let at = e.at.unwrap();
        assert_eq!((at.path.as_str(), at.pos.line), ("[1]", 4));
        assert_eq!(e.missing_field.as_deref(), Some("name"));
    }

    #[test]
    fn quoted_number_is_not_a_number() {
        assert!(de::<S>("n: '1'\nf: 1\nname: x\n").is_err());
    }

    #[test]
    fn float_shapes() {
        for t in ["1.5", ".5", "1.", "1e3", "1.5E-3"] {
            assert!(is_float(t), "{t}");
        }
        for t in ["1", "e3", ".", "1e", "1.2.3", "abc"] {
            assert!(!is_float(t), "{t}");
        }
    }
}
