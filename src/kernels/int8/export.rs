//! An int8 model as a small documented JSON (`prunelab-int8-mlp` version 1), the companion of
//! `export::ExportedModel`: the codes, their scales and the biases, laid out as the engine runs
//! them, so another program reproduces the page's logits exactly. `docs/export-format.md` describes it.

use crate::model::kind::ModelKind;
use serde::Serialize;

use super::model::{Codes, Int8Layer, Int8Mlp};

pub const FORMAT: &str = "prunelab-int8-mlp";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedInt8 {
    pub format: &'static str,
    pub version: u32,
    /// "int8" or "pruned-int8".
    pub model: ModelKind,
    pub forward: &'static str,
    pub scheme: &'static str,
    pub test_accuracy: Option<f64>,
    /// The page's URL query that reproduces the run.
    pub settings: String,
    /// code = clamp(round_half_even(x / scale), −127, 127) for the image's pixels …
    pub input_scale: f32,
    /// … and for the hidden activations after ReLU.
    pub activation_scale: f32,
    pub layers: Vec<ExportedLayer>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedLayer {
    pub name: &'static str,
    pub inputs: usize,
    pub outputs: usize,
    /// "dense": `codes[o * inputs + i]`; "csr": unit o's codes are `codes[row_ptr[o]..row_ptr[o + 1]]`
    /// from the inputs `indices[..]` (the same range).
    pub layout: &'static str,
    pub codes: Vec<i8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_ptr: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indices: Option<Vec<u16>>,
    /// One per output unit: weight = code × scale.
    pub scales: Vec<f32>,
    pub bias: Vec<f32>,
}

fn layer(name: &'static str, l: &Int8Layer) -> ExportedLayer {
    let (layout, codes, row_ptr, indices) = match &l.codes {
        Codes::Dense(codes) => ("dense", codes.clone(), None, None),
        Codes::Sparse(s) => ("csr", s.row_values.clone(), Some(s.row_ptr.clone()), Some(s.row_inputs.clone())),
    };
    ExportedLayer {
        name,
        inputs: l.inputs,
        outputs: l.outputs,
        layout,
        codes,
        row_ptr,
        indices,
        scales: l.weights.iter().map(|q| q.scale).collect(),
        bias: l.bias.clone(),
    }
}

impl ExportedInt8 {
    pub fn new(model: &Int8Mlp, name: ModelKind, test_accuracy: Option<f64>, settings: &str) -> Self {
        ExportedInt8 {
            format: FORMAT,
            version: VERSION,
            model: name,
            forward: "xq = code(x, input_scale); acc_o = Σ_i hidden.code[o,i] · xq_i (integers); \
                      h_o = max(acc_o · hidden.scales[o] · input_scale + hidden.bias[o], 0); hq = code(h, activation_scale); \
                      logit_c = (Σ_j output.code[c,j] · hq_j) · output.scales[c] · activation_scale + output.bias[c]",
            scheme: super::SCHEME,
            test_accuracy,
            settings: settings.into(),
            input_scale: model.input.scale,
            activation_scale: model.activation.scale,
            layers: vec![layer("hidden", &model.hidden), layer("output", &model.output)],
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::int8::model::Calibration;
    use crate::kernels::int8::scale::Quantizer;
    use crate::kernels::sparse::layout::thresholded;
    use crate::prune::structured::tests::tiny;

    /// What a reader of the file computes, from the JSON alone, as its `forward` says.
    fn logits(json: &serde_json::Value, image: &[f32]) -> Vec<f32> {
        let f = |v: &serde_json::Value| v.as_f64().unwrap() as f32;
        let input = Quantizer::for_max(f(&json["input_scale"]) * 127.0);
        let activation = Quantizer::for_max(f(&json["activation_scale"]) * 127.0);
        let layer = |l: &serde_json::Value, x: &[i8]| -> Vec<i32> {
            let (inputs, outputs) = (l["inputs"].as_u64().unwrap() as usize, l["outputs"].as_u64().unwrap() as usize);
            let codes: Vec<i32> = l["codes"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap() as i32).collect();
            (0..outputs)
                .map(|o| match l["layout"].as_str().unwrap() {
                    "dense" => (0..inputs).map(|i| codes[o * inputs + i] * i32::from(x[i])).sum(),
                    _ => {
                        let ptr = l["row_ptr"].as_array().unwrap();
                        let (a, b) = (ptr[o].as_u64().unwrap() as usize, ptr[o + 1].as_u64().unwrap() as usize);
                        (a..b).map(|k| codes[k] * i32::from(x[l["indices"][k].as_u64().unwrap() as usize])).sum()
                    }
                })
                .collect()
        };
        let (hidden, output) = (&json["layers"][0], &json["layers"][1]);
        let xq: Vec<i8> = image.iter().map(|&p| input.quantize(p)).collect();
        let real = |l: &serde_json::Value, o: usize, acc: i32, scale: f32| acc as f32 * (f(&l["scales"][o]) * scale) + f(&l["bias"][o]);
        let hq: Vec<i8> = layer(hidden, &xq).into_iter().enumerate().map(|(o, acc)| activation.quantize(real(hidden, o, acc, input.scale).max(0.0))).collect();
        layer(output, &hq).into_iter().enumerate().map(|(c, acc)| real(output, c, acc, activation.scale)).collect()
    }

    #[test]
    fn the_file_alone_reproduces_the_logits_exactly() {
        for (sparse, sparsity) in [(false, 0.0), (true, 0.7)] {
            let w = thresholded(&tiny(), sparsity);
            let images: Vec<f32> = (0..4 * w.inputs).map(|i| (i % 5) as f32 / 4.0).collect();
            let model = Int8Mlp::new(&w, &Calibration::measure(&w, &images), sparse).unwrap();
            let json: serde_json::Value = serde_json::from_str(&ExportedInt8::new(&model, ModelKind::Int8, Some(0.9), "quantize=int8").to_json()).unwrap();
            assert_eq!((json["format"].as_str(), json["layers"][0]["layout"].as_str()), (Some(FORMAT), Some(if sparse { "csr" } else { "dense" })));
            for image in images.chunks(w.inputs) {
                assert_eq!(logits(&json, image), model.reference(image), "sparse {sparse}");
            }
        }
    }
}
