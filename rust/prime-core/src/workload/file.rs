//! Workload files: JSON or TOML, `{name, description?, layers: [{type: "conv2d", ...}, ...]}`
//! (TOML: `[[layers]]` tables). One parser serves files, Python dicts (serialised to JSON) and
//! strings.

use super::layer::Layer;
use super::Workload;
use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
}

impl Format {
    /// The format implied by a path's extension (`.json` / `.toml`, case-insensitive).
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    name: String,
    #[serde(default)]
    description: String,
    layers: Vec<Layer>,
}

fn file_error(source: &str, detail: impl Into<String>) -> Error {
    Error::WorkloadFile {
        source: source.to_string(),
        detail: detail.into(),
    }
}

/// Parse workload text. `source` names where it came from in error messages and `Workload.source`.
pub fn parse(text: &str, format: Format, source: &str) -> Result<Workload> {
    let parsed = match format {
        Format::Json => serde_json::from_str::<FileSpec>(text).map_err(|e| e.to_string()),
        Format::Toml => toml::from_str::<FileSpec>(text).map_err(|e| e.to_string()),
    };
    let spec = parsed.map_err(|msg| {
        let msg = msg.trim_end().to_string();
        match locate_bad_layer(text, format) {
            Some(loc) => file_error(source, format!("{msg} ({loc})")),
            None => file_error(source, msg),
        }
    })?;
    Workload::from_layers(&spec.name, &spec.description, source, spec.layers)
}

/// serde's position says where, not which layer: re-read the layers one by one to name it.
fn locate_bad_layer(text: &str, format: Format) -> Option<String> {
    let value: serde_json::Value = match format {
        Format::Json => serde_json::from_str(text).ok()?,
        Format::Toml => serde_json::to_value(toml::from_str::<toml::Value>(text).ok()?).ok()?,
    };
    let layers = value.get("layers")?.as_array()?;
    layers.iter().enumerate().find_map(|(i, v)| {
        serde_json::from_value::<Layer>(v.clone()).err()?;
        Some(match v.get("name").and_then(|n| n.as_str()) {
            Some(n) => format!("in layer {i} '{n}'"),
            None => format!("in layer {i}"),
        })
    })
}

/// Read and parse a `.json` / `.toml` workload file.
pub fn load_file(path: &Path) -> Result<Workload> {
    let source = path.display().to_string();
    let format = Format::from_path(path)
        .ok_or_else(|| file_error(&source, "workload files must end in .json or .toml"))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| file_error(&source, format!("cannot read: {e}")))?;
    parse(&text, format, &source)
}
