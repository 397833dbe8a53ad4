// The page trains in a real browser: on WebGPU (SwiftShader here), on the CPU when WebGPU is
// missing, and it survives corrupt data, bad URL parameters and a cancel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch, open, panicMessage, report, serve, waitForState } from './harness.mjs';

// Same recipe as the native CPU test: a few thousand real images, two short epochs.
const SMALL_RUN = 'train_samples=10000&epochs=2&batch=100&lr=0.002&loss_every=10';

describe('PruneLab in headless Chromium', () => {
  let server;
  let browser;
  before(async () => {
    server = await serve();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('autorun trains on WebGPU and beats 90 % test accuracy', { timeout: 15 * 60_000 }, async () => {
    const page = await open(browser, `${server.base}?autorun=1&${SMALL_RUN}`);
    const r = await waitForState(page);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.state, 'done');
    assert.equal(r.backend, 'webgpu', `fell back to the CPU: ${r.fallback_reason}`);
    assert.ok(r.adapter.length > 0);
    assert.equal(r.config.train_samples, 10000);
    assert.equal(r.train.steps, 2 * 100);
    assert.equal(r.train.test_accuracy.per_epoch.length, 2);
    assert.ok(r.train.test_accuracy.final >= 0.90, `test accuracy ${r.train.test_accuracy.final}`);
    assert.equal(r.dense.test_accuracy, r.train.test_accuracy.final);
    assert.equal(r.dense.weights_total, 101_770);
    assert.ok(r.train.ms_per_step_median > 0);
    assert.equal(r.train.loss_curve.length, 20);
    // The page shows what the report says.
    assert.match(await page.locator('#backend').textContent(), /WebGPU/);
    assert.equal(await page.locator('#test-accuracy').textContent(), `${(r.train.test_accuracy.final * 100).toFixed(2)} %`);
    const points = await page.locator('#loss-chart polyline').getAttribute('points');
    assert.equal(points.trim().split(' ').length, r.train.loss_curve.length);
    console.log(`webgpu: adapter "${r.adapter}", ${r.train.steps} steps, median ${r.train.ms_per_step_median.toFixed(1)} ms/step, ` +
      `wall ${(r.train.wall_ms / 1000).toFixed(1)} s, test accuracy ${r.train.test_accuracy.per_epoch.join(' → ')}`);
  });

  test('without WebGPU it says so and trains on the CPU', { timeout: 10 * 60_000 }, async () => {
    const page = await open(browser, `${server.base}?autorun=1&train_samples=2000&epochs=1&batch=64`, {
      // A browser without WebGPU: no navigator.gpu at all.
      initScript: () => { delete Navigator.prototype.gpu; },
    });
    const r = await waitForState(page);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'cpu');
    assert.match(r.fallback_reason, /navigator\.gpu is missing/);
    assert.match(await page.locator('#fallback').textContent(), /Running on the CPU, not WebGPU/);
    assert.ok(r.train.test_accuracy.final > 0.8, `test accuracy ${r.train.test_accuracy.final}`);
    console.log(`cpu fallback: ${r.train.steps} steps, median ${r.train.ms_per_step_median.toFixed(1)} ms/step, accuracy ${r.train.test_accuracy.final}`);
  });

  test('a corrupt MNIST file ends in a clear error, and Retry recovers', { timeout: 10 * 60_000 }, async () => {
    const page = await open(browser, `${server.base}?autorun=1&backend=cpu&train_samples=500&epochs=1`);
    // Not set before goto: set it now and reload, so the first run sees the corrupt file.
    await page.route('**/mnist/t10k-labels-idx1-ubyte.gz', async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[Math.floor(body.length / 2)] ^= 0xff;
      await route.fulfill({ response, body });
    });
    await page.reload();
    const r = await waitForState(page, ['error', 'done']);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'error');
    assert.equal(r.error.kind, 'data');
    assert.match(r.error.message, /t10k-labels-idx1-ubyte/);
    assert.match(await page.locator('#error').textContent(), /MNIST data could not be loaded/);

    await page.unroute('**/mnist/t10k-labels-idx1-ubyte.gz');
    await page.locator('#error button', { hasText: 'Retry' }).click();
    const retried = await waitForState(page, ['done', 'error']);
    assert.equal(retried.state, 'done', JSON.stringify(retried.error));
    assert.equal(retried.error, null);
  });

  test('a missing MNIST file is reported with the server status', { timeout: 5 * 60_000 }, async () => {
    const page = await open(browser, `${server.base}?backend=cpu`);
    await page.route('**/mnist/train-labels-idx1-ubyte.gz', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.locator('#train').click();
    const r = await waitForState(page, ['error', 'done']);
    assert.equal(r.state, 'error');
    assert.match(r.error.message, /train-labels-idx1-ubyte.*404/);
    assert.equal(await panicMessage(page), null);
  });

  test('invalid URL parameters are reported and replaced, never fatal', { timeout: 5 * 60_000 }, async () => {
    const page = await open(browser, `${server.base}?autorun=1&backend=cpu&train_samples=300&epochs=abc&batch=0&lr=NaN&bogus=1`);
    const r = await waitForState(page);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.config.epochs, 5);
    assert.equal(r.config.batch, 1);
    assert.equal(r.notices.length, 4, r.notices.join('\n'));
    assert.equal(await page.locator('#notices li').count(), 4);
  });

  test('Cancel stops training and keeps the page usable', { timeout: 5 * 60_000 }, async () => {
    const page = await open(browser, `${server.base}?autorun=1&backend=cpu&epochs=3&batch=32`);
    await page.locator('#train-progress').waitFor({ timeout: 4 * 60_000 });
    await page.locator('#cancel').click();
    const r = await waitForState(page, ['cancelled', 'done', 'error']);
    assert.equal(r.state, 'cancelled');
    assert.ok(r.train.steps > 0 && r.train.steps < 3 * 1875, `steps ${r.train.steps}`);
    assert.ok(await page.locator('#train').isEnabled());
    assert.equal(await panicMessage(page), null);
  });
});
