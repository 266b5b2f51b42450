//! The layer IR: what a workload file (or a zoo builder) says about each layer. Shapes are
//! explicit per layer (no shape inference across layers), tensors are int8, batch is 1.
//!
//! Sizes are `i64` on purpose: a negative size in a user file must reach [`Layer::validate`],
//! which names the field, instead of failing inside serde with an anonymous "expected u64".

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A kernel size: an int (square) or `[kh, kw]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernel {
    pub h: i64,
    pub w: i64,
}

impl Kernel {
    pub const fn square(k: i64) -> Self {
        Kernel { h: k, w: k }
    }
}

impl Serialize for Kernel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(&self.h)?;
        seq.serialize_element(&self.w)?;
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Kernel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Kernel;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a kernel size: an integer or a list [kh, kw]")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Kernel, E> {
                Ok(Kernel::square(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kernel, E> {
                i64::try_from(v)
                    .map(Kernel::square)
                    .map_err(|_| E::custom("kernel size too large"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kernel, A::Error> {
                let h: i64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let w: i64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(Kernel { h, w })
            }
        }
        d.deserialize_any(V)
    }
}

/// Spatial padding: TensorFlow's `"same"` (output = ceil(in / stride)), `"valid"` (no padding)
/// or an explicit symmetric number of pixels per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    #[default]
    Same,
    Valid,
    Explicit(i64),
}

impl Serialize for Padding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Padding::Same => s.serialize_str("same"),
            Padding::Valid => s.serialize_str("valid"),
            Padding::Explicit(p) => s.serialize_i64(*p),
        }
    }
}

impl<'de> Deserialize<'de> for Padding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Padding;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"same\", \"valid\" or a non-negative integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Padding, E> {
                match v.to_ascii_lowercase().as_str() {
                    "same" => Ok(Padding::Same),
                    "valid" => Ok(Padding::Valid),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Padding, E> {
                Ok(Padding::Explicit(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Padding, E> {
                i64::try_from(v)
                    .map(Padding::Explicit)
                    .map_err(|_| E::custom("padding too large"))
            }
        }
        d.deserialize_any(V)
    }
}

fn one() -> i64 {
    1
}
fn two() -> i64 {
    2
}
fn yes() -> bool {
    true
}
fn valid() -> Padding {
    Padding::Valid
}
fn is_one(v: &i64) -> bool {
    *v == 1
}

/// 2-D convolution (dense, grouped, or depthwise when `groups == in_c`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2d {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub in_h: i64,
    pub in_w: i64,
    pub in_c: i64,
    pub out_c: i64,
    pub kernel: Kernel,
    #[serde(default = "one")]
    pub stride: i64,
    #[serde(default)]
    pub padding: Padding,
    #[serde(default = "one")]
    pub groups: i64,
    #[serde(default = "yes")]
    pub bias: bool,
}

/// Transposed convolution ("up-convolution"), output = (in - 1) * stride + kernel per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvTranspose2d {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub in_h: i64,
    pub in_w: i64,
    pub in_c: i64,
    pub out_c: i64,
    pub kernel: Kernel,
    #[serde(default = "one")]
    pub stride: i64,
    #[serde(default = "yes")]
    pub bias: bool,
}

/// Depthwise convolution: sugar for `conv2d` with `groups = channels`,
/// `out_c = channels * multiplier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Depthwise {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub in_h: i64,
    pub in_w: i64,
    pub channels: i64,
    pub kernel: Kernel,
    #[serde(default = "one")]
    pub stride: i64,
    #[serde(default)]
    pub padding: Padding,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub multiplier: i64,
    #[serde(default = "yes")]
    pub bias: bool,
}

/// Fully connected layer / matmul applied to `rows` (alias `tokens`) input vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dense {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub in_features: i64,
    pub out_features: i64,
    #[serde(default = "one", alias = "tokens")]
    pub rows: i64,
    #[serde(default = "yes")]
    pub bias: bool,
}

/// One LSTM layer (gates 4H, one bias vector of 4H as in TensorFlow), optionally with a
/// projection of the hidden state to `proj_size` (LSTMP, no projection bias), run for `steps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lstm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub input_size: i64,
    pub hidden_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proj_size: Option<i64>,
    pub steps: i64,
    #[serde(default = "yes")]
    pub bias: bool,
}

/// Max/average pooling (cost is the same); `global = true` pools the whole map to 1x1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub in_h: i64,
    pub in_w: i64,
    pub channels: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<Kernel>,
    /// Defaults to the kernel height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stride: Option<i64>,
    #[serde(default = "valid")]
    pub padding: Padding,
    #[serde(default)]
    pub global: bool,
}

/// Elementwise binary op of `inputs` equal maps (residual add; also used for the
/// squeeze-excite channel scaling, which costs the same memory pass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Add {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub h: i64,
    pub w: i64,
    pub channels: i64,
    #[serde(default = "two")]
    pub inputs: i64,
}

/// Channel concatenation of maps of size `h x w` (inputs already cropped to `h x w`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub h: i64,
    pub w: i64,
    pub channels: Vec<i64>,
}

/// Spatial resize (nearest / bilinear upsampling or downsampling: one memory pass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resize {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub in_h: i64,
    pub in_w: i64,
    pub channels: i64,
    pub out_h: i64,
    pub out_w: i64,
}

/// Embedding lookup of `tokens` rows from a `vocab x dim` table (a gather: no MACs; the
/// table counts as parameters, but only the gathered rows move).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embedding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub vocab: i64,
    pub dim: i64,
    #[serde(default = "one")]
    pub tokens: i64,
}

/// One layer of a workload. In files: an object with `"type": "<snake_case variant>"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Layer {
    Conv2d(Conv2d),
    ConvTranspose2d(ConvTranspose2d),
    Depthwise(Depthwise),
    Dense(Dense),
    Lstm(Lstm),
    Pool(Pool),
    Add(Add),
    Concat(Concat),
    Resize(Resize),
    Embedding(Embedding),
}

/// What a layer counts as in the context vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerClass {
    Conv,
    Depthwise,
    Dense,
    Lstm,
    Memory,
}

/// Output size of a windowed op along one axis; `None` when the window does not fit.
pub fn out_dim(input: i64, kernel: i64, stride: i64, padding: Padding) -> Option<i64> {
    match padding {
        Padding::Same => Some((input + stride - 1) / stride),
        Padding::Valid => (kernel <= input).then(|| (input - kernel) / stride + 1),
        Padding::Explicit(p) => {
            (kernel <= input + 2 * p).then(|| (input + 2 * p - kernel) / stride + 1)
        }
    }
}

/// Largest accepted value of any one size: keeps every product of a layer inside u64.
pub const MAX_DIM: i64 = 1 << 24;

fn positive(field: &str, v: i64) -> Result<(), String> {
    if v <= 0 {
        Err(format!("field '{field}' must be positive, got {v}"))
    } else if v > MAX_DIM {
        Err(format!(
            "field '{field}' = {v} exceeds the maximum size {MAX_DIM}"
        ))
    } else {
        Ok(())
    }
}

fn check_window(
    axis: &str,
    input: i64,
    kernel: i64,
    stride: i64,
    padding: Padding,
) -> Result<i64, String> {
    if let Padding::Explicit(p) = padding {
        if p < 0 {
            return Err(format!(
                "field 'padding' must be \"same\", \"valid\" or >= 0, got {p}"
            ));
        }
        if p > MAX_DIM {
            return Err(format!(
                "field 'padding' = {p} exceeds the maximum size {MAX_DIM}"
            ));
        }
    }
    out_dim(input, kernel, stride, padding).ok_or_else(|| {
        format!("kernel {axis} {kernel} is larger than the padded input {axis} {input} (padding {padding:?})")
    })
}

impl Layer {
    pub fn name(&self) -> Option<&str> {
        match self {
            Layer::Conv2d(l) => l.name.as_deref(),
            Layer::ConvTranspose2d(l) => l.name.as_deref(),
            Layer::Depthwise(l) => l.name.as_deref(),
            Layer::Dense(l) => l.name.as_deref(),
            Layer::Lstm(l) => l.name.as_deref(),
            Layer::Pool(l) => l.name.as_deref(),
            Layer::Add(l) => l.name.as_deref(),
            Layer::Concat(l) => l.name.as_deref(),
            Layer::Resize(l) => l.name.as_deref(),
            Layer::Embedding(l) => l.name.as_deref(),
        }
    }

    /// The file spelling of the layer type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Layer::Conv2d(_) => "conv2d",
            Layer::ConvTranspose2d(_) => "conv_transpose2d",
            Layer::Depthwise(_) => "depthwise",
            Layer::Dense(_) => "dense",
            Layer::Lstm(_) => "lstm",
            Layer::Pool(_) => "pool",
            Layer::Add(_) => "add",
            Layer::Concat(_) => "concat",
            Layer::Resize(_) => "resize",
            Layer::Embedding(_) => "embedding",
        }
    }

    pub fn class(&self) -> LayerClass {
        match self {
            Layer::Conv2d(c) if c.groups > 1 && c.groups == c.in_c => LayerClass::Depthwise,
            Layer::Conv2d(_) | Layer::ConvTranspose2d(_) => LayerClass::Conv,
            Layer::Depthwise(_) => LayerClass::Depthwise,
            Layer::Dense(_) => LayerClass::Dense,
            Layer::Lstm(_) => LayerClass::Lstm,
            _ => LayerClass::Memory,
        }
    }

    /// Check every size and relation; the error names the field (the caller adds the layer).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Layer::Conv2d(c) => {
                for (f, v) in [
                    ("in_h", c.in_h),
                    ("in_w", c.in_w),
                    ("in_c", c.in_c),
                    ("out_c", c.out_c),
                    ("kernel[0]", c.kernel.h),
                    ("kernel[1]", c.kernel.w),
                    ("stride", c.stride),
                    ("groups", c.groups),
                ] {
                    positive(f, v)?;
                }
                if c.in_c % c.groups != 0 || c.out_c % c.groups != 0 {
                    return Err(format!(
                        "field 'groups' ({}) must divide in_c ({}) and out_c ({})",
                        c.groups, c.in_c, c.out_c
                    ));
                }
                check_window("height", c.in_h, c.kernel.h, c.stride, c.padding)?;
                check_window("width", c.in_w, c.kernel.w, c.stride, c.padding)?;
                Ok(())
            }
            Layer::ConvTranspose2d(c) => {
                for (f, v) in [
                    ("in_h", c.in_h),
                    ("in_w", c.in_w),
                    ("in_c", c.in_c),
                    ("out_c", c.out_c),
                    ("kernel[0]", c.kernel.h),
                    ("kernel[1]", c.kernel.w),
                    ("stride", c.stride),
                ] {
                    positive(f, v)?;
                }
                Ok(())
            }
            Layer::Depthwise(c) => {
                for (f, v) in [
                    ("in_h", c.in_h),
                    ("in_w", c.in_w),
                    ("channels", c.channels),
                    ("kernel[0]", c.kernel.h),
                    ("kernel[1]", c.kernel.w),
                    ("stride", c.stride),
                    ("multiplier", c.multiplier),
                ] {
                    positive(f, v)?;
                }
                check_window("height", c.in_h, c.kernel.h, c.stride, c.padding)?;
                check_window("width", c.in_w, c.kernel.w, c.stride, c.padding)?;
                Ok(())
            }
            Layer::Dense(d) => {
                positive("in_features", d.in_features)?;
                positive("out_features", d.out_features)?;
                positive("rows", d.rows)
            }
            Layer::Lstm(l) => {
                positive("input_size", l.input_size)?;
                positive("hidden_size", l.hidden_size)?;
                positive("steps", l.steps)?;
                if let Some(p) = l.proj_size {
                    positive("proj_size", p)?;
                }
                Ok(())
            }
            Layer::Pool(p) => {
                positive("in_h", p.in_h)?;
                positive("in_w", p.in_w)?;
                positive("channels", p.channels)?;
                if p.global {
                    return Ok(());
                }
                let k = p
                    .kernel
                    .ok_or("field 'kernel' is required unless global = true")?;
                positive("kernel[0]", k.h)?;
                positive("kernel[1]", k.w)?;
                positive("stride", p.stride.unwrap_or(k.h))?;
                let s = p.stride.unwrap_or(k.h);
                check_window("height", p.in_h, k.h, s, p.padding)?;
                check_window("width", p.in_w, k.w, s, p.padding)?;
                Ok(())
            }
            Layer::Add(a) => {
                positive("h", a.h)?;
                positive("w", a.w)?;
                positive("channels", a.channels)?;
                positive("inputs", a.inputs)
            }
            Layer::Concat(c) => {
                positive("h", c.h)?;
                positive("w", c.w)?;
                if c.channels.is_empty() {
                    return Err("field 'channels' must list at least one input".into());
                }
                for (i, &ch) in c.channels.iter().enumerate() {
                    positive(&format!("channels[{i}]"), ch)?;
                }
                let total: i64 = c.channels.iter().sum();
                positive("channels (total)", total)
            }
            Layer::Resize(r) => {
                for (f, v) in [
                    ("in_h", r.in_h),
                    ("in_w", r.in_w),
                    ("channels", r.channels),
                    ("out_h", r.out_h),
                    ("out_w", r.out_w),
                ] {
                    positive(f, v)?;
                }
                Ok(())
            }
            Layer::Embedding(e) => {
                positive("vocab", e.vocab)?;
                positive("dim", e.dim)?;
                positive("tokens", e.tokens)
            }
        }
    }
}
