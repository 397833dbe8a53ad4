// Serves the built page and drives headless Chromium against it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';

export const DIST = process.env.DIST ?? path.resolve(import.meta.dirname, '../../dist');

// WebGPU through Chromium's bundled SwiftShader (Vulkan on the CPU): works with no GPU at all.
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // `gc()` in the page and its workers, so a memory test can collect before it counts.
  '--js-flags=--expose-gc',
];

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.gz': 'application/gzip', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon',
};

/** Serves `dir` on 127.0.0.1 under `prefix` (a sub-path such as `/blog/prunelab/`). `hold(name)`,
 *  when given, may return a promise for a file name: that file is sent once it settles.
 *  `fault(name, how)` makes the file `name` fail until `heal()`: `how` a status (404) or
 *  'corrupt' (one byte flipped in its middle) or 'truncated' (its first half only), as a broken
 *  server or network would, in any engine.
 *  `requested` lists the file names asked for, in order: what a page fetched, seen from the server.
 *  `instrument(prelude)` serves the engine's loader with `ENGINE_PRELUDE` and `prelude` in front
 *  (null: as built), so a test can reach into the engine's worker in any engine. */
export async function serve(dir = DIST, prefix = '/', { hold } = {}) {
  const faults = new Map();
  const requested = [];
  let enginePrelude = null;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const name = path.basename(url.pathname);
    requested.push(name);
    await hold?.(name);
    if (!url.pathname.startsWith(prefix)) { res.writeHead(404).end('outside the sub-path'); return; }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
    const file = path.join(dir, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
    const fault = faults.get(name);
    if (typeof fault === 'number') { res.writeHead(fault, { 'cache-control': 'no-store' }).end('failed on purpose'); return; }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) { res.writeHead(404).end('not found'); return; }
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      if (enginePrelude !== null && name === 'engine_loader.js') {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(ENGINE_PRELUDE + enginePrelude + fs.readFileSync(file, 'utf8'));
        return;
      }
      if (fault === 'corrupt' || fault === 'truncated') {
        let body = fs.readFileSync(file);
        if (fault === 'corrupt') body[Math.floor(body.length / 2)] ^= 0xff;
        else body = body.subarray(0, Math.floor(body.length / 2));
        res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store' }).end(body);
        return;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': stat.size });
      fs.createReadStream(file).pipe(res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}${prefix}`;
  return {
    base,
    requested,
    fault: (name, how) => faults.set(name, how),
    heal: () => faults.clear(),
    instrument: (prelude) => { enginePrelude = prelude; },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A suite's page server (under `prefix`) and browser: started before its tests, closed after
 *  them. Call it in a `describe` body; read `env.server` and `env.browser` in the tests. The
 *  browser contexts a test opens are closed when it ends (those opened in a `before` hook stay, for
 *  the suite's tests to share). */
export function browserSuite(prefix = '/') {
  const env = { server: null, browser: null };
  let openBefore = new Set();
  before(async () => {
    env.server = await serve(DIST, prefix);
    env.browser = await launch();
  });
  beforeEach(() => { openBefore = new Set(env.browser.contexts()); });
  afterEach(async () => {
    for (const context of env.browser.contexts()) if (!openBefore.has(context)) await context.close();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

export async function launch() {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  // headless: false because --headless=new is passed explicitly, with the WebGPU flags.
  return chromium.launch({ executablePath, headless: false, args: CHROMIUM_ARGS });
}

/** Opens `url` in a fresh context (after `initScript`, one or a list), echoing page errors to the test log. */
export async function open(browser, url, { initScript, viewport, colorScheme, permissions } = {}) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1100, height: 900 }, colorScheme: colorScheme ?? 'light', permissions: permissions ?? [] });
  for (const script of [initScript ?? []].flat()) await context.addInitScript(script);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[console.error] ${m.text()}`); });
  await page.goto(url);
  return page;
}

/** The page's engine worker (training, pruning and latency run there), once it has started. */
export async function engineWorker(page) {
  return page.workers()[0] ?? page.waitForEvent('worker', { timeout: 60_000 });
}

/** Waits until the page reaches one of `states` (on `<body data-state>`) and returns its report. */
export async function waitForState(page, states = ['done', 'error', 'cancelled'], timeout = 10 * 60_000) {
  try {
    await page.waitForFunction((s) => s.includes(document.body.dataset.state), states, { timeout, polling: 500 });
  } catch (e) {
    // Say where the page stood, so a hang names its stage.
    const seen = await page.evaluate(() => {
      const r = JSON.parse(document.getElementById('prunelab-report')?.textContent || '{}');
      return { state: document.body.dataset.state, panic: document.body.dataset.panic ?? null, stages: (r.stages ?? []).map((st) => st.stage), error: r.error ?? null };
    }).catch((err) => ({ unreadable: String(err) }));
    throw new Error(`waiting for ${states.join('/')}: ${e.message}; the page stood at ${JSON.stringify(seen)}`);
  }
  return report(page);
}

export async function report(page) {
  const text = await page.locator('#prunelab-report').textContent();
  return JSON.parse(text);
}

/** The panic marker the page's panic hook sets; null when the page never panicked. */
export async function panicMessage(page) {
  return page.evaluate(() => document.body.dataset.panic ?? null);
}

/** Test-set image `index` (28 × 28 bytes) and its label, from the files the page ships. */
export function testDigit(index) {
  const read = (name) => zlib.gunzipSync(fs.readFileSync(path.join(DIST, 'mnist', `${name}.gz`)));
  const images = read('t10k-images-idx3-ubyte');
  const labels = read('t10k-labels-idx1-ubyte');
  return { pixels: images.subarray(16 + index * 784, 16 + (index + 1) * 784), label: labels[8 + index] };
}

/** The strokes that trace a 28 × 28 digit onto the drawing canvas at `box` (its place in the
 *  viewport): one per horizontal run of ink, each MNIST pixel 10 canvas pixels wide, as
 *  `[[x0, y], [x1, y]]` in viewport pixels. Every engine's driver draws these. */
export function digitStrokes(pixels, box) {
  const at = (v) => (v * 10 + 5) * (box.width / 280);
  const strokes = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[y * 28 + x] < 128) continue;
      let end = x;
      while (end + 1 < 28 && pixels[y * 28 + end + 1] >= 128) end++;
      strokes.push([[box.x + at(x), box.y + at(y)], [box.x + at(end), box.y + at(y)]]);
      x = end;
    }
  }
  return strokes;
}

/** Traces a digit onto the page's drawing canvas with real pointer input (Playwright's or
 *  puppeteer's `page.mouse`; `box`: the canvas's place in the viewport). */
export async function traceDigit(mouse, box, pixels) {
  for (const [[x0, y], [x1]] of digitStrokes(pixels, box)) {
    await mouse.move(x0, y);
    await mouse.down();
    await mouse.move(x1, y, { steps: 2 });
    await mouse.up();
  }
}

/** Traces a digit onto the page's drawing canvas (Playwright). */
export async function drawDigit(page, pixels) {
  const canvas = page.locator('#draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  await traceDigit(page.mouse, await canvas.boundingBox(), pixels);
}

/** Run in the page before an export button is pressed: the page's downloads (`<a download>`
 *  clicks on a Blob URL) are kept in `window.__saved` instead of being saved, in any engine. */
export function keepDownloads() {
  window.__saved = [];
  HTMLAnchorElement.prototype.click = function () {
    window.__saved.push({ name: this.download, bytes: fetch(this.href).then((r) => r.arrayBuffer()) });
  };
}

/** Run in the page: the `count`-th kept download, `{ name, text, size, magic }` (`text` for JSON;
 *  `magic` the first 4 bytes as a little-endian u32), once there is one (the engine makes the file
 *  after the click, in its worker). */
export async function keptDownload(count = 1) {
  for (let waited = 0; window.__saved.length < count && waited < 30_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const saved = window.__saved[count - 1];
  if (!saved) return null;
  const bytes = await saved.bytes;
  const text = saved.name.endsWith('.json') ? new TextDecoder().decode(bytes) : null;
  return { name: saved.name, text, size: bytes.byteLength, magic: bytes.byteLength >= 4 ? new DataView(bytes).getUint32(0, true) : null };
}

/** axe-core's source, installed in a page by whichever driver drives it. */
export const AXE_SOURCE = fs.readFileSync(path.join(import.meta.dirname, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** In the page: installs axe-core from its source as a script of the page's own. */
export function installAxe(source) {
  const script = document.createElement('script');
  script.textContent = source;
  document.head.append(script);
  return typeof window.axe;
}

/** In the page: axe-core's WCAG 2.1 A/AA audit of the page as it is now (violations, at most five
 *  nodes each, and the rules that passed). */
export async function axeAudit() {
  const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  const violations = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, summary: n.failureSummary })) }));
  return { violations, passed: result.passes.map((p) => p.id) };
}

/** The audit's violations, one line each, once it is clear it looked at what matters here (so an
 *  empty list means something). */
export function violationLines({ violations, passed }) {
  for (const rule of ['color-contrast', 'label', 'button-name', 'role-img-alt', 'svg-img-alt', 'html-has-lang']) {
    assert.ok(passed.includes(rule) || violations.some((v) => v.id === rule), `axe did not check ${rule}: ${passed}`);
  }
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.summary.replace(/\s+/g, ' ')}`));
}

/** A latency figure of the report: measured, and by the protocol (`what` names the backend). */
export function assertTiming(t, what) {
  assert.ok(t, `${what} is missing`);
  assert.ok(t.median_ms > 0 && t.p95_ms >= t.median_ms && t.runs >= t.k && t.k >= 1, `${what}: ${JSON.stringify(t)}`);
  if (/webgpu/i.test(what)) {
    // The GPU's empty round trip was measured, and the K passes of a window outlast it ten times
    // (half that for the median window: the first window past the minimum stops the growth).
    assert.ok(t.round_trip_ms > 0 && (t.k * t.median_ms >= 5 * t.round_trip_ms || t.k === 65536), `${what}: ${JSON.stringify(t)}`);
  } else if (/cpu/i.test(what)) {
    assert.ok(t.round_trip_ms < 1, `${what}: a host engine reads nothing back: ${JSON.stringify(t)}`);
  }
}

/** What every engine checks of a pruned model's JSON export against the run's report. */
export function assertPrunedExport(json, report) {
  assert.equal(json.format, 'prunelab-mlp');
  assert.equal(json.version, 1);
  assert.equal(json.test_accuracy, report.pruned.test_accuracy);
  assert.deepEqual(json.layers.map((l) => [l.name, l.kernel.shape, l.mask.shape, l.bias.shape]),
    [['hidden', [784, 128], [784, 128], [128]], ['output', [128, 10], [128, 10], [10]]]);
  const hidden = json.layers[0];
  assert.equal(hidden.kernel.values.length, 784 * 128);
  assert.equal(hidden.mask.values.filter((m) => m === 1).length, report.prune.layers[0].kept);
  assert.ok(hidden.kernel.values.every((w, i) => hidden.mask.values[i] === 1 || w === 0), 'pruned weights are zero');
}

/** What runs in the engine's worker before the engine: it instruments the worker's global scope,
 *  so a test can read the engine's wasm memory (`__memories`), its live GPU buffers (`__gpu`)
 *  and its GPU devices (`__devices`) from there. */
const ENGINE_PRELUDE = `
  globalThis.__memories = [];
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = async (...args) => {
      const made = await original(...args);
      const memory = (made.instance ?? made).exports.memory;
      if (memory) globalThis.__memories.push(memory);
      return made;
    };
  }
  globalThis.__gpu = { created: 0, live: 0 };
  globalThis.__devices = [];
  if (globalThis.GPUAdapter) {
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const device = await requestDevice.apply(this, args);
      globalThis.__devices.push(device);
      return device;
    };
    const createBuffer = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (...args) {
      const buffer = createBuffer.apply(this, args);
      globalThis.__gpu.created++;
      globalThis.__gpu.live++;
      // A buffer stops counting when it is destroyed, or when nothing holds it any more (the
      // collector then frees it): wgpu's web backend leaves destroy() to its callers, and
      // cubecl drops the pages it no longer needs without calling it.
      const state = { counted: true };
      const forget = () => { if (state.counted) { state.counted = false; globalThis.__gpu.live--; } };
      (globalThis.__collected ??= new FinalizationRegistry((s) => { if (s.counted) { s.counted = false; globalThis.__gpu.live--; } })).register(buffer, state);
      const destroy = buffer.destroy;
      buffer.destroy = function () {
        forget();
        return destroy.call(this);
      };
      return buffer;
    };
  }
`;

/** Opens `url` with the engine's worker instrumented (see `ENGINE_PRELUDE`), and `prelude` (script
 *  source) run after that, before the engine: its loader script is served with them in front, so
 *  the worker keeps its own URL and relative fetches. */
export async function openInstrumented(browser, url, options = {}, prelude = '') {
  const page = await open(browser, 'about:blank', options);
  await page.route('**/engine_loader.js', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: ENGINE_PRELUDE + prelude + await response.text() });
  });
  await page.goto(url);
  return page;
}

/** An engine prelude (see `openInstrumented`): every adapter refuses a device. */
export const REFUSE_DEVICE = `
  if (globalThis.GPUAdapter) GPUAdapter.prototype.requestDevice = () => Promise.reject(new DOMException('refused by the test', 'OperationError'));`;

/** An engine prelude (see `openInstrumented`): the fused training step's shader is replaced by text
 *  no WGSL compiler accepts. */
export const BREAK_FUSED_STEP = `
  if (globalThis.GPUDevice) {
    const createShaderModule = GPUDevice.prototype.createShaderModule;
    GPUDevice.prototype.createShaderModule = function (descriptor) {
      return createShaderModule.call(this, descriptor.code.includes('fn grad_w1') ? { ...descriptor, code: 'not WGSL' } : descriptor);
    };
  }`;

/** An engine prelude (see `openInstrumented`) that gives the engine an adapter with nothing but
 *  WebGPU's default limits, whatever the real one offers: what any conformant adapter has. */
export const DEFAULT_LIMITS_ONLY = `
  (() => {
    const defaults = {
      maxTextureDimension1D: 8192, maxTextureDimension2D: 8192, maxTextureDimension3D: 2048, maxTextureArrayLayers: 256,
      maxBindGroups: 4, maxBindGroupsPlusVertexBuffers: 24, maxBindingsPerBindGroup: 1000,
      maxDynamicUniformBuffersPerPipelineLayout: 8, maxDynamicStorageBuffersPerPipelineLayout: 4,
      maxSampledTexturesPerShaderStage: 16, maxSamplersPerShaderStage: 16, maxStorageBuffersPerShaderStage: 8,
      maxStorageTexturesPerShaderStage: 4, maxUniformBuffersPerShaderStage: 12, maxUniformBufferBindingSize: 65536,
      maxStorageBufferBindingSize: 134217728, minUniformBufferOffsetAlignment: 256, minStorageBufferOffsetAlignment: 256,
      maxVertexBuffers: 8, maxBufferSize: 268435456, maxVertexAttributes: 16, maxVertexBufferArrayStride: 2048,
      maxInterStageShaderVariables: 16, maxColorAttachments: 8, maxColorAttachmentBytesPerSample: 32,
      maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256,
      maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupSizeZ: 64, maxComputeWorkgroupsPerDimension: 65535,
    };
    const limits = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'limits').get;
    Object.defineProperty(GPUAdapter.prototype, 'limits', {
      get() {
        const real = limits.call(this);
        const capped = {};
        for (const key in real) capped[key] = key in defaults ? defaults[key] : real[key];
        return capped;
      },
    });
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = function (descriptor = {}) {
      const required = { ...(descriptor.requiredLimits ?? {}) };
      for (const key in required) if (key in defaults) required[key] = defaults[key];
      globalThis.__cappedLimits = true;
      return requestDevice.call(this, { ...descriptor, requiredLimits: required });
    };
  })();
`;

/** An engine prelude (see `openInstrumented`) that gives the engine an adapter without the optional
 *  `timestamp-query` feature, as some conformant GPUs are: the adapter does not list it, and a
 *  device asked for it is refused, as such an adapter's would be. */
export const NO_TIMESTAMP_QUERY = `
  (() => {
    const features = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'features').get;
    Object.defineProperty(GPUAdapter.prototype, 'features', {
      get() { return new Set([...features.call(this)].filter((name) => name !== 'timestamp-query')); },
    });
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = function (descriptor = {}) {
      if ([...(descriptor.requiredFeatures ?? [])].includes('timestamp-query')) {
        return Promise.reject(new TypeError("requestDevice: this adapter has no 'timestamp-query' (hidden by the test)"));
      }
      return requestDevice.call(this, descriptor);
    };
  })();
`;

/** The engine's wasm memory (bytes) and live GPU buffers, read in its worker (see `ENGINE_PRELUDE`),
 *  after a full garbage collection there (Chromium runs with --expose-gc) and its finalizers. */
export async function engineFootprint(page) {
  const worker = await engineWorker(page);
  return worker.evaluate(async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { memory: globalThis.__memories.at(-1)?.buffer.byteLength ?? 0, buffers: globalThis.__gpu.live };
  });
}

/** Every task of the main thread of the pages served under `base`, from Chromium's own trace,
 *  started before the page loads: `const stop = await traceTasks(browser, base)`, then
 *  `await stop()` gives `{ tasks, lost, loaded }`, each task `{ wall_ms, cpu_ms }` from the one
 *  that starts parsing the page's HTML on. (Chromium's own pages, such as the omnibox popup, run in
 *  renderers of their own, left out.) A task's wall time is what the 'longtask' API reports; where
 *  more threads want to run than there are cores (two here, shared with the engine's worker, V8's
 *  compiler threads and a software GPU), it includes the time the page's thread waited for a
 *  core. Its CPU time is the work the page did. */
export async function traceTasks(browser, base) {
  const cdp = await browser.newBrowserCDPSession();
  const threads = new Map();
  const tasks = [];
  const parsed = [];
  cdp.on('Tracing.dataCollected', ({ value }) => {
    for (const e of value) {
      if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
      else if (e.name === 'RunTask' && e.ph === 'X') tasks.push({ pid: e.pid, thread: `${e.pid}:${e.tid}`, ts: e.ts, wall_ms: e.dur / 1000, cpu_ms: (e.tdur ?? e.dur) / 1000 });
      else if (e.name === 'ParseHTML' && e.args?.beginData?.url?.startsWith(base)) parsed.push({ pid: e.pid, ts: e.ts });
    }
  });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { recordMode: 'recordAsMuchAsPossible', includedCategories: ['disabled-by-default-devtools.timeline', 'devtools.timeline', 'loading'] },
  });
  return async () => {
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    const { dataLossOccurred } = await complete;
    await cdp.detach();
    const start = new Map();
    for (const p of parsed) start.set(p.pid, Math.min(start.get(p.pid) ?? Infinity, p.ts));
    const main = tasks.filter((t) => start.has(t.pid) && threads.get(t.thread) === 'CrRendererMain' && t.ts + t.wall_ms * 1000 >= start.get(t.pid));
    return { tasks: main.map(({ wall_ms, cpu_ms }) => ({ wall_ms, cpu_ms })), lost: dataLossOccurred, loaded: start.size > 0 };
  };
}

/** What `traceTasks` saw of a whole run: prints the busiest task and the wall-clock long tasks of
 *  `page` (opened with `observeLongTasks`), and returns the tasks over 50 ms of CPU time, after
 *  checking that the trace is whole and holds more than `atLeast` tasks. */
export async function tracedHeavyTasks(trace, page, atLeast) {
  if (trace.lost) throw new Error('the trace lost events');
  if (!trace.loaded || trace.tasks.length <= atLeast) throw new Error(`${trace.tasks.length} tasks traced`);
  const busiest = trace.tasks.reduce((m, t) => (t.cpu_ms > m.cpu_ms ? t : m));
  const waited = (await longTasks(page)).map((t) => Math.round(t.ms));
  console.log(`the page's thread from navigation on: ${trace.tasks.length} tasks, the busiest ${busiest.cpu_ms.toFixed(1)} ms of CPU (${busiest.wall_ms.toFixed(1)} ms of wall time); over 50 ms of wall time: [${waited.join(', ')}] ms`);
  return trace.tasks.filter((t) => t.cpu_ms > 50);
}

/** Long tasks (PerformanceObserver 'longtask', over 50 ms) on the page's thread: an init script
 *  for `open`; `longTasks(page)` then lists those from navigation on. */
export const observeLongTasks = () => {
  globalThis.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) globalThis.__longtasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
};

export async function longTasks(page) {
  return page.evaluate(() => globalThis.__longtasks);
}
