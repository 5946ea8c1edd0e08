//! The schema of `preferences`, generated from the rules core validates it with
//! (`identity_core::profile::PREFERENCE_SECTIONS`), so the document cannot drift from them.

use identity_core::profile::{PREFERENCE_SECTIONS, PreferenceRule};
use serde::Serialize;
use serde_json::json;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, schema::AdditionalProperties};

/// The stored preferences document, as the server sends it.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Preferences(pub serde_json::Value);

/// A merge patch of the preferences (documentation only: the body is validated by core).
pub struct PreferencesPatch;

fn value_schema(rule: PreferenceRule, nullable: bool) -> Schema {
    let builder = ObjectBuilder::new();
    let (types, builder) = match rule {
        PreferenceRule::Bool => (vec![Type::Boolean], builder),
        PreferenceRule::Text(max) => {
            (vec![Type::String], builder.min_length(Some(1)).max_length(Some(max)).pattern(Some("\\S")))
        }
        PreferenceRule::OneOf(allowed) => {
            let mut values: Vec<serde_json::Value> = allowed.iter().map(|a| json!(a)).collect();
            if nullable {
                values.push(serde_json::Value::Null);
            }
            (vec![Type::String], builder.enum_values(Some(values)))
        }
        PreferenceRule::Number(min, max) => (vec![Type::Number], builder.minimum(Some(min)).maximum(Some(max))),
        PreferenceRule::Integer(min, max) => {
            (vec![Type::Integer], builder.minimum(Some(min as f64)).maximum(Some(max as f64)))
        }
    };
    let mut types = types;
    if nullable {
        types.push(Type::Null);
    }
    builder.schema_type(SchemaType::from_iter(types)).into()
}

/// The whole document: known sections of known keys, nothing else. `nullable`: the patch
/// form, where `null` removes a key or a section.
fn document_schema(nullable: bool, description: &str) -> Schema {
    let mut document = ObjectBuilder::new()
        .schema_type(if nullable { SchemaType::from_iter([Type::Object, Type::Null]) } else { Type::Object.into() })
        .description(Some(description))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for (section, keys) in PREFERENCE_SECTIONS {
        let mut object = ObjectBuilder::new()
            .schema_type(if nullable { SchemaType::from_iter([Type::Object, Type::Null]) } else { Type::Object.into() })
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for (key, rule) in *keys {
            object = object.property(*key, value_schema(*rule, nullable));
        }
        document = document.property(*section, object);
    }
    document
        .examples([
            json!({ "notifications": { "email": false, "digest": "weekly" }, "focus": { "session_minutes": 25 } }),
        ])
        .into()
}

impl utoipa::PartialSchema for Preferences {
    fn schema() -> RefOr<Schema> {
        document_schema(false, "The user's preferences: sections of known keys; keys never set are absent.").into()
    }
}

impl utoipa::ToSchema for Preferences {}

impl utoipa::PartialSchema for PreferencesPatch {
    fn schema() -> RefOr<Schema> {
        document_schema(
            true,
            "A JSON merge patch (RFC 7386) of the preferences: listed keys change, `null` removes a key or a \
             section; unknown sections or keys are refused (422).",
        )
        .into()
    }
}

impl utoipa::ToSchema for PreferencesPatch {}
