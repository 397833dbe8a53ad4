// Drawing a digit: a digit from the MNIST test set is traced onto the canvas with real pointer
// input, and the dense, pruned and structured models each read it (the pruned one also on its sparse kernel, and both in int8).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, drawDigit, open, panicMessage, testDigit, waitForState } from './harness.mjs';

describe('Draw a digit', () => {
  const env = browserSuite();

  test('a digit from the test set, drawn with the pointer, is read by every model', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=cpu&train_samples=10000&epochs=2&batch=100&lr=0.002` +
      '&prune=oneshot&ranking=global&final_sparsity=0.9&finetune_epochs=1&hidden_keep=32');
    const r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));

    const { pixels, label } = testDigit(0);
    await drawDigit(page, pixels);
    await page.locator('.prediction').nth(7).waitFor({ timeout: 60_000 });
    const predictions = await page.locator('.prediction').evaluateAll((els) => els.map((e) => [e.dataset.model, Number(e.dataset.top)]));
    // The distilled student and its from-scratch rival (distill=1, the default) read it too.
    // The pruned model also reads it on the sparse kernel (CPU here: no WebGPU in this run), and
    // the int8 models (quantize=int8, the default) on theirs.
    assert.deepEqual(predictions, [['Dense', label], ['Pruned (masked)', label], ['Structured', label], ['Distilled student', label],
      ['Small, from scratch', label], ['Pruned, sparse kernel (CPU)', label],
      ['Dense, int8 (CPU)', label], ['Pruned + int8 (CPU)', label]]);
    assert.match(await page.locator('.prediction').first().textContent(), /This inference: \d/);
    assert.equal(await panicMessage(page), null);

    await page.locator('#clear-drawing').click();
    assert.equal(await page.locator('.prediction').count(), 0);
  });
});
