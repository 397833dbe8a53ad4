// Measurement, not a test: the main thread's long tasks (PerformanceObserver 'longtask', > 50 ms)
// during a whole autorun, from navigation on, and every animation frame over 20 ms
// ('long-animation-frame') with what it spent: scripts (by invoker: a worker message, the
// backlog's timer, a frame callback) and style and layout. The engine runs in a worker, so the
// page's own tasks are what is left: applying events, drawing charts and tiles.
// Usage: node tests/browser/longtasks.mjs [extra query, e.g. "backend=cpu&epochs=1"]
import { DIST, launch, longTasks, observeLongTasks, open, serve, waitForState } from './harness.mjs';

const extra = process.argv[2] ?? '';

const observeFrames = () => {
  observeLongTasks();
  globalThis.__frames = [];
  new PerformanceObserver((list) => {
    for (const f of list.getEntries()) {
      if (f.duration <= 20) continue;
      const end = f.startTime + f.duration;
      globalThis.__frames.push({
        start: f.startTime, ms: f.duration, style_layout_ms: f.styleAndLayoutStart ? end - f.styleAndLayoutStart : 0,
        scripts: f.scripts.map((s) => `${s.invoker} ${s.duration.toFixed(0)} ms`),
      });
    }
  }).observe({ type: 'long-animation-frame', buffered: true });
};

const server = await serve(DIST);
const browser = await launch();
try {
  const page = await open(browser, `${server.base}?autorun=1${extra ? `&${extra}` : ''}`, { initScript: observeFrames });
  const r = await waitForState(page, ['done', 'error', 'cancelled'], 60 * 60_000);
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0);
  const after = await longTasks(page);
  const frames = await page.evaluate(() => globalThis.__frames);
  const worst = after.reduce((m, t) => Math.max(m, t.ms), 0);
  console.log(`state ${r.state}, backend ${r.backend}, run ${((r.train?.wall_ms ?? 0) / 1000).toFixed(1)} s of training`);
  console.log(`first contentful paint ${paint.toFixed(0)} ms; long tasks from navigation on: ${after.length}, longest ${worst.toFixed(0)} ms`);
  console.log(after.map((t) => `${t.start.toFixed(0)}:${t.ms.toFixed(0)}`).join(' '));
  console.log(`animation frames over 20 ms from navigation on: ${frames.length}`);
  for (const f of frames) {
    console.log(`  at ${(f.start / 1000).toFixed(1)} s: ${f.ms.toFixed(0)} ms, style and layout ${f.style_layout_ms.toFixed(0)} ms; ${f.scripts.join(', ') || 'no script'}`);
  }
  // What one full style and layout of the finished page costs (a font-size change invalidates it
  // all), as the page is and with every section laid out even off screen.
  const relayout = await page.evaluate(() => {
    const median = () => {
      const ms = [];
      for (let i = 0; i < 7; i++) {
        document.body.style.fontSize = i % 2 ? '16px' : '16.5px';
        const t = performance.now();
        void document.body.offsetHeight;
        ms.push(performance.now() - t);
      }
      document.body.style.fontSize = '';
      return ms.sort((a, b) => a - b)[3];
    };
    const skipped = median();
    const style = document.createElement('style');
    style.textContent = 'main > section { content-visibility: visible !important; }';
    document.head.append(style);
    const all = median();
    style.remove();
    return { skipped, all };
  });
  console.log(`full style and layout of the finished page: ${relayout.skipped.toFixed(1)} ms; with every section laid out: ${relayout.all.toFixed(1)} ms (medians of 7)`);
} finally {
  await browser.close();
  await server.close();
}
