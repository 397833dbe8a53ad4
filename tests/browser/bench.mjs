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
  console.log(`steps          ${t.steps}`);
  console.log(`ms/step        median ${fmt(t.ms_per_step_median)}, p95 ${fmt(t.ms_per_step_p95)}`);
  console.log(`epoch wall     ${(t.epoch_wall_ms ?? []).map((ms) => `${fmt(ms / 1000)} s`).join(', ')}`);
  console.log(`train wall     ${fmt(t.wall_ms / 1000)} s (page total ${fmt((Date.now() - started) / 1000)} s)`);
  console.log(`test accuracy  ${(t.test_accuracy?.per_epoch ?? []).map((a) => `${(a * 100).toFixed(2)} %`).join(' → ')}`);
  console.log(`wasm           ${wasm}: ${(bytes.length / 1e6).toFixed(2)} MB raw, ${(gzip / 1e6).toFixed(2)} MB gzip -9`);
} finally {
  await browser.close();
  await server.close();
}
