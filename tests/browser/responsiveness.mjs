// Measurement, not a test: how fast Cancel takes effect at each stage of a CPU run, and the
// training step rate with the page's tab in the background. Prints figures.
// Usage: DIST=dist node tests/browser/responsiveness.mjs
import { DIST, launch, open, serve, waitForState } from './harness.mjs';

const server = await serve(DIST);
const browser = await launch();
const RUN = 'autorun=1&backend=cpu';

/** Opens a default CPU run, waits until `ready(page)` holds, clicks Cancel, and times the end. */
async function cancelAt(stage, ready) {
  const page = await open(browser, `${server.base}?${RUN}`);
  await page.waitForFunction(ready, null, { timeout: 10 * 60_000, polling: 20 });
  const ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    const done = () => ['cancelled', 'done', 'error'].includes(document.body.dataset.state);
    new MutationObserver(() => { if (done()) resolve(performance.now() - t0); })
      .observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
    document.querySelector('#cancel').click();
  }));
  const r = await waitForState(page);
  console.log(`cancel during ${stage.padEnd(28)} ${ms.toFixed(0).padStart(5)} ms → ${r.state}`);
  await page.context().close();
}

/** The median training step of a CPU run, its tab in front or behind another tab. */
async function stepRate(hidden) {
  const page = await open(browser, `${server.base}?${RUN}&prune=none&quantize=none&epochs=2`);
  if (hidden) {
    const other = await page.context().newPage();
    await other.goto('about:blank');
    await other.bringToFront();
  }
  const r = await waitForState(page, ['done', 'error'], 10 * 60_000);
  const visibility = await page.evaluate(() => document.visibilityState);
  console.log(`tab ${hidden ? 'behind another' : 'in front'} (${visibility}): median ${r.train.ms_per_step_median.toFixed(2)} ms/step, ${(r.train.wall_ms / 1000).toFixed(1)} s`);
  await page.context().close();
}

const phase = (name) => new Function(`return (document.querySelector('#train-progress label')?.textContent ?? '').startsWith(${JSON.stringify(name)})`);
try {
  await cancelAt('the MNIST download', () => !!document.querySelector('#download-progress'));
  await cancelAt('dense training', phase('training the dense model'));
  await cancelAt('gradual pruning', phase('training with gradual pruning'));
  await cancelAt('latency measurement', () => /measuring inference latency/.test(document.body.textContent));
  await stepRate(false);
  await stepRate(true);
} finally {
  await browser.close();
  await server.close();
}
