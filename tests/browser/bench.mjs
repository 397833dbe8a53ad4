// Benchmark, not a test: runs the page's whole pipeline (`?autorun=1`, by default on all 60,000
// images for 5 epochs at batch 128) in headless Chromium and prints the report's figures.
// Usage: node tests/browser/bench.mjs [extra query, e.g. "epochs=1&backend=cpu"]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST, engineWorker, launch, open, serve, waitForState } from './harness.mjs';

const extra = process.argv[2] ?? '';
// The page's two binaries: the UI and the engine (its Web Worker).
const binaries = fs.readdirSync(DIST).filter((f) => f.endsWith('.wasm')).map((name) => {
  const bytes = fs.readFileSync(path.join(DIST, name));
  return { name, raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
});

// Counts the WebGPU work the page asks for (compute dispatches, queue submits, buffer writes and
// mappings), so the bench can state dispatches per training step for either engine.
const countGpuCalls = () => {
  const counts = { dispatches: 0, submits: 0, writes: 0, maps: 0 };
  const wrap = (proto, name, key) => {
    const original = proto?.[name];
    if (typeof original !== 'function') return;
    proto[name] = function (...args) { counts[key] += 1; return original.apply(this, args); };
  };
  if (globalThis.GPUComputePassEncoder) {
    wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', 'dispatches');
    wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', 'dispatches');
    wrap(GPUQueue.prototype, 'submit', 'submits');
    wrap(GPUQueue.prototype, 'writeBuffer', 'writes');
    wrap(GPUBuffer.prototype, 'mapAsync', 'maps');
  }
  globalThis.__gpuCalls = counts;
};

/** The training progress line's step and phase, with the engine's GPU call counts at that moment. */
const sample = async (page, worker) => {
  const shown = await page.evaluate(() => {
    const text = document.querySelector('#train-progress label')?.textContent ?? '';
    const step = text.match(/step (\d+) of (\d+)/);
    return step ? { phase: text.split(':')[0], step: +step[1], total: +step[2] } : null;
  }).catch(() => null);
  const calls = await worker.evaluate(() => globalThis.__gpuCalls ?? null).catch(() => null);
  return shown && calls ? { ...shown, ...calls } : null;
};

const server = await serve();
const browser = await launch();
try {
  const started = Date.now();
  const page = await open(browser, `${server.base}?autorun=1${extra ? `&${extra}` : ''}`);
  // WebGPU work happens in the engine's worker: count it there (in place long before the
  // middle of training, which is all the per-step figure uses).
  const worker = await engineWorker(page);
  await worker.evaluate(countGpuCalls);
  // Samples of the dense training: GPU calls per step over its middle (10 %–90 % of the steps),
  // away from the first steps' set-up and the evaluation after the last.
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await sample(page, worker);
      if (s && s.phase === 'training the dense model' && s.step > s.total * 0.1 && s.step < s.total * 0.9) samples.push(s);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const r = await waitForState(page, ['done', 'error', 'cancelled'], 6 * 60 * 60_000).finally(() => { sampling = false; });
  await sampler;
  const t = r.train ?? {};
  const fmt = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '–');
  console.log(`PruneLab benchmark (${new Date().toISOString()})`);
  console.log(`browser        ${browser.version()} (headless)`);
  console.log(`backend        ${r.backend} — ${r.adapter}${r.fallback_reason ? ` (fallback: ${r.fallback_reason})` : ''}`);
  console.log(`config         ${JSON.stringify(r.config)}`);
  console.log(`state          ${r.state}${r.error ? ` — ${r.error.message}` : ''}`);
  console.log(`data load      ${fmt(r.data?.load_ms / 1000)} s for ${r.data?.downloaded_bytes} bytes`);
  console.log(`engine         ${t.engine}${t.engine_note ? ` (${t.engine_note})` : ''}`);
  if (r.engine_check) console.log(`engine check   ${JSON.stringify(r.engine_check)}`);
  if (r.engine_profile) console.log(`step profile   batch ${r.engine_profile.batch}: ${r.engine_profile.error ?? r.engine_profile.kernels.map((k) => `${k.kernel} ${fmt(k.ms, 2)} ms`).join(', ')}`);
  console.log(`steps          ${t.steps}`);
  const [first, last] = [samples[0], samples.at(-1)];
  if (first && last && last.step > first.step) {
    const per = (key) => ((last[key] - first[key]) / (last.step - first.step)).toFixed(1);
    console.log(`gpu calls/step ${per('dispatches')} dispatches, ${per('submits')} submits, ${per('writes')} buffer writes, ${per('maps')} readbacks (steps ${first.step}–${last.step})`);
  }
  console.log(`ms/step        median ${fmt(t.ms_per_step_median)}, p95 ${fmt(t.ms_per_step_p95)}; first step ${fmt(t.first_step_ms)}`);
  console.log(`epoch wall     ${(t.epoch_wall_ms ?? []).map((ms) => `${fmt(ms / 1000)} s`).join(', ')}`);
  console.log(`train wall     ${fmt(t.wall_ms / 1000)} s (page total ${fmt((Date.now() - started) / 1000)} s)`);
  console.log(`stages         ${(r.stages ?? []).map((s) => `${s.stage} ${fmt(s.wall_ms / 1000)} s`).join('; ')}`);
  console.log(`test accuracy  ${(t.test_accuracy?.per_epoch ?? []).map((a) => `${(a * 100).toFixed(2)} %`).join(' → ')}`);
  if (r.timer) console.log(`timer          ${r.timer.resolution_ms === null ? 'unknown' : `${r.timer.resolution_ms.toFixed(3)} ms`} resolution, cross-origin isolated: ${r.timer.cross_origin_isolated}`);
  const cell = (t) => (t ? `${fmt(t.median_ms, 3)} / ${fmt(t.p95_ms, 3)} (K=${t.k})` : '–');
  for (const name of ['dense', 'pruned', 'pruned_sparse', 'structured', 'distilled', 'scratch', 'int8', 'pruned_int8']) {
    const m = r[name];
    if (!m) continue;
    const bytes = m.precision === 'int8' ? `bytes int8 ${m.bytes_int8} / gzip ${m.bytes_int8_gzip}`
      : `bytes f32 ${m.bytes_f32} / CSR ${m.bytes_sparse} / gzip ${m.bytes_gzip} / CSR gzip ${m.bytes_sparse_gzip}`;
    console.log(`${name.padEnd(14)} hidden ${m.hidden_units}, non-zero ${m.weights_nonzero}, sparsity ${(m.sparsity * 100).toFixed(2)} %, ` +
      `|w| < 0.001 ${(m.near_zero_share * 100).toFixed(2)} %, accuracy ${(m.test_accuracy * 100).toFixed(2)} %, ${bytes}`);
    for (const backend of ['webgpu', 'cpu']) {
      const l = m.latency?.[backend];
      if (l) console.log(`${''.padEnd(14)} ${backend.padEnd(6)} latency ms (median / p95): batch 1 ${cell(l.b1)}, batch 1024 ${cell(l.b1024)}`);
    }
  }
  const sparse = r.sparse;
  if (sparse) {
    for (const backend of ['cpu', 'webgpu']) {
      const a = sparse[`agreement_${backend}`];
      if (a) console.log(`sparse ${backend.padEnd(7)} agrees with dense on ${a.images} images: max error ${a.max_error.toExponential(2)}, ${a.argmax_mismatches} predictions differ`);
    }
    if (sparse.error) console.log(`sparse error   ${sparse.error}`);
    for (const s of sparse.sweep?.series ?? []) {
      const points = s.sparse.map((t, i) => `${Math.round(sparse.sweep.sparsities[i] * 100)} %: ${fmt(t.median_ms, 3)} (${fmt(s.dense.median_ms / t.median_ms, 2)}×)`).join(', ');
      console.log(`sweep ${`${s.backend}/${s.batch}`.padEnd(12)} dense ${fmt(s.dense.median_ms, 3)} ms; sparse ${points}; crossover ${s.crossover ?? 'none'}`);
    }
  }
  const study = r.pattern_study;
  if (study) {
    console.log(`pattern study  ${study.points.length} of ${study.planned} models${study.cancelled ? ', cancelled' : ''}${study.error ? ` — ${study.error}` : ''}`);
    for (const p of study.points) {
      const at = (backend) => {
        const l = p.latency?.[backend];
        return l ? `${backend} ${fmt(l.b1?.median_ms, 4)} / ${fmt(l.b1024?.median_ms, 2)} ms` : null;
      };
      console.log(`  ${`${p.pattern} at ${Math.round(p.target * 100)} %`.padEnd(36)} ${fmt(p.test_accuracy * 100, 2)} %, ${p.kernel}, ${p.bytes} B; ` +
        `batch 1 / 1024: ${['cpu', 'webgpu'].map(at).filter(Boolean).join('; ')}`);
    }
  }
  for (const [name, c] of [['int8 check', r.quant?.dense], ['pruned+int8', r.quant?.pruned]]) {
    if (c) console.log(`${name.padEnd(14)} ${c.layout}: same class as float on ${(c.argmax_agreement * 100).toFixed(2)} % of test images; ` +
      `bit-identical to the integer reference on ${c.reference_images}: ${c.matches_reference}; scales in ${c.input_scale.toExponential(3)}, hidden ${c.activation_scale.toExponential(3)}`);
  }
  if (r.quant?.error) console.log(`quant error    ${r.quant.error}`);
  for (const b of binaries) console.log(`wasm           ${b.name}: ${(b.raw / 1e6).toFixed(2)} MB raw, ${(b.gzip / 1e6).toFixed(3)} MB gzip -9`);
} finally {
  await browser.close();
  await server.close();
}
