//! A strict validator for the OpenAPI 3.0 subset used by `../shared/contracts/*-schemas.json`:
//! `$ref`, `allOf`, `anyOf`, `type`, `nullable`, `enum`, `pattern`, `properties`, `items`.
//! Stricter than OpenAPI in one way on purpose: a property the schema does not declare is an
//! error, because Graph answers 400 to unknown properties.

use std::collections::BTreeMap;

use serde_json::Value;

pub(crate) struct Schemas {
    schemas: serde_json::Map<String, Value>,
}

impl Schemas {
    pub(crate) fn graph() -> Self {
        Self::load("graph-pim-schemas.json", "schemas")
    }

    /// ARM's Swagger 2.0 `definitions` (same subset, `#/definitions/...` references).
    pub(crate) fn arm() -> Self {
        Self::load("arm-pim-schemas.json", "definitions")
    }

    fn load(file: &str, section: &str) -> Self {
        let path = format!("{}/../shared/contracts/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        let document: Value = serde_json::from_str(&text).expect("contract is JSON");
        let schemas = document[section]
            .as_object()
            .unwrap_or_else(|| panic!("a `{section}` object in {file}"))
            .clone();
        Self { schemas }
    }

    /// Every violation of `value` against the named schema; empty means valid.
    pub(crate) fn validate(&self, schema_name: &str, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        let schema = self.named(schema_name);
        self.check(&schema, value, "$", &mut errors);
        errors
    }

    fn named(&self, name: &str) -> Value {
        self.schemas
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn resolve(&self, schema: &Value) -> Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or(reference);
                self.resolve(&self.named(name))
            }
            None => schema.clone(),
        }
    }

    /// All properties declared by a schema and its `allOf` parents.
    fn properties(&self, schema: &Value) -> BTreeMap<String, Value> {
        let schema = self.resolve(schema);
        let mut out = BTreeMap::new();
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(self.properties(part));
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            out.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out
    }

    fn check(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
            if value.is_null() {
                if !any.iter().any(|s| s["nullable"] == Value::Bool(true)) {
                    errors.push(format!("{path}: null is not allowed"));
                }
                return;
            }
            // The generic `{type: object, nullable: true}` alternative only admits null; a value
            // must satisfy one of the real alternatives.
            let real: Vec<&Value> = any.iter().filter(|s| s.get("$ref").is_some()).collect();
            let fits = real.iter().any(|s| {
                let mut inner = Vec::new();
                self.check(s, value, path, &mut inner);
                inner.is_empty()
            });
            if !fits {
                let mut inner = Vec::new();
                if let Some(first) = real.first() {
                    self.check(first, value, path, &mut inner);
                }
                errors.push(format!(
                    "{path}: matches no alternative ({})",
                    inner.join("; ")
                ));
            }
            return;
        }
        if value.is_null() {
            if schema["nullable"] != Value::Bool(true) && schema.get("allOf").is_none() {
                errors.push(format!("{path}: null is not allowed"));
            }
            return;
        }
        if let Some(kind) = schema.get("type").and_then(Value::as_str) {
            let ok = match kind {
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "object" => value.is_object(),
                "array" => value.is_array(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{path}: expected {kind}, got {value}"));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            errors.push(format!("{path}: {value} is not one of {options:?}"));
        }
        if let (Some(pattern), Some(text)) = (
            schema.get("pattern").and_then(Value::as_str),
            value.as_str(),
        ) {
            let regex = regex::Regex::new(pattern).expect("schema pattern compiles");
            if !regex.is_match(text) {
                errors.push(format!("{path}: `{text}` does not match {pattern}"));
            }
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                self.check(items, item, &format!("{path}[{i}]"), errors);
            }
        }
        if let Some(object) = value.as_object() {
            let declared = self.properties(&schema);
            if declared.is_empty() {
                return;
            }
            for (key, item) in object {
                match declared.get(key) {
                    Some(property) => self.check(property, item, &format!("{path}.{key}"), errors),
                    None => errors.push(format!("{path}: `{key}` is not a property of this type")),
                }
            }
        }
    }
}

#[test]
fn the_validator_rejects_what_graph_would_reject() {
    let schemas = Schemas::graph();
    let name = "microsoft.graph.unifiedRoleAssignmentScheduleRequest";
    let good = serde_json::json!({
        "action": "adminAssign", "principalId": "p", "roleDefinitionId": "r", "directoryScopeId": "/",
        "justification": "j",
        "scheduleInfo": { "startDateTime": "2026-11-30T08:00:00Z", "expiration": { "type": "afterDuration", "duration": "PT2H" } },
        "ticketInfo": { "ticketNumber": "INC-1", "ticketSystem": "pimbot" }
    });
    assert_eq!(schemas.validate(name, &good), Vec::<String>::new());
    let mut bad_action = good.clone();
    bad_action["action"] = "AdminAssignment".into();
    assert!(!schemas.validate(name, &bad_action).is_empty());
    let mut bad_duration = good.clone();
    bad_duration["scheduleInfo"]["expiration"]["duration"] = "2 hours".into();
    assert!(!schemas.validate(name, &bad_duration).is_empty());
    let mut unknown = good.clone();
    unknown["requester"] = "alice".into();
    assert!(!schemas.validate(name, &unknown).is_empty());
}
