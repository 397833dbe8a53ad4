// What every engine checks, written once. Each function takes a `Driver`, the few things a test
// does to a page, which each engine's harness provides (`playwrightDriver` below, `driverOf` in
// firefox.mjs and webkit.mjs):
//   goto(url)                 opens `url` in the page under test
//   click(selector)           a real pointer click (user activation included), scrolled into view
//   key(name)                 a real key press: 'Tab', 'Enter', 'ArrowLeft'
//   run(fn, ...args)          `fn`'s source run in the page (it must not close over test
//                             variables); a promise it returns is awaited
//   state(states, timeout)    the run's report once `<body data-state>` is one of `states`
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { AXE_SOURCE, BREAK_FUSED_STEP, DIST, REFUSE_DEVICE, assertPrunedExport, assertTiming, axeAudit, installAxe, keepDownloads, keptDownload, serve, violationLines } from './harness.mjs';

/** A Playwright page as a `Driver`. */
export const playwrightDriver = (page, waitForState) => ({
  goto: (url) => page.goto(url),
  click: (selector) => page.locator(selector).click(),
  key: (name) => page.keyboard.press(name),
  // As source (Playwright passes a function one argument): the value of a returned promise.
  run: (fn, ...args) => page.evaluate(`(${fn})(...${JSON.stringify(args)})`),
  state: (states, timeout) => waitForState(page, states, timeout),
});

/** The states a run ends in. */
export const ENDED = ['done', 'error', 'cancelled'];
/** The page's panic message, or null. */
const panicked = (d) => d.run(() => document.body.dataset.panic ?? null);
const textIn = (d, selector) => d.run((s) => document.querySelector(s)?.textContent ?? null, selector);

const PRUNED_RGB = [45, 45, 45];

/** In the page: shows `model`'s weight picture and, once the page has painted it whole (a band of
 *  tiles per frame, then `data-painted`), counts its pixels: pruned-grey ones, and tiles all grey. */
export async function paintedTiles(model, pruned) {
  const radio = document.querySelector(`input[name=picture][value=${model}]`);
  if (!radio.checked) radio.click();
  const canvas = document.querySelector('#weight-tiles');
  const whole = () => canvas.dataset.model === model && canvas.dataset.painted === `${canvas.dataset.model} ${canvas.dataset.note}`;
  for (const end = Date.now() + 10_000; !whole();) {
    if (Date.now() > end) throw new Error(`the ${model} picture was never painted whole: ${JSON.stringify({ ...canvas.dataset })}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let prunedPixels = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] === pruned[0] && data[i + 1] === pruned[1] && data[i + 2] === pruned[2] && data[i + 3] === 255) prunedPixels++;
  }
  let greyTiles = 0;
  for (let unit = 0; unit < 128; unit++) {
    const [x0, y0] = [(unit % 16) * 29, Math.floor(unit / 16) * 29];
    let grey = true;
    for (let y = 0; y < 28 && grey; y++) {
      for (let x = 0; x < 28; x++) {
        const at = ((y0 + y) * canvas.width + x0 + x) * 4;
        if (data[at] !== data[at + 1] || data[at] !== data[at + 2]) { grey = false; break; }
      }
    }
    if (grey) greyTiles++;
  }
  return { ...canvas.dataset, width: canvas.width, height: canvas.height, prunedPixels, greyTiles };
}

/** Each model's picture of the first layer shows exactly what it lost: every pruned weight painted
 *  as pruned, exactly the removed units greyed out, nothing in the dense model. */
export async function assertModelTiles(d, report) {
  const hidden = report.prune.layers[0];
  const pruned = await d.run(paintedTiles, 'pruned', PRUNED_RGB);
  assert.equal([pruned.width, pruned.height].join('×'), `${16 * 29 - 1}×${8 * 29 - 1}`);
  assert.equal(Number(pruned.pruned), hidden.total - hidden.kept);
  assert.equal(pruned.prunedPixels, hidden.total - hidden.kept, 'every pruned weight is painted as pruned');
  const histogram = await d.run(() => [document.querySelector('#histogram-summary').textContent, document.querySelector('#magnitude-histogram').dataset.threshold]);
  assert.match(histogram[0], /Threshold \|w\| = 0\.\d{4}/);
  assert.ok(Number(histogram[1]) > 0, histogram[1]);

  const structured = await d.run(paintedTiles, 'structured', PRUNED_RGB);
  const removed = 128 - report.prune.structured_units_kept;
  assert.equal(Number(structured.removed), removed);
  assert.equal(structured.greyTiles, removed, 'exactly the removed units are greyed out');

  const dense = await d.run(paintedTiles, 'dense', PRUNED_RGB);
  assert.equal(dense.note, 'trained');
  assert.equal([dense.pruned, dense.removed, dense.prunedPixels, dense.greyTiles].join(), '0,0,0,0');
}

/** What every model's export holds, against the run's report. `save(button)` presses an export
 *  button and returns the file: `{ name, text, size, magic }` (`magic`: its first 4 bytes as a
 *  little-endian u32). */
export async function assertExports(save, report) {
  const pruned = await save('#export-pruned-json');
  assert.equal(pruned.name, 'prunelab-pruned.json');
  assertPrunedExport(JSON.parse(pruned.text), report);

  const structured = JSON.parse((await save('#export-structured-json')).text);
  assert.equal(structured.kept_units.length, report.prune.structured_units_kept);
  assert.deepEqual(structured.layers[0].kernel.shape, [784, report.prune.structured_units_kept]);

  // The distilled student keeps the structured model's units; the from-scratch one has none.
  const distilled = JSON.parse((await save('#export-distilled-json')).text);
  assert.equal(distilled.test_accuracy, report.distilled.test_accuracy);
  assert.deepEqual(distilled.kept_units, structured.kept_units);
  const scratch = JSON.parse((await save('#export-scratch-json')).text);
  assert.deepEqual([scratch.kept_units ?? null, scratch.layers[0].kernel.shape], [null, [784, report.prune.structured_units_kept]]);

  // The int8 models (quantize=int8, the default), as the engine runs them.
  const int8 = JSON.parse((await save('#export-pruned-int8-json')).text);
  assert.equal(int8.format, 'prunelab-int8-mlp');
  assert.deepEqual(int8.layers.map((l) => [l.name, l.layout, l.scales.length, l.bias.length]), [['hidden', 'csr', 128, 128], ['output', 'csr', 10, 10]]);
  assert.equal(int8.layers[0].codes.length, int8.layers[0].indices.length);
  assert.equal(int8.layers[0].row_ptr.at(-1), int8.layers[0].codes.length);
  assert.ok(int8.layers[0].codes.every((c) => c >= -127 && c <= 127 && c !== 0), 'CSR keeps non-zero codes in [-127, 127]');
  assert.equal(int8.test_accuracy, report.pruned_int8.test_accuracy);
  const dense8 = JSON.parse((await save('#export-int8-json')).text);
  assert.deepEqual([dense8.layers[0].layout, dense8.layers[0].codes.length], ['dense', 784 * 128]);

  // burnpack: "BURN" magic (u32 little-endian), then the tensors; at least 4 bytes a weight.
  for (const model of ['dense', 'pruned', 'structured']) {
    const record = await save(`#export-${model}-bpk`);
    assert.equal(record.name, `prunelab-${model}.bpk`);
    assert.equal(record.magic, 0x4255524e, `${model} record magic`);
    assert.ok(record.size >= 4 * report[model].weights_total, `${model} record is ${record.size} bytes`);
  }
}

/** `assertExports` through the page's own download links (kept in the page, not saved). */
export async function assertKeptExports(d, report) {
  await d.run(keepDownloads);
  let count = 0;
  await assertExports(async (button) => {
    await d.click(button);
    const saved = await d.run(keptDownload, ++count);
    assert.ok(saved, `${button} made no file`);
    return saved;
  }, report);
  assert.match(await d.run(() => document.querySelector('.export [role=status]').textContent), /Saved prunelab-structured\.bpk/);
}

const RETRY = '#error button';

/** Bad input and failed downloads, one after another in one page, each a clear message and a way
 *  on: invalid URL parameters (replaced by their defaults or bounds, and listed), an engine that
 *  cannot be loaded, a missing and a corrupt MNIST file (each Retry goes on from there), and at
 *  last a run that finishes. */
export async function assertFaultsAndRetry(d, server) {
  server.fault('engine_loader.js', 404);
  await d.goto(`${server.base}?autorun=1&backend=cpu&prune=none&quantize=none&train_samples=300&epochs=abc&batch=0&lr=NaN&bogus=1`);
  let r = await d.state(['error', 'done'], 3 * 60_000);
  assert.equal(r.state, 'error');
  assert.equal(r.error.kind, 'engine');
  assert.match(await textIn(d, '#error'), /The engine stopped: the engine \(a Web Worker\) failed.*Retry starts a fresh one/);
  assert.equal(r.notices.length, 4, r.notices.join('\n'));
  assert.equal(await d.run(() => document.querySelectorAll('#notices li').length), 4);
  assert.equal(await d.run(() => document.querySelector('#train').disabled), false, 'the controls stay usable while the engine is down');

  server.heal();
  server.fault('train-labels-idx1-ubyte.gz', 404);
  await d.click(RETRY);
  r = await d.state(['error', 'done'], 3 * 60_000);
  assert.equal(r.state, 'error', JSON.stringify(r.error));
  assert.match(r.error.message, /train-labels-idx1-ubyte.*404/);

  server.heal();
  server.fault('t10k-labels-idx1-ubyte.gz', 'corrupt');
  await d.click(RETRY);
  r = await d.state(['error', 'done'], 3 * 60_000);
  assert.equal(r.state, 'error', JSON.stringify(r.error));
  assert.equal(r.error.kind, 'data');
  assert.match(r.error.message, /t10k-labels-idx1-ubyte/);
  assert.match(await textIn(d, '#error'), /MNIST data could not be loaded/);

  server.heal();
  await d.click(RETRY);
  r = await d.state(['done', 'error'], 3 * 60_000);
  assert.equal(await panicked(d), null);
  assert.equal(r.state, 'done', JSON.stringify(r.error));
  assert.equal(r.error, null);
  assert.deepEqual([r.config.epochs, r.config.batch, r.train.steps], [5, 1, 5 * 300], 'epochs=abc became 5, batch=0 became 1');
}

/** Waits until `<body data-state>` is `state` (the page may be reloading on the way). */
async function bodyState(d, state) {
  for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 200))) {
    // A reload in progress has no page to ask.
    if (await d.run(() => document.body?.dataset.state).catch(() => null) === state) return;
  }
  assert.fail(`the page never reached ${state}`);
}

/** The page's own WebAssembly failing to start (a download cut short) ends in a message with a
 *  Reload button, not a blank page, and Reload recovers once the file is whole again. */
export async function assertPageWasmFails(d, server) {
  const wasm = fs.readdirSync(DIST).find((name) => name.startsWith('prunelab-') && name.endsWith('_bg.wasm'));
  server.fault(wasm, 'truncated');
  await d.goto(server.base);
  await bodyState(d, 'error');
  assert.match(await textIn(d, '#start-error'), /PruneLab could not start: its WebAssembly did not load, or arrived damaged\. Reload to try again\. \(.*Error/);
  server.heal();
  await d.click('#start-error button');
  await bodyState(d, 'idle');
  assert.equal(await d.run(() => document.querySelector('#start-error')), null);
  assert.equal(await d.run(() => document.querySelector('#train').disabled), false);
}

/** In a browser whose WebAssembly lacks SIMD, the page says what it needs instead of staying blank. */
export async function assertNeedsSimd(d, base) {
  await d.goto(base);
  await bodyState(d, 'error');
  assert.match(await textIn(d, '#start-error'), /PruneLab cannot run in this browser: it needs WebAssembly with SIMD \(Chrome or Edge 91, Firefox 89, Safari 16\.4 or newer\)/);
}

/** In the page: each focus stop's element and outline. */
const focused = () => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return { id: el.id, tag: el.tagName, name: el.getAttribute('name'), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
};

/** The keyboard alone: Tab from the top to Train (every stop outlined), Enter runs, and the
 *  arrow keys switch the weight picture. `url` a quick run with a structured model, not autorun. */
export async function assertKeyboardRun(d, url) {
  await d.goto(url);
  await d.run(async () => {
    for (const end = Date.now() + 60_000; !document.querySelector('#train');) {
      if (Date.now() > end) throw new Error('no Train button');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  const stops = [];
  for (let i = 0; i < 60; i++) {
    await d.key('Tab');
    const stop = await d.run(focused);
    stops.push(stop);
    if (stop.id === 'train') break;
  }
  assert.equal(stops.at(-1).id, 'train', `Tab never reached Train: ${JSON.stringify(stops)}`);
  assert.deepEqual(stops.filter((s) => s.outline === 'none' || !(s.width > 0)), [], 'every focused control has a visible outline');
  await d.key('Enter');
  const r = await d.state(ENDED);
  assert.equal(r.state, 'done', JSON.stringify(r.error));
  assert.equal(await panicked(d), null);

  // The picture choice is a radio group: focused, the arrow keys move between the models.
  const shown = () => d.run(() => document.querySelector('#weight-tiles').dataset.model);
  assert.equal(await shown(), 'structured');
  await d.run(() => document.querySelector('input[name=picture]:checked').focus());
  await d.key('ArrowLeft');
  assert.equal(await shown(), 'pruned');
  await d.key('ArrowLeft');
  assert.equal(await shown(), 'dense');
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The address bar holds the settings (normalised, unknown ones dropped, edits followed), and the
 *  embed code is copied to the clipboard. `clipboard()` reads the clipboard as the engine can. */
export async function assertShareAndCopy(d, base, clipboard) {
  await d.goto(`${base}?final_sparsity=0.9&bogus=1&autorun=1&backend=cpu&prune=none&train_samples=1000&epochs=1`);
  assert.equal((await d.state(ENDED)).state, 'done');
  assert.equal(await d.run(() => location.search), '?epochs=1&train_samples=1000&prune=none&final_sparsity=0.9&backend=cpu');
  // Editing a knob updates the address bar too.
  await d.click('#advanced summary');
  await d.run(() => {
    const input = document.querySelector('input[name=epochs]');
    input.value = '3';
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  assert.match(await d.run(() => location.search), /epochs=3/);

  await d.click('.share summary');
  const snippet = await d.run(() => document.querySelector('#embed-code').value);
  assert.match(snippet, new RegExp(`^<iframe src="${escape(base)}\\?epochs=3&amp;train_samples=1000&amp;.*embed=1"`));
  await d.click('#copy-embed');
  await d.run(async () => {
    for (const end = Date.now() + 10_000; !/Copied/.test(document.querySelector('.share [role=status]')?.textContent);) {
      if (Date.now() > end) throw new Error(`not copied: ${document.querySelector('.share [role=status]')?.textContent}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  assert.equal(await clipboard(), snippet);
}

/** The pattern study's report and page (a `?patterns=1` run on the CPU). */
export async function assertStudy(d, r) {
  assert.equal(r.state, 'done', JSON.stringify(r.error));
  const s = r.pattern_study;
  assert.ok(s && s.error === null && !s.cancelled, JSON.stringify(s && { error: s.error, cancelled: s.cancelled }));
  assert.equal(s.planned, 13);
  assert.equal(s.points.length, 13);
  const kernels = { unstructured: /^CSR$/, '1 × 4 blocks': /^block-CSR 1 × 4$/, '4 × 1 blocks': /^block-CSR 4 × 1$/, '2:4': /^2:4 fixed width$/, 'whole units (structured)': /^dense, \d+ hidden units$/ };
  for (const p of s.points) {
    const what = `${p.pattern} at ${p.target}`;
    assert.match(p.kernel, kernels[p.pattern], what);
    // Above chance, every one (90 % in blocks after one short epoch of fine-tuning keeps about half).
    assert.ok(p.test_accuracy > 0.25, `${what}: accuracy ${p.test_accuracy}`);
    // The kernels' sparsity is the target's (TFMOT's k per layer; blocks and runs whole).
    if (!p.pattern.startsWith('whole')) assert.ok(Math.abs(p.sparsity - p.target) < 0.01, `${what}: sparsity ${p.sparsity}`);
    for (const batch of ['b1', 'b1024']) assertTiming(p.latency.cpu?.[batch], `${what} latency.cpu.${batch}`);
    assert.equal(p.latency.webgpu, null, what);
  }
  assert.deepEqual(s.points.filter((p) => p.pattern.startsWith('whole')).map((p) => p.kernel), ['dense, 64 hidden units', 'dense, 32 hidden units', 'dense, 13 hidden units']);
  // The best of them, an extra epoch of fine-tuning on, is about as good as the dense model.
  const best = Math.max(...s.points.map((p) => p.test_accuracy));
  assert.ok(best > r.dense.test_accuracy - 0.02, `best ${best} vs dense ${r.dense.test_accuracy}`);
  // Two charts (CPU at batch 1 and 1024), each with the dense model and the thirteen; the table; the frontier.
  const page = await d.run(() => ({
    figures: [...document.querySelectorAll('#pattern-study figure')].map((f) => f.id),
    dots: document.querySelectorAll('#study-cpu-1024 circle').length,
    rows: document.querySelectorAll('#study-table tbody tr').length,
    frontier: document.querySelector('#study-frontier')?.textContent,
    status: document.querySelectorAll('#study-status').length,
  }));
  assert.deepEqual(page.figures, ['study-cpu-1', 'study-cpu-1024']);
  assert.deepEqual([page.dots, page.rows, page.status], [14, 13, 0]);
  assert.match(page.frontier, /^CPU, batch 1: the best trade-offs, fastest first: \d+\. .+CPU, batch 1024: the best trade-offs/);
}

/** The study's run: the same dense model pruned 13 ways, each fine-tuned one epoch, on the CPU. */
export const STUDY_RUN = 'autorun=1&backend=cpu&train_samples=3000&epochs=1&batch=100&finetune_epochs=1' +
  '&prune=oneshot&final_sparsity=0.9&hidden_keep=0&distill=0&quantize=none&patterns=1';

// 100 steps a epoch on 10,000 images; masks every 10 steps from step 0 to 100, to 90 %. Six
// epochs, so that dense training outlasts the live picture's 1 s refresh even on the fast
// (SIMD) CPU backend, about 3 ms a step here.
export const LIVE_TILES_RUN = 'autorun=1&backend=cpu&train_samples=10000&epochs=6&batch=100&lr=0.002' +
  '&prune=poly&final_sparsity=0.9&begin_step=0&end_step=100&frequency=10&prune_batch=100&finetune_epochs=1&hidden_keep=32';
/** Records every picture the engine worker sends the page (model and note), as it arrives. A
 *  picture crosses as postcard's bytes (`Wire` in src/protocol/messages.rs, whose test pins this prefix):
 *  0 (a picture), the model's index in `ModelKind`, the note's length and its UTF-8. */
export const recordPictures = () => {
  const MODELS = ['dense', 'pruned', 'structured', 'distilled', 'scratch', 'int8', 'pruned-int8'];
  window.__pictures = [];
  const Original = window.Worker;
  window.Worker = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (e.data instanceof Uint8Array && e.data[0] === 0) {
          let [length, shift, at] = [0, 0, 2];
          for (let byte = 128; byte & 128; shift += 7) { byte = e.data[at++]; length |= (byte & 127) << shift; }
          window.__pictures.push({ model: MODELS[e.data[1]], note: new TextDecoder().decode(e.data.subarray(at, at + length)) });
        }
      });
    }
  };
};

/** In the page, once it is open: records every state the weight picture shows, in order, in
 *  `window.__live`, until the run ends. */
export const watchTiles = () => {
  window.__live = [];
  let last = '';
  const look = () => {
    const c = document.querySelector('#weight-tiles');
    const d = c && JSON.stringify({ ...c.dataset });
    if (d && d !== last) { last = d; window.__live.push(JSON.parse(d)); }
    if (!['done', 'error', 'cancelled'].includes(document.body.dataset.state)) requestAnimationFrame(look);
  };
  look();
};

/** The tiles followed a `LIVE_TILES_RUN` live (`recordPictures` before the page's scripts,
 *  `watchTiles` once it is open): dense training from step 0, then every mask update in order. */
export async function assertLiveTiles(d, report) {
  assert.equal(report.state, 'done', JSON.stringify(report.error));
  const live = await d.run(() => window.__live);
  const dense = live.filter((t) => t.model === 'dense');
  assert.ok(dense.length >= 2 && dense[0].note === 'step 0', `dense pictures: ${JSON.stringify(dense)}`);
  // The engine sends one picture per mask update (steps 0, 10, … 100), in order; the page
  // shows them as they come (a frame may skip one replaced within it), with ever more weights
  // pruned, ending at the report's count.
  const sent = (await d.run(() => window.__pictures)).filter((p) => p.model === 'pruned' && p.note.startsWith('step'));
  const steps = sent.map((p) => Number(p.note.match(/^step (\d+)/)[1]));
  assert.deepEqual(steps, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], `mask pictures sent: ${JSON.stringify(sent)}`);
  const masks = live.filter((t) => t.model === 'pruned' && t.note.startsWith('step'));
  const counts = masks.map((t) => Number(t.pruned));
  assert.ok(masks.length >= 2 && masks.at(-1).note.startsWith('step 100'), `mask pictures shown: ${JSON.stringify(masks)}`);
  assert.ok(counts.every((c, i) => i === 0 || c >= counts[i - 1]), `${counts}`);
  const hidden = report.prune.layers[0];
  assert.equal(counts.at(-1), hidden.total - hidden.kept);
  assert.ok(live.some((t) => t.model === 'structured'), 'structured pruning is shown as it happens');
}

/** An embed as a blog post holds it: `openPost(html)` opens `html` (a post with the page in a
 *  `width` × `height` iframe, from `server`, no autorun) and returns a `Driver` acting in the
 *  iframe. The embed fetches neither the engine nor MNIST until its reader presses Train; then it
 *  runs, its verdict ends above the iframe's fold, and nothing scrolls sideways. */
export async function assertEmbedInFrame(openPost, server, width, height) {
  server.requested.length = 0;
  const src = `${server.base}?embed=1&backend=cpu&prune=oneshot&final_sparsity=0.9&train_samples=1000&epochs=1&finetune_epochs=1`;
  const d = await openPost(`<!doctype html><title>A post</title><iframe src="${src}" width="${width}" height="${height}"></iframe>`);
  const heavy = (name) => name.startsWith('engine') || name.endsWith('.gz');
  await d.run(async () => {
    for (const end = Date.now() + 30_000; !(document.querySelector('#train') && !document.querySelector('#train').disabled);) {
      if (Date.now() > end) throw new Error('Train never became usable');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
  assert.deepEqual(server.requested.filter(heavy), [], 'nothing heavy before a click');
  await d.click('#train');
  const r = await d.state(ENDED);
  assert.equal(r.state, 'done', JSON.stringify(r.error));
  assert.ok(server.requested.includes('engine_bg.wasm') && server.requested.includes('train-images-idx3-ubyte.gz'), server.requested.join(' '));
  const layout = await d.run(() => {
    window.scrollTo(0, 0);
    const verdict = document.querySelector('#verdict').getBoundingClientRect();
    // Off-screen sections skip layout (content-visibility: auto); lay every one out, so that none
    // can overflow unseen.
    for (const section of document.querySelectorAll('main > section')) section.style.contentVisibility = 'visible';
    return { embed: document.body.classList.contains('embed'), scroll: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth, verdictEnd: verdict.bottom };
  });
  assert.ok(layout.embed);
  assert.ok(layout.viewport <= width, JSON.stringify(layout));
  assert.ok(layout.verdictEnd <= height, `the verdict ends at ${layout.verdictEnd} px in a ${height} px iframe`);
  assert.ok(layout.scroll <= layout.viewport, `page is ${layout.scroll} px wide in a ${layout.viewport} px viewport`);
  assert.deepEqual(await axeViolations(d), [], 'axe-core in the embed');
}

/** axe-core's WCAG 2.1 A/AA violations on the page as it is now, one line each. */
export async function axeViolations(d) {
  assert.equal(await d.run(installAxe, AXE_SOURCE), 'object');
  return violationLines(await d.run(axeAudit));
}

/** An adapter that refuses a device (`server` serves the engine with `REFUSE_DEVICE`): the run goes
 *  to the CPU, and the page says why. */
export async function assertRefusedDevice(d, server) {
  server.instrument(REFUSE_DEVICE);
  try {
    await d.goto(`${server.base}?autorun=1&backend=webgpu&prune=none&quantize=none&train_samples=500&epochs=1`);
    const r = await d.state(ENDED, 4 * 60_000);
    assert.equal(await panicked(d), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'cpu');
    assert.match(r.fallback_reason, /could not start WebGPU.*refused by the test/);
    assert.match(await textIn(d, '#fallback'), /Running on the CPU, not WebGPU/);
  } finally {
    server.instrument(null);
  }
}

/** A kernel that this adapter's WGSL compiler rejects (`BREAK_FUSED_STEP`): training goes on
 *  through burn on WebGPU and the page says why; checked against autodiff first
 *  (`check_engine=1`), the run ends in a clear error, and Retry trains on the CPU. */
export async function assertBrokenKernel(d, server) {
  server.instrument(BREAK_FUSED_STEP);
  try {
    const run = `${server.base}?autorun=1&backend=webgpu&prune=none&quantize=none&train_samples=500&epochs=1`;
    await d.goto(run);
    let r = await d.state(ENDED, 6 * 60_000);
    assert.equal(await panicked(d), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.deepEqual([r.backend, r.train.engine], ['webgpu', 'autodiff']);
    assert.match(r.train.engine_note, /the fused step could not start \(building the fused training step failed on WebGPU: /);
    assert.match(await textIn(d, '#engine'), /autodiff \(the fused step could not start/);

    await d.goto(`${run}&check_engine=1`);
    r = await d.state(ENDED, 6 * 60_000);
    assert.equal(await panicked(d), null);
    assert.equal(r.state, 'error');
    assert.equal(r.error.kind, 'device');
    assert.match(r.error.message, /^the fused-step check failed: .*building the fused training step failed on WebGPU: .*Train again to run on the CPU\.$/s);
    assert.match(await textIn(d, '#error'), /fused training step failed on WebGPU/);
    await d.click('#error button');
    const retried = await d.state(ENDED, 4 * 60_000);
    assert.equal(retried.state, 'done', JSON.stringify(retried.error));
    assert.equal(retried.backend, 'cpu');
    assert.match(retried.fallback_reason, /^WebGPU failed earlier on this page \(the fused-step check failed: .*building the fused training step failed/s);
  } finally {
    server.instrument(null);
  }
}

/** Early stopping on a validation split (`EARLY_STOPPING_RUN`): no epoch can beat the first by
 *  min_delta = 10, so with patience 1 the run stops after epoch 2 of 5, restores epoch 1, and the
 *  page says what that saved. */
export async function assertEarlyStopping(d, r) {
  assert.equal(r.state, 'done', JSON.stringify(r.error));
  assert.deepEqual(r.notices, []);
  const es = r.train.early_stopping;
  assert.deepEqual([es.stopped_epoch, es.best_epoch, es.restored], [2, 1, true]);
  // Keras holds out the last 400 of 2,000 images: 16 steps per epoch, 2 run, 3 × 16 saved.
  assert.deepEqual([r.train.steps, es.steps_planned, es.steps_saved], [32, 80, 48]);
  assert.equal(r.train.val_loss.length, 2);
  assert.equal(r.dense.test_accuracy, r.train.test_accuracy.per_epoch[0], 'the restored epoch-1 model is the one reported');
  assert.match(await textIn(d, '#early-stopping'), /after epoch 2: .* restored\. 48 of 80 steps saved, about [\d.]+ µJ/);
  assert.equal(await d.run(() => document.querySelectorAll('#loss-chart polyline').length), 2, 'training and validation loss');
  assert.equal(r.int8, null, 'quantize=none');
}

export const EARLY_STOPPING_RUN = 'autorun=1&backend=cpu&prune=none&quantize=none&train_samples=2000&epochs=5&batch=100' +
  '&validation_split=0.2&early_stopping=1&patience=1&min_delta=10&restore_best_weights=1';

/** The page is usable within 1 s of navigation while the engine's wasm is held back by its own
 *  server, and a click on Train then is kept: the run starts once the engine has loaded. */
export async function assertUsableWhileLoading(d) {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const slow = await serve(undefined, '/', { hold: (name) => (name === 'engine_bg.wasm' ? held : null) });
  try {
    await d.goto(`${slow.base}?backend=cpu&prune=none&quantize=none&train_samples=500&epochs=1`);
    const usable = await d.run(async () => {
      for (const end = Date.now() + 10_000; !(document.querySelector('#train') && !document.querySelector('#train').disabled);) {
        if (Date.now() > end) throw new Error('Train never became usable');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return performance.now();
    });
    console.log(`Train usable ${usable.toFixed(0)} ms after navigation, the engine's wasm still held back`);
    assert.ok(usable <= 1000, `Train usable after ${usable.toFixed(0)} ms`);
    await d.click('#train');
    assert.equal(await d.run(() => document.body.dataset.state), 'loading');
    release();
    const r = await d.state(['done', 'error'], 5 * 60_000);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.train.steps, 4, '500 images at batch 128');
  } finally {
    release();
    await slow.close();
  }
}

/** Cancel during training stops the run, keeps the page usable and panics nothing. */
export async function assertCancel(d, base) {
  await d.goto(`${base}?autorun=1&backend=cpu&prune=none&epochs=3&batch=32`);
  await d.state(['training']);
  await d.click('#cancel');
  const r = await d.state(ENDED);
  assert.equal(r.state, 'cancelled');
  assert.ok(r.train.steps < 3 * 1875, `steps ${r.train.steps}`);
  assert.equal(await d.run(() => document.querySelector('#train').disabled), false);
  assert.equal(await panicked(d), null);
}
