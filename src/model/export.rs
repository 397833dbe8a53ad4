//! The trained models as files, so a result can be used elsewhere:
//!
//! - burn's own record (burnpack, `.bpk`): `Mlp::new(h, &device).load_record(ModuleRecord::from_bytes(…))`.
//! - a small, documented JSON (`prunelab-mlp` version 1) that any language reads: shapes, the
//!   0/1 masks and the weights, in Keras' layout. `docs/export-format.md` describes every field.
//!
//! Both are written from the host copy of the weights through a model on the CPU backend, whose
//! reads are synchronous; a WebGPU tensor could not be read synchronously on wasm.

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::data::IMAGE_PIXELS;
use crate::model::kind::ModelKind;
use crate::model::weights::MlpWeights;
use crate::model::{CLASSES, Mlp};

pub const FORMAT: &str = "prunelab-mlp";
pub const VERSION: u32 = 1;

/// The JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedModel {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// "dense", "pruned" or "structured".
    pub model: String,
    /// How to compute the logits from the fields below.
    pub forward: String,
    /// Fraction of the 10,000 MNIST test images classified correctly.
    pub test_accuracy: Option<f64>,
    /// The page's URL query that reproduces the run.
    pub settings: String,
    /// Structured model: which of the dense model's hidden units survive, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_units: Option<Vec<usize>>,
    /// The hidden layer, then the output layer.
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    /// "relu" or "linear" (logits).
    pub activation: String,
    /// `[inputs, outputs]`, row-major: `kernel.values[i * outputs + j]` connects input i to output j.
    pub kernel: Array<f32>,
    /// Same shape as the kernel: 1 kept, 0 pruned (pruned weights are also exactly 0 in `kernel`).
    pub mask: Array<u8>,
    /// `[outputs]`; biases are never pruned.
    pub bias: Array<f32>,
}

/// A row-major n-dimensional array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Array<T> {
    pub shape: Vec<usize>,
    pub values: Vec<T>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExportError {
    #[error("not a {FORMAT} file: {0}")]
    Format(String),
    #[error("{0}")]
    Record(String),
}

/// What a file describes beyond the weights.
pub struct About<'a> {
    pub model: ModelKind,
    pub test_accuracy: Option<f64>,
    pub settings: &'a str,
    pub kept_units: Option<&'a [usize]>,
}

fn layer(name: &str, activation: &str, kernel: &[f32], bias: &[f32], inputs: usize, outputs: usize) -> Layer {
    Layer {
        name: name.into(),
        activation: activation.into(),
        kernel: Array { shape: vec![inputs, outputs], values: kernel.to_vec() },
        mask: Array { shape: vec![inputs, outputs], values: kernel.iter().map(|&w| u8::from(w != 0.0)).collect() },
        bias: Array { shape: vec![outputs], values: bias.to_vec() },
    }
}

impl ExportedModel {
    pub fn new(w: &MlpWeights, about: &About) -> Self {
        ExportedModel {
            format: FORMAT.into(),
            version: VERSION,
            model: about.model.key().into(),
            forward: "x: 784 pixels of a 28×28 image, row by row, scaled to [0, 1]; \
                      h = relu(x · hidden.kernel + hidden.bias); logits = h · output.kernel + output.bias"
                .into(),
            test_accuracy: about.test_accuracy,
            settings: about.settings.into(),
            kept_units: about.kept_units.map(<[usize]>::to_vec),
            layers: vec![
                layer("hidden", "relu", &w.hidden_kernel, &w.hidden_bias, w.inputs, w.hidden),
                layer("output", "linear", &w.output_kernel, &w.output_bias, w.hidden, CLASSES),
            ],
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// Reads a file back, checking that every shape fits the 784 → h → 10 network.
    pub fn from_json(text: &str) -> Result<Self, ExportError> {
        let model: ExportedModel = serde_json::from_str(text).map_err(|e| ExportError::Format(e.to_string()))?;
        if model.format != FORMAT || model.version != VERSION {
            return Err(ExportError::Format(format!("format {:?} version {}", model.format, model.version)));
        }
        model.weights()?;
        Ok(model)
    }

    pub fn weights(&self) -> Result<MlpWeights, ExportError> {
        let [hidden, output] = &self.layers[..] else {
            return Err(ExportError::Format(format!("{} layers, expected 2", self.layers.len())));
        };
        let units = hidden.bias.values.len();
        let expect = |l: &Layer, inputs: usize, outputs: usize| {
            let fits = l.kernel.shape == [inputs, outputs]
                && l.mask.shape == l.kernel.shape
                && l.kernel.values.len() == inputs * outputs
                && l.mask.values.len() == inputs * outputs
                && l.bias.shape == [outputs]
                && l.bias.values.len() == outputs;
            if fits { Ok(()) } else { Err(ExportError::Format(format!("layer {:?} does not have shape [{inputs}, {outputs}]", l.name))) }
        };
        expect(hidden, IMAGE_PIXELS, units)?;
        expect(output, units, CLASSES)?;
        Ok(MlpWeights {
            inputs: IMAGE_PIXELS,
            hidden: units,
            hidden_kernel: hidden.kernel.values.clone(),
            hidden_bias: hidden.bias.values.clone(),
            output_kernel: output.kernel.values.clone(),
            output_bias: output.bias.values.clone(),
        })
    }
}

/// burn's record of the model holding `w`, as burnpack bytes.
pub fn burnpack(w: &MlpWeights) -> Result<Vec<u8>, ExportError> {
    let record = Mlp::from_weights(w, &Device::flex()).into_record();
    let bytes = record.into_bytes().map_err(|e| ExportError::Record(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// A model on `device` from burnpack bytes (a 784 → h → 10 record, h read from it).
pub fn from_burnpack(bytes: &[u8], hidden: usize, device: &Device) -> Result<Mlp, ExportError> {
    let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| ExportError::Record(e.to_string()))?;
    Mlp::new(hidden, device).try_load_record(record).map_err(|e| ExportError::Record(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prune::structured::tests::tiny;

    fn weights() -> MlpWeights {
        let mut w = MlpWeights {
            inputs: IMAGE_PIXELS,
            hidden: 3,
            hidden_kernel: (0..IMAGE_PIXELS * 3).map(|i| ((i * 31 % 17) as f32 - 8.0) / 7.0).collect(),
            hidden_bias: vec![0.1, -0.2, 0.3],
            output_kernel: (0..3 * CLASSES).map(|i| (i as f32 + 0.5).sin()).collect(),
            output_bias: (0..CLASSES).map(|i| i as f32 / 3.0).collect(),
        };
        w.hidden_kernel.iter_mut().step_by(5).for_each(|x| *x = 0.0);
        w
    }

    fn about() -> About<'static> {
        About { model: ModelKind::Pruned, test_accuracy: Some(0.97), settings: "prune=poly", kept_units: None }
    }

    #[test]
    fn json_round_trips_every_weight_exactly() {
        let w = weights();
        let text = ExportedModel::new(&w, &about()).to_json();
        let back = ExportedModel::from_json(&text).unwrap();
        assert_eq!(back.weights().unwrap(), w);
        assert_eq!(back.model, "pruned");
        let mask = &back.layers[0].mask;
        assert_eq!(mask.shape, vec![784, 3]);
        assert_eq!(mask.values.iter().filter(|&&m| m == 0).count(), w.hidden_kernel.iter().filter(|&&x| x == 0.0).count());
        assert!(back.layers[1].mask.values.iter().all(|&m| m == 1));
    }

    #[test]
    fn json_that_does_not_fit_the_network_is_refused() {
        let mut model = ExportedModel::new(&weights(), &about());
        model.layers[1].kernel.values.pop();
        assert!(matches!(ExportedModel::from_json(&model.to_json()), Err(ExportError::Format(_))));
        assert!(ExportedModel::from_json("{}").is_err());
        let mut other = ExportedModel::new(&weights(), &about());
        other.version = 2;
        assert!(ExportedModel::from_json(&other.to_json()).is_err());
        // The tiny test network has 6 inputs, not 784.
        assert!(ExportedModel::new(&tiny(), &about()).weights().is_err());
    }

    #[test]
    fn the_burn_record_loads_back_into_the_same_model() {
        let w = weights();
        let bytes = burnpack(&w).unwrap();
        assert_eq!(&bytes[..4], &0x4255_524E_u32.to_le_bytes(), "burnpack magic");
        let device = Device::flex();
        let model = from_burnpack(&bytes, w.hidden, &device).unwrap();
        let back = futures_lite::future::block_on(model.read_weights()).unwrap();
        assert_eq!(back, w);
        assert!(from_burnpack(&bytes, w.hidden + 1, &device).is_err(), "a record of another shape is refused");
        assert!(from_burnpack(b"not a record", w.hidden, &device).is_err());
    }
}
