// Benchmark, not a test: runs the page's whole pipeline (`?autorun=1`, by default on all 60,000
// images for 5 epochs at batch 128) in headless Chromium and prints the report's figures.
// Usage: node tests/browser/bench.mjs [extra query, e.g. "epochs=1&backend=cpu"]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST, launch, open, serve, waitForState } from './harness.mjs';

const extra = process.argv[2] ?? '';
const wasm = fs.readdirSync(DIST).find((f) => f.endsWith('.wasm'));
const bytes = fs.readFileSync(path.join(DIST, wasm));
const gzip = zlib.gzipSync(bytes, { level: 9 }).length;

const server = await serve();
const browser = await launch();
try {
  const started = Date.now();
  const page = await open(browser, `${server.base}?autorun=1${extra ? `&${extra}` : ''}`);
  const r = await waitForState(page, ['done', 'error', 'cancelled'], 6 * 60 * 60_000);
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
  for (const [name, c] of [['int8 check', r.quant?.dense], ['pruned+int8', r.quant?.pruned]]) {
    if (c) console.log(`${name.padEnd(14)} ${c.layout}: same class as float on ${(c.argmax_agreement * 100).toFixed(2)} % of test images; ` +
      `bit-identical to the integer reference on ${c.reference_images}: ${c.matches_reference}; scales in ${c.input_scale.toExponential(3)}, hidden ${c.activation_scale.toExponential(3)}`);
  }
  if (r.quant?.error) console.log(`quant error    ${r.quant.error}`);
  console.log(`wasm           ${wasm}: ${(bytes.length / 1e6).toFixed(2)} MB raw, ${(gzip / 1e6).toFixed(2)} MB gzip -9`);
} finally {
  await browser.close();
  await server.close();
}
