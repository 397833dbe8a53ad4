// Quality of the page as a product: an accessibility audit (axe-core, WCAG 2.1 A/AA, contrast
// included) in light and dark schemes and in the embed view, a run driven by the keyboard
// alone, and no request leaving the page's own origin.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AXE_SOURCE, axeAudit, browserSuite, installAxe, open, panicMessage, violationLines, waitForState } from './harness.mjs';

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
    const page = await open(env.browser, `${env.server.base}?${QUICK}`);
    await page.locator('#train').waitFor();
    // Tab from the top of the page to the Train button; every stop shows where focus is.
    const stops = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return { id: el.id, tag: el.tagName, name: el.getAttribute('name'), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      stops.push(stop);
      if (stop.id === 'train') break;
    }
    assert.equal(stops.at(-1).id, 'train', `Tab never reached Train: ${JSON.stringify(stops)}`);
    const unmarked = stops.filter((s) => s.outline === 'none' || !(s.width > 0));
    assert.deepEqual(unmarked, [], 'every focused control has a visible outline');
    await page.keyboard.press('Enter');
    const r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.equal(await panicMessage(page), null);

    // The picture choice is a radio group: focus it, arrow keys move between the models.
    const shown = () => page.locator('#weight-tiles').getAttribute('data-model');
    assert.equal(await shown(), 'structured');
    await page.locator('input[name=picture]:checked').focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await shown(), 'pruned');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await shown(), 'dense');
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
