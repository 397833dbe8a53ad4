// "See the pruning" and "Download the models": the first layer's tiles follow gradual pruning
// live and show exactly what each model lost; the exported files hold the models the page made.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, test } from 'node:test';
import { LIVE_TILES_RUN, assertExports, assertLiveTiles, assertModelTiles, playwrightDriver, recordPictures, watchTiles } from './everywhere.mjs';
import { browserSuite, open, panicMessage, waitForState } from './harness.mjs';

/** Presses an export button and reads the file the browser saved. */
async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  const bytes = fs.readFileSync(await file.path());
  return { name: file.suggestedFilename(), text: bytes.toString('utf8'), size: bytes.length, magic: bytes.readUInt32LE(0) };
}

describe('See the pruning, download the models', () => {
  const env = browserSuite();
  let page;
  let report;
  before(async () => {
    page = await open(env.browser, `${env.server.base}?${LIVE_TILES_RUN}`, { initScript: recordPictures });
    await page.evaluate(watchTiles);
    report = await waitForState(page);
  });

  test('the tiles follow training and gradual pruning live', async () => {
    await assertLiveTiles(playwrightDriver(page, waitForState), report);
  });

  test('each model\'s tiles show exactly what it lost', async () => {
    assert.equal(await panicMessage(page), null);
    await assertModelTiles(playwrightDriver(page, waitForState), report);
    // Pointing at a tile names its unit.
    await page.locator('#weight-tiles').scrollIntoViewIfNeeded();
    const box = await page.locator('#weight-tiles').boundingBox();
    await page.mouse.move(box.x + box.width * (14 / 463), box.y + box.height * (14 / 231));
    await page.locator('.weights [role=status]', { hasText: 'Unit 0:' }).waitFor();
  });

  test('the dense, pruned, structured and int8 models download as burn records and JSON', async () => {
    let settings;
    await assertExports(async (button) => {
      const file = await download(page, button);
      if (button === '#export-pruned-json') settings = JSON.parse(file.text).settings;
      return file;
    }, report);
    assert.match(settings, /final_sparsity=0\.9.*end_step=100/);
    assert.match(await page.locator('.export [role=status]').textContent(), /Saved prunelab-structured\.bpk/);
  });
});
