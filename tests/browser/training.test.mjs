// The page trains in a real browser: on WebGPU (SwiftShader here), on the CPU when WebGPU is
// missing, and it survives corrupt data, bad URL parameters and a cancel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS_ONLY, NO_TIMESTAMP_QUERY, browserSuite, engineWorker, observeLongTasks, open, openInstrumented, assertTiming, panicMessage, report, traceTasks, tracedHeavyTasks, waitForState } from './harness.mjs';
import { EARLY_STOPPING_RUN, STUDY_RUN, assertEarlyStopping, assertFaultsAndRetry, assertPageWasmFails, assertStudy, playwrightDriver } from './everywhere.mjs';

// Same recipe as the native CPU test: a few thousand real images, two short epochs.
const SMALL_RUN = 'train_samples=10000&epochs=2&batch=100&lr=0.002&loss_every=10';
// Gradual pruning to 90 % over the first 100 steps of the same recipe, then 1 epoch of
// fine-tuning for the structured model: short enough for SwiftShader.
const PRUNE_RUN = 'prune=poly&final_sparsity=0.9&begin_step=0&end_step=100&frequency=20&prune_batch=100&finetune_epochs=1&hidden_keep=32';

/** The pruned model on its pattern's own kernel: it agrees with the masked dense model on every
 *  test image on each backend, is timed there, stores fewer bytes than CSR; its figures are printed. */
function assertPatternKernel(r, backends, label) {
  const p = r.sparse?.pattern;
  assert.ok(p && p.error === null, `${label}: ${JSON.stringify(p)}`);
  for (const backend of backends) {
    const a = p[`agreement_${backend}`];
    assert.ok(a && a.images === 10000 && a.max_error <= 1e-5 && a.argmax_mismatches === 0, `${label}, ${backend}: ${JSON.stringify(a)}`);
    for (const batch of ['b1', 'b1024']) assertTiming(p.latency[backend]?.[batch], `${label} pattern.latency.${backend}.${batch}`);
  }
  assert.ok(p.bytes < p.csr_bytes && p.bytes_int8 < p.csr_bytes_int8, `${label}: ${JSON.stringify(p)}`);
  const median = (latency, backend, batch) => latency?.[backend]?.[batch]?.median_ms?.toFixed(4) ?? '–';
  for (const backend of backends) {
    const row = (name, latency) => `${name} ${median(latency, backend, 'b1')} / ${median(latency, backend, 'b1024')} ms`;
    console.log(`${label}, ${backend}, batch 1 / 1024: ${row('masked dense', r.pruned.latency)}; ${row('CSR', r.pruned_sparse.latency)}; ` +
      `${row('pattern kernel', p.latency)}; bytes ${p.bytes} vs CSR ${p.csr_bytes} (int8 ${p.bytes_int8} vs ${p.csr_bytes_int8})`);
  }
}

describe('PruneLab in headless Chromium', () => {
  const env = browserSuite();

  test('autorun trains on WebGPU, prunes, and measures every model', { timeout: 25 * 60_000 }, async () => {
    // backend=webgpu: SwiftShader is a software adapter, which backend=auto would leave for the CPU.
    const stopTrace = await traceTasks(env.browser, env.server.base);
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=webgpu&${SMALL_RUN}&${PRUNE_RUN}&sweep=1&check_engine=1`, { initScript: observeLongTasks });
    const r = await waitForState(page, ['done', 'error', 'cancelled'], 24 * 60_000);
    const trace = await stopTrace();
    assert.equal(await panicMessage(page), null);
    // The engine works in its worker: no task from navigation on (the page's start-up included)
    // does more than 50 ms of work on the page's thread. Counted in CPU time: SwiftShader emulates the GPU on the same two
    // cores, and a task of 12 ms of work was seen to last 93 ms while the thread waited for one
    // (`traceTasks` in harness.mjs).
    const heavy = await tracedHeavyTasks(trace, page, 1000);
    assert.deepEqual(heavy, [], `tasks over 50 ms of CPU: ${JSON.stringify(heavy)}`);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.state, 'done');
    assert.equal(r.backend, 'webgpu', `fell back to the CPU: ${r.fallback_reason}`);
    assert.ok(r.adapter.length > 0);

    // The fused step (engine=fused, the default) checked against burn's autodiff on this WebGPU
    // device first: same start, same 20 batches of 100.
    assert.deepEqual([r.engine_check.engine, r.engine_check.steps, r.engine_check.batch], ['fused (WebGPU)', 20, 100]);
    assert.ok(r.engine_check.max_loss_error < 1e-4 && r.engine_check.max_param_error < 1e-4, JSON.stringify(r.engine_check));
    assert.match(await page.locator('#engine-check').textContent(), /fused \(WebGPU\) and burn's autodiff, 20 steps/);
    // One fused step kernel by kernel (GPU timestamps): seven dispatches, one submit.
    const p = r.engine_profile;
    assert.equal(p.error, null);
    assert.deepEqual([p.dispatches, p.submits], [7, 1]);
    assert.deepEqual(p.kernels.map((k) => k.kernel), ['gather', 'forward_hidden', 'forward_output', 'grad_output', 'grad_hidden', 'grad_w1', 'adam']);
    assert.ok(p.kernels.every((k) => k.ms >= 0) && p.kernels.some((k) => k.ms > 0), JSON.stringify(p.kernels));
    console.log(`fused step profile (batch ${p.batch}): ${p.kernels.map((k) => `${k.kernel} ${k.ms.toFixed(2)} ms`).join(', ')}`);

    // Dense training (issue 2), on the fused WebGPU step.
    assert.equal(r.train.engine, 'fused (WebGPU)');
    assert.equal(r.train.engine_note, null);
    assert.equal(r.config.train_samples, 10000);
    assert.equal(r.train.steps, 2 * 100);
    assert.equal(r.train.test_accuracy.per_epoch.length, 2);
    assert.ok(r.train.test_accuracy.final >= 0.90, `test accuracy ${r.train.test_accuracy.final}`);
    assert.equal(r.dense.test_accuracy, r.train.test_accuracy.final);
    assert.equal(r.dense.weights_total, 101_770);
    assert.ok(r.train.ms_per_step_median > 0);
    // Every 10th step, and the first on its own (shader compilation), reported apart.
    assert.equal(r.train.loss_curve.length, 21);
    assert.ok(r.train.first_step_ms > 0, `first step ${r.train.first_step_ms}`);
    assert.match(await page.locator('#backend').textContent(), /WebGPU/);

    // Gradual pruning reached exactly TFMOT's k per kernel: max(round(n × 0.1), 1).
    assert.deepEqual(r.prune.layers.map((l) => [l.layer, l.kept, l.total]), [['hidden', 10035, 100352], ['output', 128, 1280]]);
    assert.equal(r.pruned.weights_nonzero, 10035 + 128 + 138);
    assert.deepEqual(r.prune.sparsity_curve.map((p) => p.step), [0, 20, 40, 60, 80, 100]);
    const last = r.prune.sparsity_curve.at(-1);
    assert.ok(Math.abs(last.target - 0.9) < 1e-6 && Math.abs(last.measured - 0.9) < 1e-3, JSON.stringify(last));
    assert.equal(r.prune.schedule_summary.reached.toFixed(6), (0.9).toFixed(6));
    assert.ok(r.pruned.bytes_sparse < r.pruned.bytes_f32 / 3);
    assert.equal(r.pruned.bytes_f32, r.dense.bytes_f32);

    // Structured: a real 784 → 32 → 10 model; beside it the same student distilled from the dense
    // teacher on WebGPU (distill=1, the default), and one of its shape from scratch, same steps.
    assert.equal(r.structured.hidden_units, 32);
    assert.deepEqual([r.distilled.hidden_units, r.scratch.hidden_units, r.distill.student_hidden, r.distill.steps], [32, 32, 32, 100]);
    assert.ok(r.distilled.test_accuracy > 0.8 && r.scratch.test_accuracy > 0.5, `distilled ${r.distilled.test_accuracy}, scratch ${r.scratch.test_accuracy}`);
    assert.equal(r.structured.weights_total, 784 * 32 + 32 + 32 * 10 + 10);
    for (const [name, m] of [['pruned', r.pruned], ['structured', r.structured]]) {
      assert.ok(m.test_accuracy > 0.8, `${name} accuracy ${m.test_accuracy}`);
    }

    // Every latency figure, on both backends, at both batch sizes.
    for (const [name, m] of [['dense', r.dense], ['pruned', r.pruned], ['structured', r.structured], ['distilled', r.distilled], ['scratch', r.scratch]]) {
      for (const backend of ['webgpu', 'cpu']) {
        for (const batch of ['b1', 'b1024']) assertTiming(m.latency[backend]?.[batch], `${name}.latency.${backend}.${batch}`);
      }
    }
    assert.ok(r.timer.resolution_ms > 0 && r.timer.resolution_ms <= 1, JSON.stringify(r.timer));
    // The page states the GPU round trip it measured, beside the protocol.
    const roundTrip = (await page.locator('#latency-note').textContent()).match(/GPU round trip in this browser: ([\d.]+) ms/);
    assert.ok(roundTrip && Math.abs(+roundTrip[1] - r.dense.latency.webgpu.b1.round_trip_ms) < 0.01 * r.dense.latency.webgpu.b1.round_trip_ms + 0.001, `${roundTrip} vs ${r.dense.latency.webgpu.b1.round_trip_ms}`);

    // The pruned model on the sparse kernels: the same logits as the masked dense model on all
    // 10,000 test images, on both backends, and its own latency column.
    assert.equal(r.sparse.error, null);
    for (const backend of ['cpu', 'webgpu']) {
      const a = r.sparse[`agreement_${backend}`];
      assert.ok(a, `agreement on ${backend} is missing`);
      assert.equal(a.images, 10000);
      assert.ok(a.max_error <= 1e-5, `${backend}: max error ${a.max_error}`);
      assert.equal(a.argmax_mismatches, 0, `${backend}: predictions differ`);
      for (const batch of ['b1', 'b1024']) assertTiming(r.pruned_sparse.latency[backend]?.[batch], `pruned_sparse.latency.${backend}.${batch}`);
    }
    assert.equal(r.pruned_sparse.weights_nonzero, r.pruned.weights_nonzero);
    assert.equal(r.pruned_sparse.test_accuracy, r.pruned.test_accuracy);
    // The sweep (?sweep=1): dense vs sparse at six sparsities, CPU and WebGPU, batch 1 and 1024.
    assert.equal(r.sparse.sweep.cancelled, false);
    assert.deepEqual(r.sparse.sweep.sparsities.map((s) => Math.round(s * 100)), [50, 70, 80, 90, 95, 98]);
    assert.deepEqual(r.sparse.sweep.series.map((s) => `${s.backend}/${s.batch}`), ['cpu/1', 'cpu/1024', 'webgpu/1', 'webgpu/1024']);
    for (const s of r.sparse.sweep.series) {
      assert.equal(s.sparse.length, 6);
      s.sparse.forEach((t, i) => assertTiming(t, `sweep ${s.backend}/${s.batch} at ${r.sparse.sweep.sparsities[i]}`));
    }
    assert.equal(await page.locator('.sparse .chart').count(), 4);
    for (const s of r.sparse.sweep.series) {
      // The chart marks the crossover exactly when there is one.
      assert.equal(await page.locator(`#sweep-${s.backend}-${s.batch} line.marker`).count(), s.crossover === null ? 0 : 1);
    }
    assert.equal(await page.locator('#sweep-verdicts li').count(), 4);

    // Where the time went: every stage of the run, in order, each timed.
    assert.deepEqual(r.stages.map((s) => s.stage), ['starting the device', 'loading MNIST', 'checking the fused step against autodiff', 'training the dense model', 'training with gradual pruning',
      'removing hidden units, then fine-tuning', 'distilling the dense model into the small student', 'training the small model from scratch',
      'measuring inference latency', 'running the pruned model on sparse kernels', 'quantizing to int8',
      'sweeping sparsity']);
    assert.ok(r.stages.every((s) => s.wall_ms >= 0), JSON.stringify(r.stages));
    assert.ok(Math.abs(r.stages[3].wall_ms - r.train.wall_ms) < 0.2 * r.train.wall_ms + 500, `dense stage ${r.stages[3].wall_ms} ms vs training ${r.train.wall_ms} ms`);
    assert.equal(await page.locator('#stage-table tr').count(), 12);

    // int8 (quantize=int8, the default): the dense and the pruned model quantized after training,
    // checked on the test set and timed on the CPU (WebAssembly SIMD).
    assert.equal(r.quant.error, null);
    for (const [name, m, check, layout] of [['int8', r.int8, r.quant.dense, 'dense int8'], ['pruned_int8', r.pruned_int8, r.quant.pruned, 'CSR int8']]) {
      assert.equal(m.precision, 'int8');
      assert.equal(check.layout, layout);
      // The SIMD paths compute exactly what the plain integer reference computes.
      assert.equal(check.reference_images, 1000);
      assert.equal(check.matches_reference, true, `${name}: logits differ from the integer reference`);
      assert.ok(check.argmax_agreement >= 0.99, `${name}: same class as float on ${check.argmax_agreement}`);
      assert.equal(check.calibration.images, 500);
      for (const batch of ['b1', 'b1024']) assertTiming(m.latency.cpu?.[batch], `${name}.latency.cpu.${batch}`);
      // On WebGPU too (the dense model with packed dot products where Chromium offers them, the
      // pruned one on the sparse int8 kernel): every logit bit-identical to the CPU engine's.
      const g = check.webgpu;
      assert.equal(g.agreement.images, 10000);
      assert.equal(g.identical, true, `${name} on WebGPU vs CPU: ${JSON.stringify(g)}`);
      for (const batch of ['b1', 'b1024']) assertTiming(m.latency.webgpu?.[batch], `${name}.latency.webgpu.${batch}`);
    }
    assert.match(r.quant.dense.webgpu.dot_product, /dot4I8Packed|unpacked/);
    assert.match(r.quant.pruned.webgpu.dot_product, /sparse/);
    assert.ok(Math.abs(r.int8.test_accuracy - r.dense.test_accuracy) <= 0.01, `int8 ${r.int8.test_accuracy} vs float ${r.dense.test_accuracy}`);
    assert.ok(r.int8.bytes_int8 * 3.9 < r.dense.bytes_f32, `${r.int8.bytes_int8} int8 bytes vs ${r.dense.bytes_f32}`);
    assert.ok(r.pruned_int8.bytes_int8 * 1.8 < r.pruned.bytes_sparse, `${r.pruned_int8.bytes_int8} int8 CSR bytes vs ${r.pruned.bytes_sparse}`);
    assert.match(await page.locator('#quant-note').textContent(), /bit-identical/);

    // The page shows the comparison: dense, masked, sparse kernel, structured, distilled, from
    // scratch, int8, pruned + int8.
    assert.equal(await page.locator('#comparison thead th').count(), 9);
    assert.match(await page.locator('#distill-note').textContent(), /T = 10, α = 0\.1\): the 32-unit student, 100 steps/);
    assert.equal(await page.locator('#test-accuracy').textContent(), `${(r.train.test_accuracy.final * 100).toFixed(2)} %`);
    assert.match(await page.locator('#schedule-summary').textContent(), /6 mask updates/);
    assert.equal(await page.locator('#sparsity-chart polyline').count(), 2);
    // The first-layer picture of the pruned model shows exactly the weights its mask removed.
    await page.locator('input[name=picture][value=pruned]').check();
    assert.equal(await page.locator('#weight-tiles').getAttribute('data-pruned'), String(100352 - 10035));
    const fmt = (t) => `${t.median_ms.toFixed(3)}/${t.p95_ms.toFixed(3)} ms`;
    console.log(`webgpu: adapter "${r.adapter}", ${r.train.steps} steps, median ${r.train.ms_per_step_median.toFixed(1)} ms/step, ` +
      `wall ${(r.train.wall_ms / 1000).toFixed(1)} s, test accuracy ${r.train.test_accuracy.per_epoch.join(' → ')}`);
    for (const [name, m] of [['dense', r.dense], ['pruned', r.pruned], ['pruned_sparse', r.pruned_sparse], ['structured', r.structured], ['distilled', r.distilled],
      ['scratch', r.scratch], ['int8', r.int8], ['pruned_int8', r.pruned_int8]]) {
      const webgpu = m.latency.webgpu ? `webgpu b1 ${fmt(m.latency.webgpu.b1)}, b1024 ${fmt(m.latency.webgpu.b1024)}, ` : '';
      console.log(`${name}: accuracy ${m.test_accuracy}, ${webgpu}cpu b1 ${fmt(m.latency.cpu.b1)}, b1024 ${fmt(m.latency.cpu.b1024)}`);
    }
    console.log(`sparse agreement: cpu ${JSON.stringify(r.sparse.agreement_cpu)}, webgpu ${JSON.stringify(r.sparse.agreement_webgpu)}`);
    console.log(`int8 on WebGPU: dense ${JSON.stringify(r.quant.dense.webgpu)}, pruned ${JSON.stringify(r.quant.pruned.webgpu)}`);
  });

  test('every lever at once on WebGPU: L1/L2, early stopping, pruning, distillation, int8', { timeout: 15 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=webgpu&train_samples=2000&epochs=2&batch=100&lr=0.002` +
      '&prune=oneshot&ranking=global&final_sparsity=0.9&finetune_epochs=1&hidden_keep=16' +
      '&l1=0.0001&l2=0.0001&validation_split=0.1&early_stopping=1&patience=3&distill_t=4&distill_alpha=0.3');
    const r = await waitForState(page, ['done', 'error', 'cancelled'], 14 * 60_000);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'webgpu');
    assert.deepEqual(r.notices, []);
    // L1/L2 put the dense training on autodiff (and the page says why); the rest runs fused.
    assert.deepEqual([r.train.engine, r.train.engine_note], ['autodiff', 'L1/L2 penalties run on autodiff']);
    assert.deepEqual([r.train.steps, r.train.val_loss.length, r.train.early_stopping.stopped_epoch], [36, 2, null]);
    assert.ok(r.dense.near_zero_share > 0, `near-zero share ${r.dense.near_zero_share}`);
    assert.equal(r.prune.layers.reduce((sum, l) => sum + l.kept, 0), 101_632 - Math.round(0.9 * 101_632));
    assert.deepEqual([r.distill.temperature, r.distill.alpha, r.distill.steps, r.distilled.hidden_units, r.scratch.hidden_units], [4, 0.3, 20, 16, 16]);
    for (const [name, m] of [['dense', r.dense], ['pruned_sparse', r.pruned_sparse], ['distilled', r.distilled], ['int8', r.int8], ['pruned_int8', r.pruned_int8]]) {
      assertTiming(m.latency.webgpu?.b1, `${name}.latency.webgpu.b1`);
      assertTiming(m.latency.cpu?.b1024, `${name}.latency.cpu.b1024`);
    }
    assert.equal(r.quant.dense.webgpu.identical, true, JSON.stringify(r.quant.dense.webgpu));
    assert.equal(r.quant.pruned.webgpu.identical, true, JSON.stringify(r.quant.pruned.webgpu));
    assert.equal(r.sparse.agreement_webgpu.argmax_mismatches, 0);
    assert.equal(await page.locator('#summary-table tbody tr').count(), 8);
    assert.match(await page.locator('#training-levers').textContent(), /L1 0\.0001 \/ L2 0\.0001 .*early stopping .*distillation into the 16-unit student/);
  });

  test('within WebGPU\'s default limits (any conformant adapter), the whole WebGPU run works', { timeout: 15 * 60_000 }, async () => {
    // The adapter says it has only the defaults (8 storage buffers per stage, 16 KB of workgroup
    // storage, 256 invocations, 128 MiB per binding), and the device gets no more.
    const page = await openInstrumented(env.browser, `${env.server.base}?autorun=1&backend=webgpu&train_samples=3000&epochs=1&batch=100` +
      '&prune=oneshot&final_sparsity=0.9&finetune_epochs=1&hidden_keep=32', {}, DEFAULT_LIMITS_ONLY);
    const r = await waitForState(page, ['done', 'error', 'cancelled'], 14 * 60_000);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    const limits = await (await engineWorker(page)).evaluate(() => {
      const l = globalThis.__devices.at(-1).limits;
      return [globalThis.__cappedLimits, l.maxStorageBuffersPerShaderStage, l.maxComputeWorkgroupStorageSize, l.maxComputeInvocationsPerWorkgroup];
    });
    assert.deepEqual(limits, [true, 8, 16384, 256]);
    assert.deepEqual([r.backend, r.train.engine], ['webgpu', 'fused (WebGPU)']);
    assert.ok(r.dense.test_accuracy > 0.8, `accuracy ${r.dense.test_accuracy}`);
    for (const backend of ['webgpu', 'cpu']) {
      const a = r.sparse[`agreement_${backend}`];
      assert.ok(a && a.images === 10000 && a.max_error <= 1e-5 && a.argmax_mismatches === 0, `${backend}: ${JSON.stringify(a)}`);
    }
    assert.equal(r.quant.dense.webgpu.identical, true, JSON.stringify(r.quant.dense.webgpu));
    assert.equal(r.quant.pruned.webgpu.identical, true, JSON.stringify(r.quant.pruned.webgpu));
    for (const [name, m] of [['dense', r.dense], ['structured', r.structured], ['distilled', r.distilled], ['pruned_sparse', r.pruned_sparse], ['int8', r.int8]]) {
      assertTiming(m.latency.webgpu?.b1024, `${name}.latency.webgpu.b1024`);
    }
  });

  test('an adapter without timestamp-query trains, prunes and measures on WebGPU with our kernels; burn\'s part goes to the CPU, said on the page', { timeout: 10 * 60_000 }, async () => {
    // burn's WebGPU runtime cannot start on such an adapter in a browser (cubecl 0.11 panics);
    // the fused step, sparse and int8 kernels need nothing of it.
    const page = await openInstrumented(env.browser, `${env.server.base}?autorun=1&backend=webgpu&train_samples=3000&epochs=1&batch=100` +
      '&prune=oneshot&final_sparsity=0.9&pattern=block&block=1x4&finetune_epochs=1&hidden_keep=32', {}, NO_TIMESTAMP_QUERY);
    const r = await waitForState(page, ['done', 'error', 'cancelled'], 9 * 60_000);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    // One device, our kernels', without the feature: burn's runtime never asked for one.
    const devices = await (await engineWorker(page)).evaluate(() => globalThis.__devices.map((d) => d.features.has('timestamp-query')));
    assert.deepEqual(devices, [false]);
    assert.deepEqual([r.backend, r.fallback_reason, r.train.engine], ['webgpu', null, 'fused (WebGPU)']);
    assert.match(r.burn_on_cpu, /lacks the optional 'timestamp-query' feature/);
    assert.match(await page.locator('#burn-on-cpu').textContent(), /On WebGPU, partly on the CPU: .*timestamp-query.*the fused training step, the sparse and the int8 models run on WebGPU/);
    assert.ok(r.dense.test_accuracy > 0.8, `accuracy ${r.dense.test_accuracy}`);
    for (const backend of ['webgpu', 'cpu']) {
      const a = r.sparse[`agreement_${backend}`];
      assert.ok(a && a.images === 10000 && a.max_error <= 1e-5 && a.argmax_mismatches === 0, `${backend}: ${JSON.stringify(a)}`);
    }
    assert.equal(r.quant.dense.webgpu.identical, true, JSON.stringify(r.quant.dense.webgpu));
    assert.equal(r.quant.pruned.webgpu.identical, true, JSON.stringify(r.quant.pruned.webgpu));
    for (const [name, m] of [['pruned_sparse', r.pruned_sparse], ['int8', r.int8], ['pruned_int8', r.pruned_int8]]) {
      assertTiming(m.latency.webgpu?.b1024, `${name}.latency.webgpu.b1024`);
    }
    // What goes through burn ran on the CPU: the distilled student's autodiff training, and the
    // dense models' latency, which has no WebGPU figure rather than a mislabelled one.
    assert.ok(r.distilled.test_accuracy > 0.5, `distilled ${r.distilled.test_accuracy}`);
    for (const [name, m] of [['dense', r.dense], ['structured', r.structured], ['distilled', r.distilled]]) {
      assert.equal(m.latency.webgpu, null, name);
      assertTiming(m.latency.cpu?.b1024, `${name}.latency.cpu.b1024`);
    }
    assert.match(await page.locator('#latency-note').textContent(), /GPU round trip in this browser: /);
    // Pruned in 1 × 4 blocks: the block kernel too, on WebGPU and the CPU.
    assertPatternKernel(r, ['webgpu', 'cpu'], '1 × 4 blocks at 90 %');
  });

  test('2:4 on its own kernel on WebGPU and the CPU (our kernels on WebGPU, burn on the CPU, as without timestamp-query)', { timeout: 10 * 60_000 }, async () => {
    const page = await openInstrumented(env.browser, `${env.server.base}?autorun=1&backend=webgpu&train_samples=3000&epochs=1&batch=100` +
      '&prune=oneshot&pattern=m_by_n&m_by_n=2:4&finetune_epochs=1&hidden_keep=0&distill=0&quantize=none', {}, NO_TIMESTAMP_QUERY);
    const r = await waitForState(page, ['done', 'error', 'cancelled'], 9 * 60_000);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'webgpu');
    assertPatternKernel(r, ['webgpu', 'cpu'], '2:4');
  });

  test('one-shot global pruning on the CPU prunes exactly round(s × N) weights', { timeout: 10 * 60_000 }, async () => {
    // With L1 and L2 on the kernels (Keras' L1L2), early stopping on a validation split, int8 and
    // distillation (T = 4, α = 0.3): every lever at once.
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=cpu&${SMALL_RUN}&prune=oneshot&ranking=global&final_sparsity=0.95&finetune_epochs=1&hidden_keep=16` +
      '&l1=0.0001&l2=0.0001&validation_split=0.1&early_stopping=1&patience=3&distill_t=4&distill_alpha=0.3');
    const r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.deepEqual(r.notices, []);
    // 9,000 training images after the 10 % split: 90 steps an epoch, both epochs run (patience 3).
    assert.deepEqual([r.train.steps, r.train.val_loss.length, r.train.early_stopping.stopped_epoch], [180, 2, null]);
    // The students train on every training image, one fine-tuning epoch of batch 100.
    assert.deepEqual([r.distill.temperature, r.distill.alpha, r.distill.steps, r.distilled.hidden_units, r.scratch.hidden_units], [4, 0.3, 100, 16, 16]);
    assert.ok(r.distilled.test_accuracy > 0.8, `distilled ${r.distilled.test_accuracy}`);
    assertTiming(r.distilled.latency.cpu.b1, 'distilled cpu b1');
    assertTiming(r.scratch.latency.cpu.b1024, 'scratch cpu b1024');
    assert.match(await page.locator('#distill-note').textContent(), /T = 4, α = 0\.3\): the 16-unit student, 100 steps .* pt against the same student fine-tuned without a teacher .*; .* one trained from scratch/);
    assert.deepEqual([r.config.l1, r.config.l2], [0.0001, 0.0001]);
    // The fused step has no L1/L2 term: autodiff trains the dense model, and the page says why.
    assert.deepEqual([r.train.engine, r.train.engine_note], ['autodiff', 'L1/L2 penalties run on autodiff']);
    assert.match(await page.locator('#engine').textContent(), /autodiff \(L1\/L2 penalties run on autodiff\)/);
    assert.ok(r.dense.near_zero_share > 0 && r.dense.near_zero_share < 1, `near-zero share ${r.dense.near_zero_share}`);
    assert.ok(r.train.test_accuracy.final > 0.85, `accuracy with L1/L2 ${r.train.test_accuracy.final}`);
    assert.ok(r.pruned_int8.test_accuracy > 0.8 && r.quant.pruned.matches_reference, JSON.stringify(r.quant.pruned));
    const kept = r.prune.layers.reduce((sum, l) => sum + l.kept, 0);
    assert.equal(kept, 101_632 - Math.round(0.95 * 101_632));
    assert.notEqual(r.prune.layers[0].sparsity, r.prune.layers[1].sparsity, 'global ranking prunes layers unevenly');
    assert.equal(r.structured.hidden_units, 16);
    assert.ok(r.prune.structured_accuracy_before_finetune > 0);
    assert.equal(r.dense.latency.webgpu, null);
    assertTiming(r.structured.latency.cpu.b1024, 'structured cpu b1024');
    // On a dense CPU kernel the masked model does every MAC the dense one does.
    assert.ok(r.pruned.latency.cpu.b1024.median_ms > 0.5 * r.dense.latency.cpu.b1024.median_ms);
    // The sparse kernel runs the same pruned model on the CPU alone here, and agrees with it.
    assert.ok(r.sparse.agreement_cpu.max_error <= 1e-5 && r.sparse.agreement_cpu.argmax_mismatches === 0, JSON.stringify(r.sparse.agreement_cpu));
    assert.equal(r.sparse.agreement_webgpu, null);
    assertTiming(r.pruned_sparse.latency.cpu.b1, 'pruned_sparse cpu b1');
    assert.equal(r.pruned_sparse.latency.webgpu, null);
    const sparseRow = page.locator('#energy-table tbody tr', { hasText: 'sparse kernel' });
    assert.match(await sparseRow.locator('td').first().textContent(), /^\d[\d.,]* (ms|µs) · –$/);

    // The sparsity sweep from its button: progress shows, Cancel stops it between measurements,
    // and what was timed is kept; the finished run stays done.
    await page.locator('#sweep').click();
    await page.locator('#sweep-progress').waitFor();
    await page.locator('#cancel').click();
    // The progress line is re-rendered at every measurement, so its detaching alone does not mean
    // the sweep ended: wait for the report to hold the (cancelled) sweep, then for the line to go.
    await page.waitForFunction(() => JSON.parse(document.getElementById('prunelab-report').textContent).sparse?.sweep != null, null, { timeout: 60_000 });
    await page.locator('#sweep-progress').waitFor({ state: 'detached' });
    const swept = await report(page);
    assert.equal(swept.state, 'done');
    assert.equal(swept.sparse.sweep.cancelled, true);
    assert.ok(swept.sparse.sweep.sparsities.length < 6, JSON.stringify(swept.sparse.sweep.sparsities));
    assert.deepEqual(swept.sparse.sweep.series.map((s) => `${s.backend}/${s.batch}`), ['cpu/1', 'cpu/1024']);
    assert.match(await page.locator('.sparse').textContent(), /cancelled before the end/);
    await page.locator('#train:enabled').waitFor({ timeout: 10_000 });

    // What saves energy: every model on one scale (eight here), sortable, with the accuracy/bytes chart.
    const names = () => page.locator('#summary-table tbody th').allTextContents();
    assert.equal((await names()).length, 8);
    assert.ok((await names()).some((n) => n.endsWith('. Distilled student (structured + teacher)')), (await names()).join(' | '));
    await page.locator('#summary-table button.sort', { hasText: 'Weight bytes' }).click();
    assert.match((await names())[0], /Pruned \+ int8/, 'the int8 CSR model is the smallest');
    await page.locator('#summary-table button.sort', { hasText: 'Test accuracy' }).click();
    assert.equal(await page.locator('#summary-table th[aria-sort=descending]').count(), 1);
    assert.match(await page.locator('#training-levers').textContent(), /L1 0\.0001 \/ L2 0\.0001 .* distillation into the 16-unit student \(T = 4, α = 0\.3\)/);
    assert.equal(await page.locator('#tradeoff-chart circle').count(), 8);

    // The energy readout: an estimate, seven ways to run the models, assumptions adjustable;
    // the int8 rows show the latency measured for them.
    assert.match(await page.locator('.energy h2').textContent(), /estimate, not a measurement/);
    assert.equal(await page.locator('#energy-table tbody tr').count(), 7);
    const int8Row = page.locator('#energy-table tbody tr', { hasText: 'Pruned + int8' });
    assert.match(await int8Row.locator('td').first().textContent(), /^\d[\d.,]* (ms|µs) · –$/);
    const share = () => page.locator('#energy-table tbody tr').first().locator('td').last().textContent();
    assert.ok(parseFloat(await share()) > 99, 'DRAM reads dominate at batch 1');
    await page.locator('.energy input').last().fill('0');
    await page.locator('.energy input').last().dispatchEvent('change');
    assert.equal(await share(), '0.0 %');
  });

  test('TFMOT\'s sparsity patterns from the URL: 2:4 one-shot and 1 × 4 blocks gradually, each kept whole, on the CSR kernel and on the pattern\'s own', { timeout: 10 * 60_000 }, async () => {
    const short = 'backend=cpu&train_samples=3000&epochs=1&batch=100&finetune_epochs=1&hidden_keep=0&distill=0&quantize=none';
    let page = await open(env.browser, `${env.server.base}?autorun=1&${short}&prune=oneshot&final_sparsity=0.9&pattern=m_by_n&m_by_n=2:4`);
    let r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.deepEqual(r.notices, []);
    // 2:4 sets its own 50 %, whatever final_sparsity says: exactly half of each kernel.
    assert.deepEqual(r.prune.layers.map((l) => [l.kept, l.total]), [[50_176, 100_352], [640, 1280]]);
    assert.match(await page.locator('#pattern-note').textContent(), /^Pruned 2:4 \(TFMOT's sparsity_m_by_n=\(2, 4\)\): 2 zeros in every 4 consecutive inputs of each unit/);
    const a = r.sparse.agreement_cpu;
    assert.ok(a.images === 10000 && a.max_error <= 1e-5 && a.argmax_mismatches === 0, JSON.stringify(a));
    assert.ok(r.pruned.test_accuracy > 0.8, `2:4 accuracy ${r.pruned.test_accuracy}`);
    assertPatternKernel(r, ['cpu'], '2:4');
    assert.match(await page.locator('#pattern-kernel').textContent(), /2:4 fixed width: 2 f32 values per run of 4 inputs/);
    assert.equal(await page.locator('#pattern-kernel-table tbody tr').count(), 3);
    assert.match(await page.locator('#pattern-verdicts').textContent(), /^CPU, batch 1024: the pattern kernel \(.+\) is .+ the CSR kernel.* and .+ the dense model( \(within noise\))?\.$/);

    page = await open(env.browser, `${env.server.base}?autorun=1&${short}&prune=poly&final_sparsity=0.75&begin_step=0&end_step=20&frequency=5&prune_batch=100` +
      '&pattern=block&block=1x4&block_pooling=max');
    r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    // k = round(25,088 blocks × 0.25) = 6,272 blocks of four kept in the first kernel; the second's
    // rows of 10 are blocks of 4, 4 and 2: 96 of its 384 blocks, 192 to 384 weights.
    assert.equal(r.prune.layers[0].kept, 6272 * 4);
    assert.ok(r.prune.layers[1].kept >= 192 && r.prune.layers[1].kept <= 384, JSON.stringify(r.prune.layers[1]));
    assert.match(await page.locator('#pattern-note').textContent(), /blocks of 1 × 4 .*block_size=\(1, 4\), block_pooling_type='MAX'/);
    assert.match(await page.locator('#schedule-summary').textContent(), /^PolynomialDecay/);
    assert.ok(r.sparse.agreement_cpu.max_error <= 1e-5 && r.sparse.agreement_cpu.argmax_mismatches === 0, JSON.stringify(r.sparse.agreement_cpu));
    assertPatternKernel(r, ['cpu'], '1 × 4 blocks at 75 %');

    // At 90 %, one-shot, in both shapes the issue names: the figures the docs quote.
    for (const block of ['1x4', '4x1']) {
      page = await open(env.browser, `${env.server.base}?autorun=1&${short}&prune=oneshot&final_sparsity=0.9&pattern=block&block=${block}`);
      r = await waitForState(page);
      assert.equal(r.state, 'done', JSON.stringify(r.error));
      assertPatternKernel(r, ['cpu'], `${block.replace('x', ' × ')} blocks at 90 %`);
    }
  });

  test('the pattern study (?patterns=1): every pattern at 50, 75 and 90 %, fine-tuned alike, accuracy against latency on its own kernel', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?${STUDY_RUN}`);
    const r = await waitForState(page);
    await assertStudy(playwrightDriver(page, waitForState), r);
    for (const p of r.pattern_study.points) {
      console.log(`study, CPU: ${p.pattern} at ${p.target}: ${(p.test_accuracy * 100).toFixed(2)} %, ${p.kernel}, ${p.bytes} B, ` +
        `${p.latency.cpu.b1.median_ms.toFixed(4)} / ${p.latency.cpu.b1024.median_ms.toFixed(3)} ms`);
    }
  });

  test('the pattern study from its button after a run: Cancel stops it between models, and it starts again and finishes', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=cpu&train_samples=1000&epochs=1&batch=100&prune=oneshot` +
      '&finetune_epochs=1&hidden_keep=0&distill=0&quantize=none');
    assert.equal((await waitForState(page)).state, 'done');
    assert.equal(await page.locator('#pattern-study').count(), 0, 'no study unless asked');
    const study = async () => (await report(page)).pattern_study;
    const until = async (done, what) => {
      for (const end = Date.now() + 5 * 60_000; !done(await study());) {
        assert.ok(Date.now() < end, `waiting for ${what}: ${JSON.stringify(await study())?.slice(0, 300)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await page.locator('#study').click();
    await until((s) => s?.points.length >= 2, 'two models');
    // While it runs, the page says where it is, and nothing else can start.
    assert.equal(await page.locator('#train').isDisabled(), true);
    await page.locator('#cancel').click();
    await until((s) => s.cancelled, 'the cancel');
    const cancelled = await study();
    assert.ok(cancelled.points.length < 13, `${cancelled.points.length} models`);
    assert.match(await page.locator('#study-status').textContent(), /^The study was cancelled after \d+ of 13 models\.$/);
    await page.locator('#train:enabled').waitFor({ timeout: 10_000 });
    // Asked again, it starts afresh and runs to its end.
    await page.locator('#study').click();
    await until((s) => !s.cancelled && s.points.length === 13, 'all thirteen');
    assert.equal(await page.locator('#study-table tbody tr').count(), 13);
    await page.locator('#train:enabled').waitFor({ timeout: 10_000 });
  });

  test('the pruning controls set what the run does', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?backend=cpu&train_samples=2000&epochs=1&finetune_epochs=1&hidden_keep=16`,
      { permissions: ['clipboard-read', 'clipboard-write'] });
    await page.locator('select[name=prune]').selectOption('oneshot');
    await page.locator('input[name=final_sparsity]').fill('0.8');
    // The ranking is one of the advanced settings, folded away on the first screen.
    assert.equal(await page.locator('select[name=ranking]').isVisible(), false);
    await page.locator('#advanced summary').click();
    await page.locator('select[name=ranking]').selectOption('global');
    assert.match(await page.locator('.slider span').textContent(), /80 %/);
    await page.locator('#train').click();
    const r = await waitForState(page, ['done', 'error']);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.prune.config.prune, 'oneshot');
    assert.equal(r.prune.config.ranking, 'global');
    assert.equal(r.prune.config.final_sparsity, 0.8);
    assert.equal(r.prune.layers.reduce((sum, l) => sum + l.kept, 0), 101_632 - Math.round(0.8 * 101_632));
    assert.match(await page.evaluate(() => location.search), /prune=oneshot.*final_sparsity=0\.8.*ranking=global/);

    // The verdict card says the report's figures in words: what was removed and what it cost…
    const points = (r.pruned.test_accuracy - r.dense.test_accuracy) * 100;
    const cost = Math.abs(points) < 0.05 ? 'no accuracy lost' : `${points >= 0 ? '+' : ''}${points.toFixed(1)} pt accuracy`;
    const smaller = (r.dense.bytes_f32 / r.pruned_sparse.bytes_sparse).toFixed(1);
    assert.equal(await page.locator('#verdict-headline').textContent(), `80 % of the weights removed: ${cost}, ${smaller}× smaller as stored.`);
    // …and what the sparse kernel bought at each batch size (the CPU is the only backend here),
    // with noise called noise as the comparison does.
    const speed = (dense, model) => {
      const spread = Math.max(dense.p95_ms - dense.median_ms, model.p95_ms - model.median_ms, 0.02 * Math.max(dense.median_ms, model.median_ms));
      if (Math.abs(dense.median_ms - model.median_ms) <= spread) return 'no faster';
      return model.median_ms < dense.median_ms ? `${(dense.median_ms / model.median_ms).toFixed(1)}× faster` : `${(model.median_ms / dense.median_ms).toFixed(1)}× slower`;
    };
    const lines = await page.locator('#verdict-speed li').allTextContents();
    assert.equal(lines.length, 2);
    for (const [i, batch] of [[0, 'b1'], [1, 'b1024']]) {
      const expected = speed(r.dense.latency.cpu[batch], r.pruned_sparse.latency.cpu[batch]);
      assert.ok(lines[i].startsWith(`At batch ${batch === 'b1' ? 1 : 1024}, on your CPU: ${expected} with a sparse kernel; `), lines[i]);
    }
    // The speed matrix: each timed model against the dense one, per batch, by the card's rule.
    const matrix = await page.locator('#speedups tbody tr').evaluateAll((rows) => rows.map((tr) => [...tr.children].map((c) => [c.textContent, c.className])));
    const timed = [['Pruned (masked)', r.pruned], ['Pruned, sparse kernel', r.pruned_sparse], ['Structured', r.structured], ['Distilled student', r.distilled],
      ['Small, from scratch', r.scratch], ['Dense, int8', r.int8], ['Pruned + int8', r.pruned_int8]].filter(([, m]) => m?.latency.cpu);
    assert.deepEqual(matrix.map((row) => row[0][0]), timed.map(([name]) => name));
    assert.ok(timed.length >= 3, 'masked, sparse kernel and structured at least');
    for (const [i, [name, m]] of timed.entries()) {
      for (const [j, batch] of ['b1', 'b1024'].entries()) {
        const words = speed(r.dense.latency.cpu[batch], m.latency.cpu[batch]);
        const expected = words === 'no faster' ? ['same', 'same'] : [words, words.split(' ')[1]];
        assert.deepEqual(matrix[i][j + 1], expected, `${name}, ${batch}`);
      }
    }
    // Every section is one click away, and each link lands on its section.
    const targets = await page.locator('nav.sections a').evaluateAll((links) => links.map((a) => [a.textContent, !!document.querySelector(a.getAttribute('href'))]));
    assert.deepEqual(targets, [['Train', true], ['Compare', true], ['See the pruning', true], ['Draw a digit', true], ['Energy', true], ['Download', true]]);
    // For a blog post: the verdict, one table row per model, the device and a link to the settings.
    await page.locator('#copy-markdown').click();
    await page.locator('#verdict [role=status]', { hasText: 'Copied' }).waitFor();
    const markdown = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(markdown.startsWith(`**80 % of the weights removed: ${cost}, ${smaller}× smaller as stored.**\n\n- ${lines[0]}\n- ${lines[1]}\n`), markdown);
    assert.match(markdown, /\n\| Dense, float32 \| \d+\.\d\d % \| 407,080 \| [\d.]+ ms \| [\d.]+ ms \| – \| – \|\n/);
    assert.match(markdown, /\n\| Pruned, sparse kernel \| /);
    assert.match(markdown, /Measured on CPU( · [^\n]*)? by \[PruneLab\]\(http:\/\/127\.0\.0\.1:\d+\/\?.*prune=oneshot.*final_sparsity=0\.8/);

    // The charts have ticked axes, and read a value out: by pointer (the loss chart, at its
    // right edge: the last point) and by keyboard (the accuracy chart, End).
    const lastPoint = (chart) => page.locator(`${chart} polyline`).first().evaluate((l) => l.getAttribute('points').trim().split(' ').pop().split(',').map(Number));
    const cursorAt = (chart) => page.locator(`${chart} circle.cursor`).evaluate((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
    for (const [chart, axis] of [['#loss-chart', 'step'], ['#accuracy-chart', 'epoch']]) {
      assert.ok(await page.locator(`${chart} text.tick`).count() >= 3, `${chart} has ticks`);
      assert.equal(await page.locator(`${chart} text.axis-name`).textContent(), axis);
    }
    await page.locator('#loss-chart svg').scrollIntoViewIfNeeded();
    const loss = await page.locator('#loss-chart svg').boundingBox();
    await page.locator('#loss-chart svg').hover({ position: { x: loss.width - 2, y: loss.height / 2 } });
    assert.match(await page.locator('#loss-chart .readout').textContent(), /^step [\d,]+: loss \d+\.\d\d$/);
    assert.deepEqual(await cursorAt('#loss-chart'), await lastPoint('#loss-chart'));
    await page.locator('#accuracy-chart svg').focus();
    await page.keyboard.press('End');
    assert.match(await page.locator('#accuracy-chart .readout').textContent(), /^epoch \d+: test accuracy \d+\.\d %$/);
    assert.deepEqual(await cursorAt('#accuracy-chart'), await lastPoint('#accuracy-chart'));

    // The answer in the first viewport of the full page at 1,280 × 800.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const card = await page.locator('#verdict').boundingBox();
    assert.ok(card && card.y + card.height <= 800, `the verdict ends at ${card && card.y + card.height} px`);
    // Fits every width: no section wider than the page at 1,280, 720 and 360 px (every section
    // laid out, even off screen); a wide table scrolls in its own box, its row labels in view.
    for (const width of [1280, 720, 360]) {
      await page.setViewportSize({ width, height: 800 });
      const overflow = await page.evaluate(() => {
        for (const section of document.querySelectorAll('main > section')) section.style.contentVisibility = 'visible';
        const page = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('header, main > section, footer')]
          .filter((s) => s.scrollWidth > s.clientWidth || s.getBoundingClientRect().right > page + 0.5)
          .map((s) => `${s.id || s.className}: ${s.scrollWidth} px in ${s.clientWidth}`);
        if (document.documentElement.scrollWidth > page) wide.push(`the page: ${document.documentElement.scrollWidth} px in ${page}`);
        return wide;
      });
      assert.deepEqual(overflow, [], `at ${width} px`);
    }
    const sticky = await page.evaluate(() => {
      const box = document.querySelector('#comparison').closest('.table-scroll');
      box.scrollLeft = box.scrollWidth;
      const label = box.querySelector('tbody th[scope=row]');
      return { scrolled: box.scrollLeft, offset: label.getBoundingClientRect().left - box.getBoundingClientRect().left };
    });
    assert.ok(sticky.scrolled > 0, 'at 360 px the comparison scrolls sideways in its box');
    assert.ok(Math.abs(sticky.offset) < 1, `the row labels stay at the box's left edge (${sticky.offset} px off)`);
  });

  test('on a software adapter, backend=auto picks the CPU and says why', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&prune=none&train_samples=500&epochs=1`);
    const r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'cpu');
    assert.match(r.fallback_reason, /swiftshader.*is not a GPU.*\?backend=webgpu/);
    assert.match(await page.locator('#fallback').textContent(), /Running on the CPU, not WebGPU: .*swiftshader/);
    assert.equal(await page.locator('select[name=backend]').inputValue(), 'auto');
  });

  test('without WebGPU it says so and trains on the CPU', { timeout: 10 * 60_000 }, async () => {
    // A browser without WebGPU: no navigator.gpu at all, on the page or in the engine's worker
    // (which must lose it before the run starts, so this run waits for the click).
    const page = await open(env.browser, `${env.server.base}?prune=none&${SMALL_RUN}`, {
      initScript: () => { delete Navigator.prototype.gpu; },
    });
    const worker = await engineWorker(page);
    await worker.evaluate(() => { delete WorkerNavigator.prototype.gpu; });
    await page.locator('#train').click();
    const r = await waitForState(page);
    assert.equal(await panicMessage(page), null);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(r.backend, 'cpu');
    assert.match(r.fallback_reason, /navigator\.gpu is missing/);
    assert.match(await page.locator('#fallback').textContent(), /Running on the CPU, not WebGPU/);
    assert.ok(r.train.test_accuracy.final >= 0.90, `test accuracy ${r.train.test_accuracy.final}`);
    console.log(`cpu fallback: ${r.train.steps} steps, median ${r.train.ms_per_step_median.toFixed(1)} ms/step, accuracy ${r.train.test_accuracy.final}`);
  });

  test('early stopping on a validation split stops, restores the best epoch and says what it saved', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?${EARLY_STOPPING_RUN}`);
    await assertEarlyStopping(playwrightDriver(page, waitForState), await waitForState(page));
  });

  test('bad input and failed downloads: invalid URL parameters, a worker that fails to load, a missing and a corrupt MNIST file, each a clear message, and Retry recovers', { timeout: 10 * 60_000 }, async () => {
    const page = await open(env.browser, 'about:blank');
    await assertFaultsAndRetry(playwrightDriver(page, waitForState), env.server);
  });

  test("the page's own WebAssembly cut short: a message and Reload, not a blank page", { timeout: 2 * 60_000 }, async () => {
    await assertPageWasmFails(playwrightDriver(await open(env.browser, 'about:blank'), waitForState), env.server);
  });

  test('Cancel stops training and keeps the page usable', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&backend=cpu&prune=none&epochs=3&batch=32`);
    await page.locator('#train-progress').waitFor({ timeout: 4 * 60_000 });
    await page.locator('#cancel').click();
    const r = await waitForState(page, ['cancelled', 'done', 'error']);
    assert.equal(r.state, 'cancelled');
    assert.ok(r.train.steps > 0 && r.train.steps < 3 * 1875, `steps ${r.train.steps}`);
    assert.ok(await page.locator('#train').isEnabled());
    assert.equal(await panicMessage(page), null);
  });
});
