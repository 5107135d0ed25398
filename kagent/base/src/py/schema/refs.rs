//! JSON Schema dialects and `$ref` resolution as python-jsonschema 4.26 and its `referencing`
//! 0.37 library do them: which draft a `$schema` selects (`validator_for`, URIs compared after
//! `urlsplit(..).geturl()`), each draft's identifier and anchor keywords and subschema
//! keywords (for finding embedded resources), `urljoin`, JSON pointers (percent-decoded, `~0`
//! `~1`), plain and dynamic anchors with the dynamic scope, and the exception texts
//! (`PointerToNowhere: ...`, `NoSuchAnchor: ...`, `Unresolvable: <ref>`) an unresolvable
//! reference raises. Remote documents are never fetched (python-jsonschema would try to
//! download an `http(s)` reference it does not know; kagent reports it unresolvable); the
//! bundled metaschemas and vocabularies of every supported draft are known, as in
//! `jsonschema_specifications`.

use std::sync::OnceLock;

use serde_json::Value;

use crate::py::repr::repr_value;

/// A JSON Schema draft with its own validator class in python-jsonschema.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    D4,
    D6,
    D7,
    D201909,
    D202012,
}

const DRAFTS: [(&str, Dialect); 5] = [
    ("http://json-schema.org/draft-04/schema", Dialect::D4),
    ("http://json-schema.org/draft-06/schema", Dialect::D6),
    ("http://json-schema.org/draft-07/schema", Dialect::D7),
    (
        "https://json-schema.org/draft/2019-09/schema",
        Dialect::D201909,
    ),
    (
        "https://json-schema.org/draft/2020-12/schema",
        Dialect::D202012,
    ),
];

/// `urlsplit(uri).geturl()`: the scheme lower-cased, an empty query or fragment dropped.
fn normalize(uri: &str) -> String {
    let mut s = uri.to_string();
    if let Some(i) = s.find(':') {
        if s[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            let scheme = s[..i].to_ascii_lowercase();
            s.replace_range(..i, &scheme);
        }
    }
    if s.ends_with('#') {
        s.pop();
    }
    if s.ends_with('?') {
        s.pop();
    }
    s
}

impl Dialect {
    /// The draft a `$schema` value names, if python-jsonschema knows it.
    pub fn named(uri: &str) -> Option<Dialect> {
        let n = normalize(uri);
        DRAFTS.iter().find(|(u, _)| *u == n).map(|(_, d)| *d)
    }

    /// `validator_for(schema, default)`: a known `$schema` wins, anything else keeps `default`
    /// (for the top-level schema an unknown `$schema` means the latest draft, 2020-12).
    pub fn of(schema: &Value, default: Dialect) -> Dialect {
        schema
            .get("$schema")
            .and_then(Value::as_str)
            .and_then(Dialect::named)
            .unwrap_or(default)
    }

    pub fn metaschema_uri(self) -> &'static str {
        DRAFTS
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("", |(u, _)| u)
    }

    /// Drafts 4-7: a `$ref` makes its siblings ignored.
    pub fn ignores_ref_siblings(self) -> bool {
        matches!(self, Dialect::D4 | Dialect::D6 | Dialect::D7)
    }

    /// The schema's identifier (`referencing`'s `id_of` for the draft), without a fragment.
    pub fn id_of(self, schema: &Value) -> Option<String> {
        let obj = schema.as_object()?;
        let id = match self {
            Dialect::D4 => obj.get("id")?.as_str()?,
            Dialect::D6 | Dialect::D7 => {
                if obj.contains_key("$ref") {
                    return None;
                }
                obj.get("$id")?.as_str()?
            }
            _ => obj.get("$id")?.as_str()?,
        };
        if self.ignores_ref_siblings() && id.starts_with('#') {
            return None;
        }
        Some(id.trim_end_matches('#').to_string())
    }

    /// Plain-name anchors the schema defines: (name, dynamic).
    fn anchors(self, schema: &Value) -> Vec<(String, bool)> {
        let Some(obj) = schema.as_object() else {
            return vec![];
        };
        let mut out = vec![];
        match self {
            Dialect::D4 | Dialect::D6 | Dialect::D7 => {
                let key = if self == Dialect::D4 { "id" } else { "$id" };
                if let Some(a) = obj.get(key).and_then(Value::as_str) {
                    if let Some(name) = a.strip_prefix('#') {
                        if !(self != Dialect::D4 && obj.contains_key("$ref")) {
                            out.push((name.to_string(), false));
                        }
                    }
                }
            }
            Dialect::D201909 | Dialect::D202012 => {
                if let Some(a) = obj.get("$anchor").and_then(Value::as_str) {
                    out.push((a.to_string(), false));
                }
                if self == Dialect::D202012 {
                    if let Some(a) = obj.get("$dynamicAnchor").and_then(Value::as_str) {
                        out.push((a.to_string(), true));
                    }
                }
            }
        }
        out
    }

    /// The subschemas `referencing` looks into for embedded resources.
    fn subschemas(self, schema: &Value) -> Vec<&Value> {
        let Some(obj) = schema.as_object() else {
            return vec![];
        };
        let (single, arrays, maps): (&[&str], &[&str], &[&str]) = match self {
            Dialect::D4 => (
                &["additionalItems", "additionalProperties", "not", "items"],
                &["allOf", "anyOf", "oneOf", "items"],
                &[
                    "definitions",
                    "patternProperties",
                    "properties",
                    "dependencies",
                ],
            ),
            Dialect::D6 => (
                &[
                    "additionalItems",
                    "additionalProperties",
                    "contains",
                    "not",
                    "propertyNames",
                    "items",
                ],
                &["allOf", "anyOf", "oneOf", "items"],
                &[
                    "definitions",
                    "patternProperties",
                    "properties",
                    "dependencies",
                ],
            ),
            Dialect::D7 => (
                &[
                    "additionalItems",
                    "additionalProperties",
                    "contains",
                    "else",
                    "if",
                    "not",
                    "propertyNames",
                    "then",
                    "items",
                ],
                &["allOf", "anyOf", "oneOf", "items"],
                &[
                    "definitions",
                    "patternProperties",
                    "properties",
                    "dependencies",
                ],
            ),
            Dialect::D201909 => (
                &[
                    "additionalItems",
                    "additionalProperties",
                    "contains",
                    "contentSchema",
                    "else",
                    "if",
                    "not",
                    "propertyNames",
                    "then",
                    "unevaluatedItems",
                    "unevaluatedProperties",
                    "items",
                ],
                &["allOf", "anyOf", "oneOf", "items"],
                &[
                    "$defs",
                    "definitions",
                    "dependentSchemas",
                    "patternProperties",
                    "properties",
                ],
            ),
            Dialect::D202012 => (
                &[
                    "additionalProperties",
                    "contains",
                    "contentSchema",
                    "else",
                    "if",
                    "items",
                    "not",
                    "propertyNames",
                    "then",
                    "unevaluatedItems",
                    "unevaluatedProperties",
                ],
                &["allOf", "anyOf", "oneOf", "prefixItems"],
                &[
                    "$defs",
                    "definitions",
                    "dependentSchemas",
                    "patternProperties",
                    "properties",
                ],
            ),
        };
        let mut out = vec![];
        for k in single {
            if let Some(v) = obj.get(*k).filter(|v| v.is_object() || v.is_boolean()) {
                out.push(v);
            }
        }
        for k in arrays {
            if let Some(Value::Array(a)) = obj.get(*k) {
                out.extend(a.iter());
            }
        }
        for k in maps {
            if let Some(Value::Object(m)) = obj.get(*k) {
                out.extend(m.values().filter(|v| v.is_object() || v.is_boolean()));
            }
        }
        out
    }
}

/// A resource (a schema with an identifier, or a document root) in a [`Registry`].
struct Resource<'a> {
    uri: String,
    contents: &'a Value,
}

struct Anchor<'a> {
    uri: String,
    name: String,
    contents: &'a Value,
    dynamic: bool,
}

/// The resources a validation can reach: the bundled metaschemas and the schema being used.
#[derive(Default)]
pub struct Registry<'a> {
    resources: Vec<Resource<'a>>,
    anchors: Vec<Anchor<'a>>,
}

/// The bundled documents (uri without fragment, text).
const DOCUMENTS: &[&str] = &[
    include_str!("metaschema/schema.json"),
    include_str!("metaschema/core.json"),
    include_str!("metaschema/applicator.json"),
    include_str!("metaschema/unevaluated.json"),
    include_str!("metaschema/validation.json"),
    include_str!("metaschema/meta-data.json"),
    include_str!("metaschema/format-annotation.json"),
    include_str!("metaschema/content.json"),
    include_str!("metaschema/draft2019-09/schema.json"),
    include_str!("metaschema/draft2019-09/core.json"),
    include_str!("metaschema/draft2019-09/applicator.json"),
    include_str!("metaschema/draft2019-09/validation.json"),
    include_str!("metaschema/draft2019-09/meta-data.json"),
    include_str!("metaschema/draft2019-09/format.json"),
    include_str!("metaschema/draft2019-09/content.json"),
    include_str!("metaschema/draft-07.json"),
    include_str!("metaschema/draft-06.json"),
    include_str!("metaschema/draft-04.json"),
];

fn documents() -> &'static [Value] {
    static DOCS: OnceLock<Vec<Value>> = OnceLock::new();
    DOCS.get_or_init(|| {
        DOCUMENTS
            .iter()
            .filter_map(|t| serde_json::from_str(t).ok())
            .collect()
    })
}

/// The metaschema document of a draft.
pub fn metaschema(d: Dialect) -> Option<&'static Value> {
    let uri = d.metaschema_uri();
    documents()
        .iter()
        .find(|doc| Dialect::of(doc, Dialect::D202012).id_of(doc).as_deref() == Some(uri))
}

/// The registry of the bundled documents.
pub fn bundled() -> &'static Registry<'static> {
    static REG: OnceLock<Registry<'static>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut r = Registry::default();
        for doc in documents() {
            let d = Dialect::of(doc, Dialect::D202012);
            let uri = d.id_of(doc).unwrap_or_default();
            r.crawl(doc, &uri, d, true);
        }
        r
    })
}

/// Python's `urllib.parse.urljoin` for the references schemas use.
pub fn urljoin(base: &str, url: &str) -> String {
    if base.is_empty() {
        return url.to_string();
    }
    if url.is_empty() {
        return base.to_string();
    }
    let scheme_of = |s: &str| {
        s.find(':').and_then(|i| {
            let sc = &s[..i];
            (!sc.is_empty()
                && sc.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && sc
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .then(|| sc.to_ascii_lowercase())
        })
    };
    let relative = |s: &str| {
        [
            "", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https", "shttp", "mms",
            "prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss",
        ]
        .contains(&s)
    };
    let bscheme = scheme_of(base).unwrap_or_default();
    let mut rest = url;
    if let Some(s) = scheme_of(url) {
        if s != bscheme || !relative(&s) {
            return url.to_string();
        }
        rest = &url[s.len() + 1..];
        if rest.starts_with("//") {
            return url.to_string();
        }
    }
    if !relative(&bscheme) {
        return url.to_string();
    }
    let after_scheme = if bscheme.is_empty() {
        base
    } else {
        &base[bscheme.len() + 1..]
    };
    let prefix = if bscheme.is_empty() {
        String::new()
    } else {
        format!("{bscheme}:")
    };
    if rest.starts_with("//") {
        return format!("{prefix}{rest}");
    }
    let (netloc, tail) = match after_scheme.strip_prefix("//") {
        Some(t) => {
            let end = t.find(['/', '?', '#']).unwrap_or(t.len());
            (format!("//{}", &t[..end]), &t[end..])
        }
        None => (String::new(), after_scheme),
    };
    let base_nofrag = tail.split('#').next().unwrap_or("");
    let base_path = base_nofrag.split('?').next().unwrap_or("");
    if rest.starts_with('#') {
        return format!("{prefix}{netloc}{base_nofrag}{rest}");
    }
    if rest.starts_with('?') {
        return format!("{prefix}{netloc}{base_path}{rest}");
    }
    let (rpath, rsuffix) = match rest.find(['?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let merged = if rpath.starts_with('/') {
        rpath.to_string()
    } else if rpath.is_empty() {
        base_path.to_string()
    } else {
        match base_path.rfind('/') {
            Some(i) => format!("{}{}", &base_path[..=i], rpath),
            None if !netloc.is_empty() => format!("/{rpath}"),
            None => rpath.to_string(),
        }
    };
    // remove dot segments
    let mut out: Vec<&str> = vec![];
    let segs: Vec<&str> = merged.split('/').collect();
    let n = segs.len();
    for (i, s) in segs.iter().enumerate() {
        match *s {
            "." => {
                if i == n - 1 {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 || out.first().is_some_and(|s| !s.is_empty()) {
                    out.pop();
                }
                if i == n - 1 {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    format!("{prefix}{netloc}{}{rsuffix}", out.join("/"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |k: usize| bytes.get(k).and_then(|c| (*c as char).to_digit(16));
        if b == b'%' {
            if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where validation is: the draft, the base URI of the current resource and the dynamic
/// scope (the base URIs left, most recent first), as `referencing`'s `Resolver` keeps them.
#[derive(Clone, Debug)]
pub struct Scope {
    pub dialect: Dialect,
    pub base: String,
    pub previous: Vec<String>,
}

impl Scope {
    /// `Resolver._evolve(base_uri=..)`.
    pub fn evolve(&self, base: &str) -> Scope {
        let mut previous = self.previous.clone();
        if !self.base.is_empty() && (previous.is_empty() || base != self.base) {
            previous.insert(0, self.base.clone());
        }
        Scope {
            dialect: self.dialect,
            base: base.to_string(),
            previous,
        }
    }

    /// `Resolver.in_subresource`: entering a subschema with an identifier.
    pub fn in_subresource(&self, schema: &Value, spec: Dialect) -> Scope {
        match spec.id_of(schema) {
            Some(id) => self.evolve(&urljoin(&self.base, &id)),
            None => self.clone(),
        }
    }
}

impl<'a> Registry<'a> {
    /// A registry for `root` (its resources and anchors), on top of the bundled documents.
    pub fn for_root(root: &'a Value, dialect: Dialect) -> (Registry<'a>, String) {
        let mut r = Registry::default();
        let uri = dialect.id_of(root).unwrap_or_default();
        r.crawl(root, &uri, dialect, true);
        (r, uri)
    }

    fn crawl(&mut self, schema: &'a Value, base: &str, dialect: Dialect, root: bool) {
        if !schema.is_object() {
            return;
        }
        let d = Dialect::of(schema, dialect);
        let mut base = base.to_string();
        if root {
            self.resources.push(Resource {
                uri: base.clone(),
                contents: schema,
            });
        } else if let Some(id) = d.id_of(schema) {
            base = urljoin(&base, &id);
            self.resources.push(Resource {
                uri: base.clone(),
                contents: schema,
            });
        }
        for (name, dynamic) in d.anchors(schema) {
            self.anchors.push(Anchor {
                uri: base.clone(),
                name,
                contents: schema,
                dynamic,
            });
        }
        for sub in d.subschemas(schema) {
            self.crawl(sub, &base, d, false);
        }
    }

    fn resource(&self, uri: &str) -> Option<&'a Value> {
        self.resources
            .iter()
            .find(|r| r.uri == uri)
            .map(|r| r.contents)
            .or_else(|| {
                bundled()
                    .resources
                    .iter()
                    .find(|r| r.uri == uri)
                    .map(|r| r.contents)
            })
    }

    fn anchor(&self, uri: &str, name: &str) -> Option<(&'a Value, bool)> {
        self.anchors
            .iter()
            .find(|a| a.uri == uri && a.name == name)
            .map(|a| (a.contents, a.dynamic))
            .or_else(|| {
                bundled()
                    .anchors
                    .iter()
                    .find(|a| a.uri == uri && a.name == name)
                    .map(|a| (a.contents, a.dynamic))
            })
    }

    /// `Resolver.lookup(ref)`: the target and the scope it is validated in, or the text of
    /// the exception python-jsonschema raises.
    pub fn lookup(&self, reference: &str, scope: &Scope) -> Result<(&'a Value, Scope), String> {
        let (uri, fragment) = if let Some(f) = reference.strip_prefix('#') {
            (scope.base.clone(), f.to_string())
        } else {
            let full = urljoin(&scope.base, reference);
            match full.split_once('#') {
                Some((u, f)) => (u.to_string(), f.to_string()),
                None => (full, String::new()),
            }
        };
        let Some(resource) = self.resource(&uri) else {
            return Err(format!("Unresolvable: {reference}"));
        };
        let here = scope.evolve(&uri);
        if fragment.starts_with('/') {
            return self.pointer(resource, &fragment, here);
        }
        if fragment.is_empty() {
            return Ok((resource, here));
        }
        match self.anchor(&uri, &fragment) {
            Some((target, false)) => Ok((target, here.in_subresource(target, here.dialect))),
            Some((target, true)) => {
                // a dynamic anchor: the outermost resource in the dynamic scope with one too
                let mut last = target;
                for u in &here.previous {
                    if let Some((t, true)) = self.anchor(u, &fragment) {
                        last = t;
                    }
                }
                Ok((last, here.in_subresource(last, here.dialect)))
            }
            None if fragment.contains('/') => Err(format!(
                "InvalidAnchor: '#{fragment}' is not a valid anchor, neither as a plain name anchor nor as a JSON Pointer. You may have intended to use '#/{fragment}', as the slash is required *before each segment* of a JSON pointer."
            )),
            None => Err(format!(
                "NoSuchAnchor: {} does not exist within {}",
                repr_value(&Value::String(fragment.clone())),
                repr_value(resource)
            )),
        }
    }

    fn pointer(
        &self,
        resource: &'a Value,
        pointer: &str,
        mut scope: Scope,
    ) -> Result<(&'a Value, Scope), String> {
        let nowhere = || {
            let mut msg = format!(
                "PointerToNowhere: {} does not exist within {}",
                repr_value(&Value::String(pointer.to_string())),
                repr_value(resource)
            );
            if pointer == "/" {
                msg.push_str(". The pointer '/' is a valid JSON Pointer but it points to an empty string property ''. If you intended to point to the entire resource, you should use '#'.");
            }
            msg
        };
        let decoded = percent_decode(&pointer[1..]);
        let mut node = resource;
        for segment in decoded.split('/') {
            node = match node {
                Value::Array(a) => {
                    let i: i64 = segment.parse().map_err(|_| nowhere())?;
                    let idx = if i < 0 { a.len() as i64 + i } else { i };
                    usize::try_from(idx)
                        .ok()
                        .and_then(|i| a.get(i))
                        .ok_or_else(nowhere)?
                }
                Value::Object(o) => o
                    .get(&segment.replace("~1", "/").replace("~0", "~"))
                    .ok_or_else(nowhere)?,
                _ => return Err(nowhere()),
            };
            scope = scope.in_subresource(node, scope.dialect);
        }
        Ok((node, scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urljoin_as_python() {
        for (b, u, want) in [
            (
                "https://ex.com/a/b.json",
                "c.json",
                "https://ex.com/a/c.json",
            ),
            (
                "https://ex.com/a/b.json",
                "../c.json#/x",
                "https://ex.com/c.json#/x",
            ),
            ("https://ex.com/a/b.json", "/c", "https://ex.com/c"),
            (
                "https://ex.com/a/b.json",
                "#frag",
                "https://ex.com/a/b.json#frag",
            ),
            ("https://ex.com/a/b.json", "urn:x:y", "urn:x:y"),
            ("", "c.json", "c.json"),
            ("urn:example:root", "#/a", "#/a"), // urn is not a relative scheme
            ("tool.json", "other.json", "other.json"),
        ] {
            assert_eq!(urljoin(b, u), want, "urljoin({b:?}, {u:?})");
        }
    }

    #[test]
    fn schema_uris_select_drafts() {
        assert_eq!(
            Dialect::named("http://json-schema.org/draft-07/schema#"),
            Some(Dialect::D7)
        );
        assert_eq!(
            Dialect::named("http://json-schema.org/draft-07/schema"),
            Some(Dialect::D7)
        );
        assert_eq!(
            Dialect::named("HTTP://json-schema.org/draft-04/schema#"),
            Some(Dialect::D4)
        );
        assert_eq!(
            Dialect::named("https://json-schema.org/draft/2019-09/schema#"),
            Some(Dialect::D201909)
        );
        assert_eq!(
            Dialect::named("https://json-schema.org/draft-07/schema#"),
            None
        );
        assert_eq!(Dialect::named("http://example.com/custom"), None);
        for d in [
            Dialect::D4,
            Dialect::D6,
            Dialect::D7,
            Dialect::D201909,
            Dialect::D202012,
        ] {
            assert!(metaschema(d).is_some(), "{d:?}");
        }
    }
}
