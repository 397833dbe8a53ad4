// The page embedded in a blog post: served from a sub-path, in an iframe-sized viewport, with a
// shareable URL and an embed snippet.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, open, panicMessage, waitForState } from './harness.mjs';
import { assertShareAndCopy, playwrightDriver } from './everywhere.mjs';

const QUICK_CPU_RUN = 'autorun=1&backend=cpu&prune=none&train_samples=1000&epochs=1';

describe('PruneLab embedded', () => {
  // As if dist/ were dropped into a blog's static folder.
  const env = browserSuite('/blog/prunelab/');

  for (const width of [360, 720]) {
    test(`?embed=1 fits ${width} px without horizontal scrolling, under a sub-path`, { timeout: 5 * 60_000 }, async () => {
      const page = await open(env.browser, `${env.server.base}?embed=1&${QUICK_CPU_RUN}`, { viewport: { width, height: 900 } });
      const r = await waitForState(page);
      assert.equal(await panicMessage(page), null);
      assert.equal(r.state, 'done', JSON.stringify(r.error));
      assert.equal(r.data.train_images, 60000, 'MNIST loaded from the sub-path');
      const layout = await page.evaluate(() => {
        // Off-screen sections skip layout (content-visibility: auto); lay every one out, so
        // that none can overflow unseen.
        for (const section of document.querySelectorAll('main > section')) section.style.contentVisibility = 'visible';
        return {
          scroll: document.documentElement.scrollWidth,
          // clientWidth excludes the vertical scrollbar: the width content really has.
          viewport: document.documentElement.clientWidth,
          embed: document.body.classList.contains('embed'),
        };
      });
      assert.ok(layout.embed);
      assert.ok(layout.scroll <= layout.viewport, `page is ${layout.scroll} px wide in a ${layout.viewport} px viewport`);
      const full = await page.locator('#embed-caption a').getAttribute('href');
      assert.ok(full.startsWith(env.server.base) && !full.includes('embed'), full);
      await page.screenshot({ path: `${process.env.SCREENSHOTS ?? '/tmp'}/embed-${width}.png`, fullPage: true });
    });
  }

  test('an embed downloads neither the engine nor MNIST until its reader asks for a run', { timeout: 5 * 60_000 }, async () => {
    const page = await open(env.browser, 'about:blank', { viewport: { width: 720, height: 600 } });
    const fetched = [];
    page.on('request', (request) => fetched.push(new URL(request.url()).pathname.split('/').pop()));
    await page.goto(`${env.server.base}?embed=1&backend=cpu&prune=oneshot&final_sparsity=0.9&train_samples=1000&epochs=1&finetune_epochs=1`);
    await page.locator('#train:enabled').waitFor();
    await page.waitForTimeout(1500);
    const heavy = (name) => name.startsWith('engine') || name.endsWith('.gz');
    assert.deepEqual(fetched.filter(heavy), [], 'nothing heavy before a click');
    await page.locator('#train').click();
    const r = await waitForState(page);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    assert.ok(fetched.includes('engine_bg.wasm') && fetched.includes('train-images-idx3-ubyte.gz'), fetched.join(' '));
    // The answer in the embed's first viewport: the verdict card ends above its fold.
    for (const viewport of [{ width: 720, height: 600 }, { width: 360, height: 640 }]) {
      await page.setViewportSize(viewport);
      await page.evaluate(() => window.scrollTo(0, 0));
      const box = await page.locator('#verdict').boundingBox();
      assert.ok(box && box.y + box.height <= viewport.height, `at ${viewport.width} × ${viewport.height} the verdict ends at ${box && box.y + box.height} px`);
    }
  });

  test('the URL reproduces the settings and the embed code can be copied', { timeout: 5 * 60_000 }, async () => {
    const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    await assertShareAndCopy(playwrightDriver(page, waitForState), env.server.base, () => page.evaluate(() => navigator.clipboard.readText()));
    await context.close();
  });
});
