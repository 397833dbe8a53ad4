// Makes the README's screenshots (not a test): a short WebGPU run with one-shot pruning, its first
// screen (the verdict card), a digit
// from the test set drawn on the canvas, then the full page, the weight tiles of the pruned model and
// the embed view; and the sparse kernels' section with the sparsity sweep.
// Usage: DIST=dist node tests/browser/screenshots.mjs static/screenshots
import fs from 'node:fs';
import path from 'node:path';
import { drawDigit, launch, open, serve, testDigit, waitForState } from './harness.mjs';

const out = process.argv[2] ?? 'static/screenshots';
fs.mkdirSync(out, { recursive: true });
const run = 'autorun=1&backend=webgpu&train_samples=3000&epochs=2&batch=100&lr=0.002&prune=oneshot&ranking=global&final_sparsity=0.9&finetune_epochs=1&hidden_keep=32';

const server = await serve();
const browser = await launch();
try {
  // Before a run: the first screen of the full page and of the embed.
  const fresh = await open(browser, `${server.base}?prune=oneshot&final_sparsity=0.9`, { viewport: { width: 1100, height: 900 } });
  await fresh.locator('#train:enabled').waitFor();
  await fresh.screenshot({ path: path.join(out, 'before-run.png') });
  const freshEmbed = await open(browser, `${server.base}?embed=1&prune=oneshot&final_sparsity=0.9`, { viewport: { width: 720, height: 600 } });
  await freshEmbed.locator('#train:enabled').waitFor();
  await freshEmbed.screenshot({ path: path.join(out, 'embed-720-before-run.png') });
  const page = await open(browser, `${server.base}?${run}&sweep=1`, { viewport: { width: 1100, height: 900 } });
  await waitForState(page, ['done'], 30 * 60_000);
  // The first screen: the verdict above the settings.
  await page.screenshot({ path: path.join(out, 'first-screen.png') });
  await drawDigit(page, testDigit(0).pixels);
  await page.locator('.prediction').first().waitFor({ timeout: 60_000 });
  await page.locator('input[name=picture][value=pruned]').check();
  // A full-page picture shows every section, not the placeholders of those off screen.
  await page.addStyleTag({ content: 'main > section { content-visibility: visible !important; }' });
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'full-page.png'), fullPage: true });
  await page.locator('section.weights').screenshot({ path: path.join(out, 'weights.png') });
  await page.locator('section.sparse').screenshot({ path: path.join(out, 'sparse.png') });
  const embed = await open(browser, `${server.base}?embed=1&${run}`, { viewport: { width: 720, height: 900 } });
  await waitForState(embed, ['done'], 30 * 60_000);
  await embed.screenshot({ path: path.join(out, 'embed-720.png') });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await server.close();
}
