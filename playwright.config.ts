import { defineConfig } from '@playwright/test';

// Debian's Chromium; Playwright's own browser downloads are never used.
import { BASE_FLAGS, CHROMIUM, GPU_FLAGS, NO_WEBGPU_FLAGS } from './scripts/chromium-flags.mjs';

const PORT = Number(process.env.E2E_PORT ?? 5199);

export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  expect: { timeout: 60_000 },
  // Two cores and a software GPU: parallel browsers only slow each other down.
  workers: 1,
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: { executablePath: CHROMIUM, args: [...BASE_FLAGS, ...GPU_FLAGS] },
  },
  projects: [
    { name: 'webgpu', testIgnore: /no-webgpu/ },
    {
      name: 'no-webgpu',
      testMatch: /no-webgpu/,
      use: { launchOptions: { executablePath: CHROMIUM, args: [...BASE_FLAGS, ...NO_WEBGPU_FLAGS] } },
    },
  ],
  webServer: {
    // --bypass-lock: Vite 8 otherwise refuses to start beside a developer's own dev server.
    command: `npx vite --host 127.0.0.1 --port ${PORT} --strictPort --bypass-lock`,
    url: `http://127.0.0.1:${PORT}/harness.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
