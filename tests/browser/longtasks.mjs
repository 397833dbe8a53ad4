// Measurement, not a test: the main thread's long tasks (PerformanceObserver 'longtask', > 50 ms)
// during a whole autorun, after the first paint. The engine runs in a worker, so the page's own
// tasks are what is left: applying events, drawing charts and tiles.
// Usage: node tests/browser/longtasks.mjs [extra query, e.g. "backend=cpu&epochs=1"]
import { DIST, launch, longTasks, observeLongTasks, open, serve, waitForState } from './harness.mjs';

const extra = process.argv[2] ?? '';

const server = await serve(DIST);
const browser = await launch();
try {
  const page = await open(browser, `${server.base}?autorun=1${extra ? `&${extra}` : ''}`, { initScript: observeLongTasks });
  const r = await waitForState(page, ['done', 'error', 'cancelled'], 60 * 60_000);
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0);
  const after = await longTasks(page);
  const worst = after.reduce((m, t) => Math.max(m, t.ms), 0);
  console.log(`state ${r.state}, backend ${r.backend}, run ${((r.train?.wall_ms ?? 0) / 1000).toFixed(1)} s of training`);
  console.log(`first contentful paint ${paint.toFixed(0)} ms; long tasks after it: ${after.length}, longest ${worst.toFixed(0)} ms`);
  console.log(after.map((t) => `${t.start.toFixed(0)}:${t.ms.toFixed(0)}`).join(' '));
} finally {
  await browser.close();
  await server.close();
}
