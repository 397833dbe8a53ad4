// The page never freezes and never dies: its thread stays free while the engine works, Cancel
// answers at every stage, a crashed engine or a lost GPU costs a message and a Retry, and ten
// runs in one page leave its memory where the second left it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  browserSuite, engineFootprint, engineWorker, observeLongTasks, open, openInstrumented, panicMessage, report, traceTasks, tracedHeavyTasks, waitForState,
} from './harness.mjs';
import { assertBrokenKernel, assertRefusedDevice, assertUsableWhileLoading, playwrightDriver } from './everywhere.mjs';

/** Clicks Cancel as soon as the JS expression `when` holds on the page, and resolves with the
 *  milliseconds (page clock) from the click until the run ended, and the state it ended in. Call
 *  it before starting the run: the click happens in the page, the moment the stage shows. */
function cancelWhen(page, when) {
  return page.evaluate((expression) => new Promise((resolve) => {
    const ready = new Function(`return ${expression}`);
    let clicked = null;
    const check = () => {
      if (clicked === null && ready()) {
        clicked = performance.now();
        document.querySelector('#cancel').click();
      }
      const state = document.body.dataset.state;
      if (clicked !== null && ['cancelled', 'done', 'error'].includes(state)) {
        observer.disconnect();
        resolve({ ms: performance.now() - clicked, state });
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    check();
  }), when);
}

// A whole train → prune → compare run on WebGPU, small enough for SwiftShader (about 20 s).
const SMALL_WEBGPU_RUN = 'backend=webgpu&hidden=16&train_samples=1000&epochs=1&batch=100&quantize=none' +
  '&prune=poly&final_sparsity=0.8&begin_step=0&end_step=10&frequency=2&prune_batch=100&finetune_epochs=1&hidden_keep=8&distill=0';

const phase = (name) => `(document.querySelector('#train-progress label')?.textContent ?? '').startsWith(${JSON.stringify(name)})`;

describe('the page stays responsive and survives faults', () => {
  const env = browserSuite();

  test('a whole default run on the CPU leaves the page thread free (no task over 50 ms)', { timeout: 10 * 60_000 }, async () => {
    const stopTrace = await traceTasks(env.browser, env.server.base);
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=cpu`, { initScript: observeLongTasks });
    const r = await waitForState(page, ['done', 'error']);
    const trace = await stopTrace();
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.ok(r.pruned && r.structured && r.pruned_sparse, 'the run measured every model');
    // In CPU time, as in the WebGPU autorun (see there): the engine's worker and V8's compiler
    // threads share the two cores with the page's thread, which a task's wall time includes.
    const heavy = await tracedHeavyTasks(trace, page, 100);
    assert.deepEqual(heavy, [], `tasks over 50 ms of CPU: ${JSON.stringify(heavy)}`);
  });

  test('the page starts with no task over 50 ms, the full page and the embed', { timeout: 2 * 60_000 }, async () => {
    for (const query of ['', '?embed=1']) {
      const stopTrace = await traceTasks(env.browser, env.server.base);
      const page = await open(env.browser, `${env.server.base}${query}`, { initScript: observeLongTasks });
      // Everything is mounted (the advanced settings and the last section come after the first
      // screen), and two more frames have been rendered.
      await page.locator('#advanced input[name=epochs]').waitFor({ state: 'attached' });
      await page.locator('#draw').waitFor({ state: 'attached' });
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const trace = await stopTrace();
      const heavy = await tracedHeavyTasks(trace, page, 5);
      assert.deepEqual(heavy, [], `${query || 'the full page'}: tasks over 50 ms of CPU: ${JSON.stringify(heavy)}`);
      await page.context().close();
    }
  });

  test('the page is usable within 1 s of navigation while the engine still loads', { timeout: 5 * 60_000 }, async () => {
    await assertUsableWhileLoading(playwrightDriver(await open(env.browser, 'about:blank'), waitForState));
  });

  test('Cancel takes effect within 200 ms at every stage', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?backend=cpu&quantize=none`);
    // The download twice: as its first file starts, and once the 47 MB training images (85.5 % of
    // the bytes) are in, so that Cancel comes while the test images are inflated and checked.
    const downloaded = (fraction) => `(document.querySelector('#download-progress progress')?.value ?? -1) >= ${fraction}`;
    const stages = [
      ['the MNIST download (start)', downloaded(0)],
      ['the MNIST download (last files)', downloaded(0.87)],
      ['dense training', phase('training the dense model')],
      ['gradual pruning', phase('training with gradual pruning')],
      ['the latency measurement', phase('measuring inference latency')],
    ];
    for (const [stage, when] of stages) {
      const cancelled = cancelWhen(page, when);
      await page.locator('#train').click();
      const { ms, state } = await cancelled;
      assert.equal(state, 'cancelled', `Cancel during ${stage}`);
      assert.ok(ms <= 200, `Cancel during ${stage} took ${ms.toFixed(0)} ms`);
      console.log(`Cancel during ${stage}: ${ms.toFixed(0)} ms`);
      assert.ok(await page.locator('#train').isEnabled());
      if (stage.startsWith('the MNIST download')) assert.equal((await report(page)).data, null, 'Cancel stopped the download itself');
    }
    // The download was cancelled, so the second run downloaded again; nothing was lost on the way.
    assert.equal((await report(page)).data.train_images, 60000);
    assert.equal(await panicMessage(page), null);
  });

  test('Cancel during the WebGPU latency measurement leaves the device fit for the next run', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?${SMALL_WEBGPU_RUN}`);
    await page.locator('#train').click();
    await page.waitForFunction(new Function(`return ${phase('measuring inference latency')}`), null, { timeout: 5 * 60_000, polling: 20 });
    // Into a timing window, whose readback goes through burn's pooled staging buffers.
    await page.waitForTimeout(300);
    await page.locator('#cancel').click();
    assert.equal((await waitForState(page, ['cancelled', 'done', 'error'])).state, 'cancelled');
    await page.locator('#train').click();
    const r = await waitForState(page, ['done', 'error']);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'webgpu');
    assert.ok(r.pruned_sparse?.latency.webgpu, 'the next run measured on WebGPU');
    assert.equal(await panicMessage(page), null);
  });

  test('an engine that crashes mid-run is reported, and Retry trains in a fresh one', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=cpu&prune=none&quantize=none&epochs=3&batch=32`);
    await page.locator('#train-progress').waitFor({ timeout: 4 * 60_000 });
    // What a trap inside the wasm is to the browser: an uncaught RuntimeError in the worker.
    await (await engineWorker(page)).evaluate(() => setTimeout(() => { throw new WebAssembly.RuntimeError('unreachable'); }));
    const r = await waitForState(page, ['error', 'done', 'cancelled']);
    assert.equal(r.state, 'error');
    assert.equal(r.error.kind, 'engine');
    assert.match(await page.locator('#error').textContent(), /the engine \(a Web Worker\) failed \(.*unreachable\).*Retry starts a fresh one/);
    assert.equal(await panicMessage(page), null);
    assert.ok(await page.locator('#train').isEnabled(), 'the controls stay usable');

    await page.locator('#advanced summary').click();
    await page.locator('input[name=epochs]').fill('1');
    await page.locator('input[name=epochs]').dispatchEvent('change');
    await page.locator('#error button', { hasText: 'Retry' }).click();
    const retried = await waitForState(page, ['done', 'error'], 5 * 60_000);
    assert.equal(retried.state, 'done', JSON.stringify(retried.error));
    assert.equal(retried.train.epochs_completed, 1);
  });

  test('a GPU device lost mid-training keeps what was trained, and Retry goes on from it on the CPU', { timeout: 10 * 60_000 }, async () => {
    const page = await openInstrumented(env.browser, `${env.server.base}?autorun=1&backend=webgpu&prune=none&quantize=none&train_samples=10000&epochs=3&batch=100`);
    // Lost once training is 20 steps in and the live picture has shown weights past step 0.
    await page.waitForFunction(() => {
      const step = Number(/step (\d+)/.exec(document.querySelector('#train-progress label')?.textContent ?? '')?.[1] ?? 0);
      const pictured = Number(/step (\d+)/.exec(document.querySelector('#weight-tiles')?.dataset.note ?? '')?.[1] ?? 0);
      return step >= 20 && pictured > 0;
    }, null, { timeout: 5 * 60_000, polling: 100 });
    await (await engineWorker(page)).evaluate(() => globalThis.__devices.at(-1).destroy());
    const r = await waitForState(page, ['error', 'done', 'cancelled']);
    assert.equal(r.state, 'error');
    assert.equal(r.error.kind, 'device');
    const from = Number(/GPU device was lost.*Retry goes on on the CPU from step (\d+)/.exec(r.error.message)?.[1]);
    assert.ok(from > 0 && from <= r.train.steps, `${r.error.message} (${r.train.steps} steps trained)`);
    assert.ok(r.train.steps >= 20 && r.train.steps < 300, `what was trained is kept: ${r.train.steps} steps`);
    assert.ok(r.train.loss_curve.length > 0);
    assert.equal(await panicMessage(page), null);

    await page.locator('#error button', { hasText: 'Retry' }).click();
    const retried = await waitForState(page, ['done', 'error'], 5 * 60_000);
    assert.equal(retried.state, 'done', JSON.stringify(retried.error));
    assert.equal(retried.backend, 'cpu');
    assert.match(retried.fallback_reason, /GPU device was lost/);
    // The same 300 steps in all: the CPU took the ones after the checkpoint.
    assert.equal(retried.train.resumed_from_step, from);
    assert.deepEqual([retried.train.steps, retried.train.epochs_completed], [300, 3]);
    assert.ok(retried.train.loss_curve.every((p) => p.step > from), JSON.stringify(retried.train.loss_curve.slice(0, 3)));
    assert.match(await page.locator('#resumed').textContent(), new RegExp(`from step ${from}`));
    assert.ok(retried.dense.test_accuracy > 0.9, `accuracy ${retried.dense.test_accuracy}`);
  });

  test('an adapter that refuses a device: the run goes to the CPU, and the page says why', { timeout: 5 * 60_000 }, async () => {
    await assertRefusedDevice(playwrightDriver(await open(env.browser, 'about:blank'), waitForState), env.server);
  });

  test('a kernel that does not compile on this adapter: training goes on through burn and says why; a failed check ends in a clear error and Retry on the CPU', { timeout: 8 * 60_000 }, async () => {
    await assertBrokenKernel(playwrightDriver(await open(env.browser, 'about:blank'), waitForState), env.server);
  });

  // Ten runs, each ~30 s on SwiftShader: after the second (the allocator's and the pools' high-water
  // marks), a leak of one GPU buffer or of 0.75 MB of wasm memory per run crosses the bounds below.
  test('ten runs in one page: no panic, wasm memory and GPU buffers stay where the second run left them', { timeout: 10 * 60_000 }, async () => {
    const page = await openInstrumented(env.browser, `${env.server.base}?${SMALL_WEBGPU_RUN}`);
    const footprints = [];
    for (let cycle = 1; cycle <= 10; cycle++) {
      await page.locator('#train').click();
      const r = await waitForState(page, ['done', 'error', 'cancelled'], 3 * 60_000);
      assert.equal(r.state, 'done', `cycle ${cycle}: ${JSON.stringify(r.error)}`);
      assert.equal(r.backend, 'webgpu');
      assert.ok(r.pruned && r.structured, `cycle ${cycle} pruned`);
      footprints.push(await engineFootprint(page));
    }
    console.log(`footprints (wasm bytes, live GPU buffers): ${footprints.map((f) => `${f.memory}/${f.buffers}`).join(' ')}`);
    const [second, last] = [footprints[1], footprints.at(-1)];
    assert.ok(second.memory > 0 && second.buffers > 0, JSON.stringify(second));
    assert.ok(last.memory <= second.memory * 1.05, `wasm memory ${second.memory} → ${last.memory}`);
    assert.ok(last.buffers <= second.buffers + 3, `GPU buffers ${second.buffers} → ${last.buffers}`);
    assert.equal(await panicMessage(page), null);
  });
});
