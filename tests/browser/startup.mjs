// Measurement, not a test: the page's start-up on its main thread, from Chromium's own trace.
// Every task of over 8 ms of CPU from navigation until three seconds later, with where its CPU
// time went (wasm compiled lazily on first call, streaming compilation, script, style and layout).
// Usage: node tests/browser/startup.mjs [query, e.g. "?embed=1"]
import { DIST, launch, serve } from './harness.mjs';

const server = await serve(DIST, '/');
const browser = await launch();
try {
  const cdp = await browser.newBrowserCDPSession();
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { recordMode: 'recordAsMuchAsPossible', includedCategories: ['disabled-by-default-devtools.timeline', 'devtools.timeline', 'loading', 'v8', 'v8.wasm', 'blink'] },
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.base + (process.argv[2] ?? ''));
  await page.waitForTimeout(3000);
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  await complete;

  const threads = new Map();
  const pages = new Set();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
    if (e.name === 'ParseHTML' && e.args?.beginData?.url?.startsWith(server.base)) pages.add(e.pid);
  }
  const main = events.filter((e) => e.ph === 'X' && pages.has(e.pid) && threads.get(`${e.pid}:${e.tid}`) === 'CrRendererMain');
  const t0 = Math.min(...main.map((e) => e.ts));
  const cpu = (e) => (e.tdur ?? 0) / 1000;
  const parts = {
    'lazy wasm compilation': ['wasm.CompileLazy'],
    'streaming compilation': ['v8.wasm.compileConsume', 'wasm.OnBytesReceived'],
    'script (its compilation included)': ['FunctionCall', 'TimerFire', 'FireAnimationFrame', 'EvaluateScript', 'v8.callFunction'],
    'style and layout': ['UpdateLayoutTree', 'Layout'],
  };
  for (const task of main.filter((e) => e.name === 'RunTask' && cpu(e) > 8)) {
    const inside = main.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur);
    // Outermost events of each kind only, so nested ones are not counted twice.
    const sum = (names) => inside.filter((e) => names.includes(e.name) && !inside.some((o) => o !== e && names.includes(o.name) && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && o.dur > e.dur)).reduce((s, e) => s + cpu(e), 0);
    const split = Object.entries(parts).map(([what, names]) => [what, sum(names)]).filter(([, ms]) => ms >= 0.5);
    console.log(`at ${((task.ts - t0) / 1000).toFixed(0)} ms: ${cpu(task).toFixed(1)} ms of CPU (${(task.dur / 1000).toFixed(1)} ms of wall time); ${split.map(([what, ms]) => `${what} ${ms.toFixed(1)}`).join(', ')}`);
  }
} finally {
  await browser.close();
  await server.close();
}
