// Firefox (Gecko: WebGPU by wgpu with naga compiling WGSL, here on Mesa's lavapipe Vulkan driver)
// driven by puppeteer-core over WebDriver BiDi, which talks to Debian's firefox-esr directly: no
// browser download and no geckodriver (Debian packages none). Playwright drives only its own patched
// Firefox, so Chromium stays on Playwright and Firefox is here.
import puppeteer from 'puppeteer-core';

export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

export async function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    // WebGPU is on by default only on Windows and macOS; the blocklist would refuse a software adapter.
    // Firefox asks the user (a Paste button) before a page reads the clipboard; its test pref lets a
    // test read back what the page copied.
    extraPrefsFirefox: { 'dom.webgpu.enabled': true, 'gfx.webgpu.ignore-blocklist': true, 'dom.events.testing.asyncClipboard': true },
  });
}

/** Opens `url` in a new tab, echoing page errors to the test log. */
export async function openIn(browser, url) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto(url);
  return page;
}

/** Waits until the page reaches one of `states` (on `<body data-state>`) and returns its report. */
export async function stateReached(page, states = ['done', 'error', 'cancelled'], timeout = 10 * 60_000) {
  // Polled from here: one waitForFunction would outlast puppeteer's 180 s protocol timeout.
  const until = Date.now() + timeout;
  const stage = () => page.evaluate(() => `${document.body.dataset.state} (${document.querySelector('#train-progress label')?.textContent ?? ''})`);
  while (!states.includes(await page.evaluate(() => document.body.dataset.state))) {
    if (Date.now() > until) throw new Error(`waiting for ${states.join('/')}: the page is ${await stage()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return JSON.parse(await page.$eval('#prunelab-report', (e) => e.textContent));
}

export const textOf = (page, selector) => page.$eval(selector, (e) => e.textContent);
export const panicIn = (page) => page.evaluate(() => document.body.dataset.panic ?? null);

/** A puppeteer page as everywhere.mjs's `Driver`. */
export const driverOf = (page) => ({
  goto: (url) => page.goto(url),
  click: (selector) => page.click(selector),
  key: (name) => page.keyboard.press(name),
  run: (fn, ...args) => page.evaluate(fn, ...args),
  state: (states, timeout) => stateReached(page, states, timeout),
});
