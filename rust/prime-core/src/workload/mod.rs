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
pub use op::{Op, OpKind, OP_FIELDS};

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

impl Workload {
    /// A workload from an already lowered op list (a hand-built op table). Each op is checked
    /// with [`Op::check`]; errors are `Error::InvalidArgument` naming the op-table row. An op
    /// table carries no layers: `layers` is empty, each op counts as its own entry of the
    /// per-layer figures, `params` is the sum of weight bytes (int8, one byte per parameter),
    /// and the context features that need layer types (layer counts, MAC fractions) are 0.
    pub fn from_ops(name: &str, source: &str, ops: Vec<Op>) -> Result<Workload> {
        if ops.is_empty() {
            return Err(Error::InvalidArgument(
                "an op table needs at least one op".into(),
            ));
        }
        for (i, op) in ops.iter().enumerate() {
            op.check()
                .map_err(|e| Error::InvalidArgument(format!("op table row {i}: {e}")))?;
        }
        let sum = |xs: &[u64], what: &str| {
            xs.iter()
                .try_fold(0u64, |a, &b| a.checked_add(b))
                .ok_or_else(|| Error::InvalidArgument(format!("op table: total {what} overflow")))
        };
        let layer_macs: Vec<u64> = ops.iter().map(Op::macs).collect();
        let layer_params: Vec<u64> = ops.iter().map(|o| o.weight_bytes).collect();
        let macs = sum(&layer_macs, "MACs")?;
        let params = sum(&layer_params, "weight bytes")?;
        let classes = vec![LayerClass::Memory; ops.len()];
        let context = context::context_vector(&classes, &layer_macs, params, &ops);
        Ok(Workload {
            name: name.to_string(),
            description: String::new(),
            source: source.to_string(),
            layers: Vec::new(),
            op_layer: (0..ops.len()).collect(),
            ops,
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
    load_path(Path::new(name_or_path))
}

/// [`load`] for a path that need not be UTF-8 (a file name from the OS); only a UTF-8 path can
/// name a built-in.
pub fn load_path(path: &Path) -> Result<Workload> {
    if let Some(w) = path.to_str().and_then(zoo::build) {
        return w;
    }
    if path.is_file() {
        return file::load_file(path);
    }
    Err(Error::UnknownWorkload {
        name: path.display().to_string(),
        known: names(),
    })
}

#[cfg(test)]
mod tests;
