//! The layer IR, the built-in zoo, workload files and context vectors.
//!
//! * [`layer`]: the IR users write (conv2d, depthwise, dense, lstm, pool, add, concat, resize,
//!   conv_transpose2d, embedding), with validation that names the layer and field.
//! * [`lower`]: `Layer -> Vec<Op>`; [`op`]: the lowered form the simulator consumes.
//! * [`zoo`]: the built-in networks, generated from architecture tables.
//! * [`file`]: JSON / TOML workload files; [`context`]: the normalised context vector.
//!
//! Counting conventions: MACs = Σ op MACs (conv, depthwise, dense, squeeze-excite FCs, LSTM
//! gate matmuls and projections; pooling, adds, concat, resize and activations are free);
//! parameters = weights + biases of every layer (embedding tables included), **batch-norm
//! excluded** (it folds into the preceding conv at inference).

pub mod context;
pub mod file;
pub mod layer;
pub mod lower;
pub mod op;
pub mod zoo;

pub use context::{CONTEXT_FEATURES, CONTEXT_LEN};
pub use file::{parse, Format};
pub use layer::{Layer, LayerClass};
pub use op::{Op, OpKind};

use crate::{Error, Result};
use std::path::Path;

/// A lowered workload: the layers as written, the ops the simulator runs, and summary numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub name: String,
    pub description: String,
    /// `"builtin"` for the zoo, else the file path (or the caller's label for parsed text).
    pub source: String,
    pub layers: Vec<Layer>,
    pub ops: Vec<Op>,
    /// Index into `layers` of the layer each op came from.
    pub op_layer: Vec<usize>,
    pub layer_macs: Vec<u64>,
    pub layer_params: Vec<u64>,
    pub macs: u64,
    pub params: u64,
    /// Reference totals of built-ins (see each builder's docs for the source); `None` for files.
    pub published_macs: Option<u64>,
    pub published_params: Option<u64>,
    pub context: [f64; CONTEXT_LEN],
}

impl Workload {
    /// Validate and lower `layers`. Errors are `Error::WorkloadFile` naming `source`, the layer
    /// index, its name and type, and the field.
    pub fn from_layers(
        name: &str,
        description: &str,
        source: &str,
        layers: Vec<Layer>,
    ) -> Result<Workload> {
        let err = |detail: String| Error::WorkloadFile {
            source: source.to_string(),
            detail,
        };
        if name.trim().is_empty() {
            return Err(err("field 'name' must be a non-empty string".into()));
        }
        if layers.is_empty() {
            return Err(err("field 'layers' must hold at least one layer".into()));
        }
        let mut ops = Vec::new();
        let mut op_layer = Vec::new();
        let mut layer_macs = Vec::with_capacity(layers.len());
        let mut layer_params = Vec::with_capacity(layers.len());
        for (i, layer) in layers.iter().enumerate() {
            let at = |detail: String| {
                let name = layer.name().map(|n| format!(" '{n}'")).unwrap_or_default();
                err(format!("layer {i}{name} ({}): {detail}", layer.type_name()))
            };
            layer.validate().map_err(at)?;
            let (lowered, params) = layer.lower().map_err(at)?;
            let macs = lowered.iter().map(Op::macs).sum::<u64>();
            op_layer.extend(std::iter::repeat_n(i, lowered.len()));
            ops.extend(lowered);
            layer_macs.push(macs);
            layer_params.push(params);
        }
        let total = |xs: &[u64], what: &str| {
            xs.iter()
                .try_fold(0u64, |a, &b| a.checked_add(b))
                .ok_or_else(|| err(format!("total {what} overflow")))
        };
        let macs = total(&layer_macs, "MACs")?;
        let params = total(&layer_params, "parameters")?;
        let classes: Vec<LayerClass> = layers.iter().map(Layer::class).collect();
        let context = context::context_vector(&classes, &layer_macs, params, &ops);
        Ok(Workload {
            name: name.to_string(),
            description: description.to_string(),
            source: source.to_string(),
            layers,
            ops,
            op_layer,
            layer_macs,
            layer_params,
            macs,
            params,
            published_macs: None,
            published_params: None,
            context,
        })
    }
}

/// Names of the built-in workloads, in zoo order.
pub fn names() -> Vec<String> {
    zoo::BUILTINS.iter().map(|b| b.name.to_string()).collect()
}

/// A built-in name, else an existing `.json` / `.toml` file; else `Error::UnknownWorkload`.
pub fn load(name_or_path: &str) -> Result<Workload> {
    if let Some(w) = zoo::build(name_or_path) {
        return w;
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        return file::load_file(path);
    }
    Err(Error::UnknownWorkload {
        name: name_or_path.to_string(),
        known: names(),
    })
}

#[cfg(test)]
mod tests;
