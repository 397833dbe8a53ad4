// The page's start, as trunk loads its WebAssembly (index.html's `data-initializer`). Until that
// WebAssembly runs, nothing else can say that it failed (a browser without WebAssembly SIMD, a
// failed or damaged download): this does, with a way on, instead of a blank page.

// (func (result v128) (i8x16.splat (i32.const 0))): valid wherever WebAssembly has SIMD.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);

function failed(reason) {
  if (document.getElementById('start-error')) return;
  const simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  const banner = document.createElement('div');
  banner.className = 'banner error';
  banner.setAttribute('role', 'alert');
  banner.id = 'start-error';
  banner.textContent = simd
    ? 'PruneLab could not start: its WebAssembly did not load, or arrived damaged. Reload to try again. '
    : 'PruneLab cannot run in this browser: it needs WebAssembly with SIMD (Chrome or Edge 91, Firefox 89, Safari 16.4 or newer). ';
  const detail = document.createElement('small');
  detail.textContent = `(${reason})`;
  const reload = document.createElement('button');
  reload.textContent = 'Reload';
  reload.addEventListener('click', () => location.reload());
  banner.append(detail, reload);
  document.body.prepend(banner);
  document.body.dataset.state = 'error';
}

// trunk's loader reads the download itself and leaves a stream that breaks off unhandled.
const broken = (event) => failed(event.reason);

export default function start() {
  addEventListener('unhandledrejection', broken);
  return {
    onSuccess: () => removeEventListener('unhandledrejection', broken),
    onFailure: failed,
  };
}
