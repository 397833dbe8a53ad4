// WebKitGTK (WebKit, JavaScriptCore; no WebGPU in Debian's build) driven over classic W3C WebDriver:
// Debian's WebKitWebDriver starts its MiniBrowser, under Xvfb (MiniBrowser has no headless mode).
// The client is the protocol's few requests a test needs, on fetch: the packaged clients
// (selenium-webdriver, WebdriverIO) bring tens of MB of driver-download tooling to send them.
import { spawn } from 'node:child_process';
import net from 'node:net';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const freePort = () => new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

// WebDriver's code points for the keys the tests press.
const KEYS = { Tab: '\uE004', Enter: '\uE007', Control: '\uE009', ArrowLeft: '\uE012' };

// Debian's WebKitGTK 2.50.6 miscompiles this wasm now and then once JavaScriptCore's optimizing tier
// (OMG) inlines a call: in about one whole engine run in 40, a value that cannot change within a loop
// changed (a slice's length read as 0 at its 116th iteration: a Rust bounds-check panic where none can
// fail), or an access trapped out of bounds; never in Chromium or Firefox. Later JavaScriptCore fixed
// bugs of this family (OMG inlining SIMD functions: WebKit bugs 289900, 301380, 316918). Without
// OMG's inlining the same runs never failed (docs/testing.md), so the tests run WebKit without it;
// the page itself reports such a crash and offers Retry.
const JSC_OPTIONS = { JSC_useOMGInlining: 'false' };

/** A WebDriver session in a fresh MiniBrowser; `close()` ends it and the driver. `env`: more
 *  environment for the browser (JavaScriptCore reads its options from `JSC_*` variables). */
export async function launchWebKit({ env } = {}) {
  const port = await freePort();
  // Its own process group, so that closing ends xvfb-run, Xvfb, the driver and the browser together.
  const driver = spawn('xvfb-run', ['-a', WEBKIT_DRIVER, `--port=${port}`], { detached: true, stdio: 'ignore', env: { ...process.env, ...JSC_OPTIONS, ...env } });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const { value } = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
    return value;
  };
  for (let tries = 0; ; tries++) {
    try { if ((await call('GET', '/status')).ready) break; } catch (e) { if (tries > 100) throw e; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { sessionId } = await call('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
  });
  const session = (method, path, body) => call(method, `/session/${sessionId}${path}`, body);
  return {
    goto: (url) => session('POST', '/url', { url }),
    /** Runs `fn(...args)` in the page (its source, so it must not close over test variables). */
    evaluate: (fn, ...args) => session('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments)`, args }),
    /** Awaits `fn(...args)` in the page (a promise it returns is waited for). */
    evaluateAsync: (fn, ...args) => session('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1]; Promise.resolve((${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1))).then(done, (e) => done({ error: String(e) }))`,
      args,
    }),
    /** Real pointer input on the element `selector` (`size`: its width and height in CSS pixels):
     *  each `[[x0, y], [x1, y]]` a press at x0, a drag to x1 and a release, in pixels from its top
     *  left corner (harness.mjs's `digitStrokes`). Each move is placed by the driver from the
     *  element's place when it is made, so a layout that shifts on the way cannot misplace a stroke. */
    strokes: async (selector, size, strokes) => {
      const origin = await session('POST', '/element', { using: 'css selector', value: selector });
      const at = (x, y) => ({ type: 'pointerMove', duration: 0, origin, x: Math.round(x - size.width / 2), y: Math.round(y - size.height / 2) });
      const actions = strokes.flatMap(([[x0, y], [x1]]) =>
        [at(x0, y), { type: 'pointerDown', button: 0 }, at((x0 + x1) / 2, y), at(x1, y), { type: 'pointerUp', button: 0 }]);
      await session('POST', '/actions', { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }] });
      await session('DELETE', '/actions');
    },
    /** Presses and releases each key (`KEYS`' names, or a character), in turn. */
    keys: async (names) => {
      const actions = names.flatMap((name) => [{ type: 'keyDown', value: KEYS[name] ?? name }, { type: 'keyUp', value: KEYS[name] ?? name }]);
      await session('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
      await session('DELETE', '/actions');
    },
    /** A chord: each key pressed in turn, then all released (['Control', 'v']). */
    chord: async (names) => {
      const values = names.map((name) => KEYS[name] ?? name);
      const actions = [...values.map((value) => ({ type: 'keyDown', value })), ...values.reverse().map((value) => ({ type: 'keyUp', value }))];
      await session('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
      await session('DELETE', '/actions');
    },
    click: async (selector) => {
      const element = await session('POST', '/element', { using: 'css selector', value: selector });
      await session('POST', `/element/${Object.values(element)[0]}/click`, {});
    },
    /** Makes the page's `index`-th iframe (or, with null, the top page) what later calls act on. */
    frame: (index) => session('POST', '/frame', { id: index }),
    close: async () => {
      await session('DELETE', '').catch(() => {});
      try { process.kill(-driver.pid); } catch { /* already gone */ }
    },
  };
}

/** Waits until the page reaches one of `states` (on `<body data-state>`) and returns its report. */
export async function stateReached(browser, states = ['done', 'error', 'cancelled'], timeout = 10 * 60_000) {
  const until = Date.now() + timeout;
  while (!states.includes(await browser.evaluate(() => document.body.dataset.state))) {
    if (Date.now() > until) throw new Error(`waiting for ${states.join('/')}: the page is ${await browser.evaluate(() => document.body.dataset.state)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return JSON.parse(await browser.evaluate(() => document.getElementById('prunelab-report').textContent));
}

/** A WebKit session as everywhere.mjs's `Driver`. */
export const driverOf = (browser) => ({
  goto: (url) => browser.goto(url),
  // In view first, and settled: WebKit finds no box to click in a section it has not rendered
  // yet (`content-visibility: auto`).
  click: async (selector) => {
    await browser.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'center' }), selector);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await browser.click(selector);
  },
  key: (name) => browser.keys([name]),
  run: async (fn, ...args) => {
    const value = await browser.evaluateAsync(fn, ...args);
    if (value && typeof value === 'object' && Object.keys(value).length === 1 && typeof value.error === 'string') throw new Error(value.error);
    return value;
  },
  state: (states, timeout) => stateReached(browser, states, timeout),
});
