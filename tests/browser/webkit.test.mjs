// The page in WebKit (WebKitGTK's MiniBrowser: JavaScriptCore runs the wasm, and this build has no
// WebGPU): it says so and does everything on the CPU. Runs are small: 3,000 images, one epoch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AXE_SOURCE, DIST, axeAudit, digitStrokes, installAxe, serve, testDigit, violationLines } from './harness.mjs';
import { EARLY_STOPPING_RUN, ENDED, assertCancel, assertEarlyStopping, assertEmbedInFrame, assertFaultsAndRetry, assertNeedsSimd, assertPageWasmFails, assertKeptExports, assertKeyboardRun, assertModelTiles, assertShareAndCopy, assertUsableWhileLoading } from './everywhere.mjs';
import { driverOf, launchWebKit, stateReached } from './webkit.mjs';

const SHORT_RUN = 'train_samples=3000&epochs=1&batch=100';

describe('PruneLab in WebKit', () => {
  let server, browser;
  before(async () => { server = await serve(DIST, '/blog/prunelab/'); browser = await launchWebKit(); });
  after(async () => { await browser?.close(); await server?.close(); });

  test('without WebGPU, a whole autorun on the CPU: training, pruning, sparse kernels, int8', { timeout: 10 * 60_000 }, async () => {
    await browser.goto(`${server.base}?autorun=1&${SHORT_RUN}&prune=oneshot&final_sparsity=0.9&finetune_epochs=1&hidden_keep=32`);
    const r = await stateReached(browser);
    assert.equal(await browser.evaluate(() => document.body.dataset.panic ?? null), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'cpu');
    assert.match(r.fallback_reason, /navigator\.gpu is missing/);
    assert.match(await browser.evaluate(() => document.getElementById('fallback').textContent), /Running on the CPU, not WebGPU/);
    assert.ok(r.train.test_accuracy.final > 0.8, `accuracy ${r.train.test_accuracy.final}`);
    const a = r.sparse.agreement_cpu;
    assert.ok(a && a.images === 10000 && a.max_error <= 1e-5 && a.argmax_mismatches === 0, JSON.stringify(a));
    assert.ok(r.quant.dense.matches_reference && r.quant.pruned.matches_reference, JSON.stringify(r.quant));
    for (const [name, m] of [['dense', r.dense], ['pruned_sparse', r.pruned_sparse], ['structured', r.structured], ['int8', r.int8]]) {
      for (const batch of ['b1', 'b1024']) {
        const t = m.latency.cpu?.[batch];
        assert.ok(t && t.median_ms > 0 && t.p95_ms >= t.median_ms && t.round_trip_ms < 1, `${name} ${batch}: ${JSON.stringify(t)}`);
      }
    }
    console.log(`WebKit CPU: dense b1024 ${r.dense.latency.cpu.b1024.median_ms} ms, sparse kernel b1024 ${r.pruned_sparse.latency.cpu.b1024.median_ms} ms`);

    // A digit of the test set drawn with the pointer is read by every model.
    const { pixels, label } = testDigit(0);
    // Scrolled into view until it stays put: the sections above it render as they come into view
    // (`content-visibility: auto`) and move it.
    const place = () => browser.evaluate(() => {
      const canvas = document.getElementById('draw-canvas');
      canvas.scrollIntoView({ block: 'center' });
      const { x, y, width, height } = canvas.getBoundingClientRect();
      return { x, y, width, height };
    });
    let box = await place();
    for (let last = null; JSON.stringify(box) !== JSON.stringify(last);) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      [last, box] = [box, await place()];
    }
    await browser.strokes('#draw-canvas', box, digitStrokes(pixels, { x: 0, y: 0, width: box.width, height: box.height }));
    for (const until = Date.now() + 60_000; await browser.evaluate(() => document.querySelectorAll('.prediction').length) < 8;) {
      assert.ok(Date.now() < until, 'no predictions for the drawn digit');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const predictions = await browser.evaluate(() => [...document.querySelectorAll('.prediction')].map((e) => [e.dataset.model, Number(e.dataset.top)]));
    const after = await browser.evaluate(() => JSON.stringify(document.getElementById('draw-canvas').getBoundingClientRect()));
    assert.deepEqual(predictions.filter(([, top]) => top !== label), [], `the digit is a ${label}: ${JSON.stringify(predictions)} (canvas at ${JSON.stringify(box)}, then ${after})`);

    // Each model's picture shows what it lost, and every model downloads.
    const d = driverOf(browser);
    await assertModelTiles(d, r);
    await assertKeptExports(d, r);

    // The finished page, audited by axe-core in WebKit as in Chromium.
    assert.equal(await browser.evaluate(installAxe, AXE_SOURCE), 'object');
    assert.deepEqual(violationLines(await browser.evaluateAsync(axeAudit)), []);
  });

  test('Cancel stops a run and the page stays usable', { timeout: 5 * 60_000 }, async () => {
    await assertCancel(driverOf(browser), server.base);
  });

  test('early stopping on a validation split stops, restores the best epoch and says what it saved', { timeout: 5 * 60_000 }, async () => {
    const d = driverOf(browser);
    await d.goto(`${server.base}?${EARLY_STOPPING_RUN}`);
    await assertEarlyStopping(d, await d.state(ENDED));
  });

  test('the page is usable within 1 s of navigation while the engine still loads', { timeout: 5 * 60_000 }, async () => {
    await assertUsableWhileLoading(driverOf(browser));
  });

  test('bad input and failed downloads: invalid URL parameters, a worker that fails to load, a missing and a corrupt MNIST file, each a clear message, and Retry recovers', { timeout: 10 * 60_000 }, async () => {
    await assertFaultsAndRetry(driverOf(browser), server);
  });

  test("the page's own WebAssembly cut short: a message and Reload, not a blank page", { timeout: 2 * 60_000 }, async () => {
    await assertPageWasmFails(driverOf(browser), server);
  });

  test('a browser without WebAssembly SIMD (JavaScriptCore with it switched off) is told what the page needs', { timeout: 2 * 60_000 }, async () => {
    const plain = await launchWebKit({ env: { JSC_useWasmSIMD: 'false' } });
    try {
      await assertNeedsSimd(driverOf(plain), server.base);
    } finally {
      await plain.close();
    }
  });

  test('the keyboard alone starts a run and switches the weight picture', { timeout: 5 * 60_000 }, async () => {
    await assertKeyboardRun(driverOf(browser), `${server.base}?backend=cpu&train_samples=1000&epochs=1&batch=100&prune=oneshot&finetune_epochs=0&hidden_keep=16`);
  });

  test('the URL reproduces the settings and the embed code can be copied', { timeout: 5 * 60_000 }, async () => {
    // Read back as a reader would: pasted (real keys) into a text field of the page's own.
    await assertShareAndCopy(driverOf(browser), server.base, async () => {
      await browser.evaluate(() => {
        const field = document.createElement('textarea');
        field.id = 'pasted';
        document.body.prepend(field);
        field.focus();
      });
      await browser.chord(['Control', 'v']);
      return browser.evaluate(() => document.getElementById('pasted').value);
    });
  });

  for (const width of [360, 450]) {
    test(`?embed=1 in a ${width} px iframe, under a sub-path: nothing heavy before Train, the verdict above the fold, no sideways scrolling`, { timeout: 5 * 60_000 }, async () => {
      // At 450 px, three settings share a row, and WebKit counted the device menu's option text
      // as overflow past its box.
      try {
        await assertEmbedInFrame(async (html) => {
          await browser.goto(`data:text/html,${encodeURIComponent(html)}`);
          await browser.frame(0);
          return driverOf(browser);
        }, server, width, 640);
      } finally {
        await browser.frame(null);
      }
    });
  }
});
