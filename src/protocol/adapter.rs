//! What the browser says about its WebGPU adapter, and whether it is a software renderer: on
//! SwiftShader or llvmpipe a WebGPU step of this small network is tens of times slower than
//! burn's CPU backend in the same page, so `backend=auto` trains on the CPU there.

/// `GPUAdapterInfo`'s fields, as the browser reports them (empty when it does not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub device: String,
    pub description: String,
    /// `GPUAdapterInfo.isFallbackAdapter` (or the older `GPUAdapter.isFallbackAdapter`).
    pub is_fallback: bool,
}

/// Software renderers that browsers expose as WebGPU adapters.
const SOFTWARE: [&str; 4] = ["swiftshader", "llvmpipe", "lavapipe", "warp"];

impl AdapterInfo {
    /// The adapter in a few words.
    pub fn describe(&self) -> String {
        let parts: Vec<&str> =
            [&self.vendor, &self.architecture, &self.device, &self.description].into_iter().map(|s| s.as_str()).filter(|s| !s.is_empty()).collect();
        if parts.is_empty() { "WebGPU adapter (the browser does not describe it)".into() } else { parts.join(" / ") }
    }

    /// Why this adapter is a software renderer, or `None` for a hardware GPU.
    pub fn software(&self) -> Option<String> {
        if self.is_fallback {
            return Some("the browser marks it as a fallback adapter".into());
        }
        let text = self.describe().to_ascii_lowercase();
        // "warp" only as a word: Microsoft's WARP, not a substring of some GPU's name.
        SOFTWARE
            .iter()
            .find(|name| text.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == **name))
            .map(|name| format!("it is {name}, a software renderer running on the CPU"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(vendor: &str, architecture: &str, description: &str) -> AdapterInfo {
        AdapterInfo { vendor: vendor.into(), architecture: architecture.into(), description: description.into(), ..AdapterInfo::default() }
    }

    #[test]
    fn software_renderers_are_recognised_by_name_or_flag() {
        assert!(info("google", "swiftshader", "").software().unwrap().contains("swiftshader"));
        assert!(info("mesa", "", "llvmpipe (LLVM 15.0.6, 256 bits)").software().is_some());
        assert!(AdapterInfo { is_fallback: true, ..info("nvidia", "ada", "") }.software().is_some());
        assert_eq!(info("nvidia", "ada", "NVIDIA GeForce RTX 4090").software(), None);
        assert_eq!(info("apple", "metal-3", "").software(), None);
        // A name that merely contains "warp" is not Microsoft's WARP.
        assert_eq!(info("amd", "rdna-3", "Warpspeed X").software(), None);
        assert!(info("microsoft", "", "Microsoft Basic Render Driver (WARP)").software().is_some());
    }

    #[test]
    fn the_description_skips_what_the_browser_leaves_empty() {
        assert_eq!(info("google", "swiftshader", "").describe(), "google / swiftshader");
        assert_eq!(AdapterInfo::default().describe(), "WebGPU adapter (the browser does not describe it)");
    }
}
