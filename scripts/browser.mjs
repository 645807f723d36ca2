// Shared by the bench and eval scripts: a Vite dev server on loopback and Debian's Chromium
// with WebGPU (SwiftShader) and WebGL flags, driving harness.html.

import { chromium } from '@playwright/test';
import { createServer } from 'vite';

import { BASE_FLAGS, CHROMIUM, GPU_FLAGS } from './chromium-flags.mjs';

export { CHROMIUM };

const CHROMIUM_FLAGS = [...BASE_FLAGS, ...GPU_FLAGS];

/** Start the dev server and Chromium; returns the harness page and a close function. */
export async function openHarness() {
  const server = await createServer({ server: { host: '127.0.0.1', port: 0 }, logLevel: process.env.VITE_LOG ?? 'error' });
  await server.listen();
  const { port } = server.httpServer.address();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const page = await browser.newPage();
  page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  await page.goto(`http://127.0.0.1:${port}/harness.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
  return {
    page,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Parse "--name value" options with defaults; numbers stay numbers. */
export function parseOptions(argv, defaults) {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in defaults)) {
      throw new Error(`Unknown option ${argv[i]}; valid: ${Object.keys(defaults).map((key) => `--${key}`).join(' ')}`);
    }
    const value = argv[i + 1];
    options[name] = typeof defaults[name] === 'number' ? Number(value) : value;
    i += 1;
  }
  return options;
}
