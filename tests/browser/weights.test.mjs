// "See the pruning" and "Download the models": the first layer's tiles follow gradual pruning
// live and show exactly what each model lost; the exported files hold the models the page made.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, test } from 'node:test';
import { assertPrunedExport, browserSuite, open, panicMessage, waitForState } from './harness.mjs';

// 100 steps a epoch on 10,000 images; masks every 10 steps from step 0 to 100, to 90 %. Six
// epochs, so that dense training outlasts the live picture's 1 s refresh even on the fast
// (SIMD) CPU backend, about 3 ms a step here.
const RUN = 'autorun=1&backend=cpu&train_samples=10000&epochs=6&batch=100&lr=0.002' +
  '&prune=poly&final_sparsity=0.9&begin_step=0&end_step=100&frequency=10&prune_batch=100&finetune_epochs=1&hidden_keep=32';
const PRUNED_RGB = [45, 45, 45];

/** Records every picture the engine worker sends the page (model and note), as it arrives. A
 *  picture crosses as postcard's bytes (`Wire` in src/protocol/messages.rs, whose test pins this prefix):
 *  0 (a picture), the model's index in `ModelKind`, the note's length and its UTF-8. */
const recordPictures = () => {
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

/** The tile canvas' data attributes, and its pixels counted: pruned-grey, and tiles all grey. */
async function tiles(page) {
  // The page paints a picture a band of tiles per frame, and marks the canvas when it is whole.
  await page.waitForFunction(() => {
    const c = document.querySelector('#weight-tiles');
    return c.dataset.painted === `${c.dataset.model} ${c.dataset.note}`;
  }, null, { timeout: 10_000, polling: 50 });
  return page.locator('#weight-tiles').evaluate(async (canvas, pruned) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let prunedPixels = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] === pruned[0] && data[i + 1] === pruned[1] && data[i + 2] === pruned[2] && data[i + 3] === 255) prunedPixels++;
    }
    let greyTiles = 0;
    for (let unit = 0; unit < 128; unit++) {
      const x0 = (unit % 16) * 29;
      const y0 = Math.floor(unit / 16) * 29;
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
  }, PRUNED_RGB);
}

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
}

describe('See the pruning, download the models', () => {
  const env = browserSuite();
  let page;
  let report;
  const live = [];
  before(async () => {
    page = await open(env.browser, `${env.server.base}?${RUN}`, { initScript: recordPictures });
    // Watch the picture while the run goes: every state it shows, in order.
    await page.exposeFunction('sawTiles', (d) => live.push(d));
    await page.evaluate(() => {
      let last = '';
      const look = () => {
        const c = document.querySelector('#weight-tiles');
        const d = c && JSON.stringify({ ...c.dataset });
        if (d && d !== last) { last = d; window.sawTiles(JSON.parse(d)); }
        if (!['done', 'error', 'cancelled'].includes(document.body.dataset.state)) requestAnimationFrame(look);
      };
      look();
    });
    report = await waitForState(page);
  });

  test('the tiles follow training and gradual pruning live', async () => {
    assert.equal(report.state, 'done', JSON.stringify(report.error));
    const dense = live.filter((d) => d.model === 'dense');
    assert.ok(dense.length >= 2 && dense[0].note === 'step 0', `dense pictures: ${JSON.stringify(dense)}`);
    // The engine sends one picture per mask update (steps 0, 10, … 100), in order; the page
    // shows them as they come (a frame may skip one replaced within it), with ever more weights
    // pruned, ending at the report's count.
    const sent = (await page.evaluate(() => window.__pictures)).filter((p) => p.model === 'pruned' && p.note.startsWith('step'));
    const steps = sent.map((p) => Number(p.note.match(/^step (\d+)/)[1]));
    assert.deepEqual(steps, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], `mask pictures sent: ${JSON.stringify(sent)}`);
    const masks = live.filter((d) => d.model === 'pruned' && d.note.startsWith('step'));
    const counts = masks.map((d) => Number(d.pruned));
    assert.ok(masks.length >= 2 && masks.at(-1).note.startsWith('step 100'), `mask pictures shown: ${JSON.stringify(masks)}`);
    assert.ok(counts.every((c, i) => i === 0 || c >= counts[i - 1]), `${counts}`);
    const hidden = report.prune.layers[0];
    assert.equal(counts.at(-1), hidden.total - hidden.kept);
    assert.ok(live.some((d) => d.model === 'structured'), 'structured pruning is shown as it happens');
  });

  test('each model\'s tiles show exactly what it lost', async () => {
    assert.equal(await panicMessage(page), null);
    const hidden = report.prune.layers[0];
    await page.locator('input[name=picture][value=pruned]').check();
    const pruned = await tiles(page);
    assert.equal([pruned.width, pruned.height].join('×'), `${16 * 29 - 1}×${8 * 29 - 1}`);
    assert.equal(Number(pruned.pruned), hidden.total - hidden.kept);
    assert.equal(pruned.prunedPixels, hidden.total - hidden.kept, 'every pruned weight is painted as pruned');
    assert.match(await page.locator('#histogram-summary').textContent(), /Threshold \|w\| = 0\.\d{4}/);
    assert.ok(Number(await page.locator('#magnitude-histogram').getAttribute('data-threshold')) > 0);

    await page.locator('input[name=picture][value=structured]').check();
    const structured = await tiles(page);
    const removed = 128 - report.prune.structured_units_kept;
    assert.equal(Number(structured.removed), removed);
    assert.equal(structured.greyTiles, removed, 'exactly the removed units are greyed out');

    await page.locator('input[name=picture][value=dense]').check();
    const dense = await tiles(page);
    assert.equal(dense.note, 'trained');
    assert.equal([dense.pruned, dense.removed, dense.prunedPixels, dense.greyTiles].join(), '0,0,0,0');
    // Pointing at a tile names its unit.
    const box = await page.locator('#weight-tiles').boundingBox();
    await page.mouse.move(box.x + box.width * (14 / 463), box.y + box.height * (14 / 231));
    await page.locator('.weights [role=status]', { hasText: 'Unit 0:' }).waitFor();
  });

  test('the dense, pruned, structured and int8 models download as burn records and JSON', async () => {
    const pruned = await download(page, '#export-pruned-json');
    assert.equal(pruned.name, 'prunelab-pruned.json');
    const json = JSON.parse(pruned.bytes.toString('utf8'));
    assertPrunedExport(json, report);
    assert.match(json.settings, /final_sparsity=0\.9.*end_step=100/);

    const structured = JSON.parse((await download(page, '#export-structured-json')).bytes);
    assert.equal(structured.kept_units.length, report.prune.structured_units_kept);
    assert.deepEqual(structured.layers[0].kernel.shape, [784, report.prune.structured_units_kept]);

    // The distilled student keeps the structured model's units; the from-scratch one has none.
    const distilled = JSON.parse((await download(page, '#export-distilled-json')).bytes);
    assert.equal(distilled.test_accuracy, report.distilled.test_accuracy);
    assert.deepEqual(distilled.kept_units, structured.kept_units);
    const scratch = JSON.parse((await download(page, '#export-scratch-json')).bytes);
    assert.deepEqual([scratch.kept_units ?? null, scratch.layers[0].kernel.shape], [null, [784, 32]]);

    // The int8 models (quantize=int8, the default), as the engine runs them.
    const int8 = JSON.parse((await download(page, '#export-pruned-int8-json')).bytes);
    assert.equal(int8.format, 'prunelab-int8-mlp');
    assert.deepEqual(int8.layers.map((l) => [l.name, l.layout, l.scales.length, l.bias.length]), [['hidden', 'csr', 128, 128], ['output', 'csr', 10, 10]]);
    assert.equal(int8.layers[0].codes.length, int8.layers[0].indices.length);
    assert.equal(int8.layers[0].row_ptr.at(-1), int8.layers[0].codes.length);
    assert.ok(int8.layers[0].codes.every((c) => c >= -127 && c <= 127 && c !== 0), 'CSR keeps non-zero codes in [-127, 127]');
    assert.equal(int8.test_accuracy, report.pruned_int8.test_accuracy);
    const dense8 = JSON.parse((await download(page, '#export-int8-json')).bytes);
    assert.deepEqual([dense8.layers[0].layout, dense8.layers[0].codes.length], ['dense', 784 * 128]);

    // burnpack: "BURN" magic (u32 little-endian), then the tensors; at least 4 bytes a weight.
    for (const model of ['dense', 'pruned', 'structured']) {
      const record = await download(page, `#export-${model}-bpk`);
      assert.equal(record.name, `prunelab-${model}.bpk`);
      assert.equal(record.bytes.readUInt32LE(0), 0x4255524e, `${model} record magic`);
      assert.ok(record.bytes.length >= 4 * report[model].weights_total, `${model} record is ${record.bytes.length} bytes`);
    }
    assert.match(await page.locator('.export [role=status]').textContent(), /Saved prunelab-structured\.bpk/);
  });
});
