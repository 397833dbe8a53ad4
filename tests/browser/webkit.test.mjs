// The page in WebKit (WebKitGTK's MiniBrowser: JavaScriptCore runs the wasm, and this build has no
// WebGPU): it says so and does everything on the CPU. Runs are small: 3,000 images, one epoch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AXE_SOURCE, DIST, assertPrunedExport, axeAudit, digitStrokes, installAxe, keepDownloads, keptDownload, serve, testDigit, violationLines } from './harness.mjs';
import { launchWebKit, stateReached } from './webkit.mjs';

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

    // The pruned model's export holds the pruned weights and their mask.
    await browser.evaluate(keepDownloads);
    // In view first: WebKit finds no box to click in a section it has not rendered yet.
    await browser.evaluate(() => document.getElementById('export-pruned-json').scrollIntoView({ block: 'center' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await browser.click('#export-pruned-json');
    const saved = await browser.evaluateAsync(keptDownload);
    assert.equal(saved.name, 'prunelab-pruned.json');
    assertPrunedExport(JSON.parse(saved.text), r);

    // The finished page, audited by axe-core in WebKit as in Chromium.
    assert.equal(await browser.evaluate(installAxe, AXE_SOURCE), 'object');
    assert.deepEqual(violationLines(await browser.evaluateAsync(axeAudit)), []);
  });

  test('Cancel stops a run and the page stays usable', { timeout: 5 * 60_000 }, async () => {
    await browser.goto(`${server.base}?autorun=1&backend=cpu&prune=none&epochs=3&batch=32`);
    await stateReached(browser, ['training']);
    await browser.click('#cancel');
    const r = await stateReached(browser);
    assert.equal(r.state, 'cancelled');
    assert.ok(r.train.steps < 3 * 1875, `steps ${r.train.steps}`);
    assert.equal(await browser.evaluate(() => document.getElementById('train').disabled), false);
  });

  for (const width of [360, 450]) {
    test(`?embed=1 in a ${width} px iframe, under a sub-path: no sideways scrolling`, { timeout: 5 * 60_000 }, async () => {
      // As a blog post embeds it. At 450 px, three settings share a row, and WebKit counted the
      // device menu's option text as overflow past its box.
      const src = `${server.base}?embed=1&autorun=1&backend=cpu&prune=none&train_samples=1000&epochs=1`;
      await browser.goto(`data:text/html,<iframe src="${encodeURIComponent(src)}" width="${width}" height="640"></iframe>`);
      await browser.frame(0);
      const r = await stateReached(browser);
      assert.equal(r.state, 'done', JSON.stringify(r.error));
      const layout = await browser.evaluate(() => {
        for (const section of document.querySelectorAll('main > section')) section.style.contentVisibility = 'visible';
        return { embed: document.body.classList.contains('embed'), scroll: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth };
      });
      await browser.frame(null);
      assert.ok(layout.embed);
      assert.ok(layout.viewport <= width, JSON.stringify(layout));
      assert.ok(layout.scroll <= layout.viewport, `page is ${layout.scroll} px wide in a ${layout.viewport} px viewport`);
    });
  }
});
