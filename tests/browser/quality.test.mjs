// Quality of the page as a product: an accessibility audit (axe-core, WCAG 2.1 A/AA, contrast
// included) in light and dark schemes and in the embed view, a run driven by the keyboard
// alone, and no request leaving the page's own origin.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AXE_SOURCE, axeAudit, browserSuite, installAxe, open, violationLines, waitForState } from './harness.mjs';
import { assertKeyboardRun, playwrightDriver } from './everywhere.mjs';

// Quick, but every section of the page gets filled: one-shot pruning and a structured model.
const QUICK = 'backend=cpu&train_samples=1000&epochs=1&batch=100&prune=oneshot&finetune_epochs=0&hidden_keep=16';

/** axe-core's WCAG 2.1 A/AA violations on the page as it is now, one line each. */
async function audit(page) {
  await page.evaluate(installAxe, AXE_SOURCE);
  return violationLines(await page.evaluate(axeAudit));
}

describe('Accessible, keyboard-driven, self-contained', () => {
  const env = browserSuite();

  for (const colorScheme of ['light', 'dark']) {
    test(`no WCAG 2.1 AA violations after a run, ${colorScheme} scheme`, { timeout: 5 * 60_000 }, async () => {
      const page = await open(env.browser, `${env.server.base}?autorun=1&${QUICK}`, { colorScheme });
      const r = await waitForState(page);
      assert.equal(r.state, 'done', JSON.stringify(r.error));
      await page.locator('.share summary').click();
      assert.deepEqual(await audit(page), []);
    });
  }

  test('no WCAG 2.1 AA violations with a pattern kernel and the pattern study on the page', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?autorun=1&${QUICK}&pattern=block&block=1x4&patterns=1`);
    assert.equal((await waitForState(page)).state, 'done');
    assert.equal(await page.locator('#pattern-kernel-table').count(), 1);
    assert.equal(await page.locator('#study-table').count(), 1);
    assert.deepEqual(await audit(page), []);
  });

  test('no WCAG 2.1 AA violations in the embed view at 360 px', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, `${env.server.base}?embed=1&autorun=1&${QUICK}`, { viewport: { width: 360, height: 800 } });
    assert.equal((await waitForState(page)).state, 'done');
    assert.deepEqual(await audit(page), []);
  });

  test('the keyboard alone starts a run and switches the weight picture', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, 'about:blank');
    await assertKeyboardRun(playwrightDriver(page, waitForState), `${env.server.base}?${QUICK}`);
  });

  test('every request stays on the page\'s own origin', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, 'about:blank');
    const requests = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`${env.server.base}?autorun=1&${QUICK}`);
    assert.equal((await waitForState(page)).state, 'done');
    const origin = new URL(env.server.base).origin;
    const elsewhere = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:'));
    assert.deepEqual(elsewhere, []);
    assert.ok(requests.some((url) => url.endsWith('.wasm')) && requests.some((url) => url.includes('/mnist/')), requests.join('\n'));
  });
});
