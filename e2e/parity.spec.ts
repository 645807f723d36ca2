import { readFileSync } from 'node:fs';

import { expect, test } from '@playwright/test';

const FIXTURE_BASE = '/tests/fixtures/parity';
const names = JSON.parse(readFileSync(new URL('../tests/fixtures/parity/index.json', import.meta.url), 'utf8')) as string[];

test.describe('parity with PyTorch on WebGPU', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/harness.html');
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    const status = await page.evaluate(() => window.coatnetHarness.useBackend('webgpu'));
    expect(status.name).toBe('webgpu');
  });

  for (const name of names) {
    test(`fixture ${name}`, async ({ page }) => {
      const report = await page.evaluate(([base, fixture]) => window.coatnetHarness.runParity(base, fixture), [FIXTURE_BASE, name] as const);
      test.info().annotations.push({ type: 'max abs difference', description: JSON.stringify(report) });
      console.log(`${name}: ${JSON.stringify(report)}`);

      expect(report.backend).toBe('webgpu');
      for (const [stage, difference] of Object.entries(report.stageMaxAbs)) {
        expect(difference, `${stage} max abs difference`).toBeLessThanOrEqual(1e-4);
      }
      expect(report.logitsMaxAbs, 'logits max abs difference').toBeLessThanOrEqual(1e-4);
      expect(report.tensorsAfter, 'tensors left after dispose').toBe(report.tensorsBefore);
    });
  }
});
