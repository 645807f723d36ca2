// src/storage/modelStore.ts against Chromium's real IndexedDB: the module is loaded from the
// Vite dev server into the harness page, which has no model of its own.

import { expect, test, type Page } from '@playwright/test';

import type * as ModelStoreModule from '../src/storage/modelStore';

type StoreModule = typeof ModelStoreModule;

/** Passed into the page; a variable, so TypeScript does not resolve the URL as a Node path. */
const SETUP = { url: '/src/storage/modelStore.ts', database: 'coatnet-browser-store-test' };

/** A valid card of a tiny config; the store does not check weights against it. */
const CARD = {
  name: 'tiny',
  config: {
    imageSize: [32, 32], inChannels: 1, numBlocks: [1, 1, 1, 1, 1], channels: [8, 8, 8, 8, 8], numClasses: 2, blockTypes: ['C', 'C', 'C', 'C'],
  },
  weights: 'weights.safetensors',
  preprocessing: { size: [32, 32], resize: 'letterbox', interpolation: 'bilinear', channels: 'grayscale', scale: 1 / 255, mean: [0.25], std: [0.5] },
  labels: { en: ['cat', 'dog'], ja: ['ねこ', 'いぬ'] },
};

async function openHarness(page: Page): Promise<void> {
  await page.goto('/harness.html');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

test.describe('ModelStore in IndexedDB', () => {
  test.beforeEach(async ({ page }) => {
    await openHarness(page);
    await page.evaluate((name) => new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    }), SETUP.database);
  });

  test('saved model reads back after a reload', async ({ page }) => {
    const saved = await page.evaluate(async ({ url, database, card }) => {
      const { ModelStore } = await import(/* @vite-ignore */ url) as StoreModule;
      const store = await ModelStore.open(indexedDB, database);
      const tensors = new Map([
        ['fc.weight', { shape: [2, 3], sourceDtype: 'float32' as const, data: new Float32Array([1.5, -2, 0.25, 3, 4, -5e-7]) }],
        ['s3.0.attn.1.fn.relative_index', { shape: [3], sourceDtype: 'int64' as const, data: new BigInt64Array([0n, 4n, 8n]) }],
      ]);
      const summary = await store.save({ name: 'tiny', fileName: 'tiny.pth', card: card as never, tensors });
      store.close();
      return summary;
    }, { ...SETUP, card: CARD });
    expect(saved.weightsBytes, 'stored safetensors bytes').toBeGreaterThan(6 * 4 + 3 * 8);

    await openHarness(page);
    const loaded = await page.evaluate(async ({ url, database, id }) => {
      const { ModelStore } = await import(/* @vite-ignore */ url) as StoreModule;
      const store = await ModelStore.open(indexedDB, database);
      const list = await store.list();
      const model = await store.load(id);
      store.close();
      return {
        list: list.map((entry) => ({ id: entry.id, name: entry.name, fileName: entry.fileName })),
        card: model.card,
        fc: Array.from(model.tensors.get('fc.weight')!.data as Float32Array),
        index: Array.from(model.tensors.get('s3.0.attn.1.fn.relative_index')!.data as BigInt64Array, String),
        shapes: [...model.tensors.values()].map((tensor) => tensor.shape),
      };
    }, { ...SETUP, id: saved.id });

    expect(loaded.list).toEqual([{ id: saved.id, name: 'tiny', fileName: 'tiny.pth' }]);
    expect(loaded.card).toEqual(CARD);
    expect(loaded.fc).toEqual([1.5, -2, 0.25, 3, 4, Math.fround(-5e-7)]);
    expect(loaded.index).toEqual(['0', '4', '8']);
    expect(loaded.shapes).toEqual([[2, 3], [3]]);
  });

  test('list is oldest first and remove deletes', async ({ page }) => {
    const result = await page.evaluate(async ({ url, database, card }) => {
      const { ModelStore, ModelStoreError } = await import(/* @vite-ignore */ url) as StoreModule;
      const store = await ModelStore.open(indexedDB, database);
      const tensors = new Map([['fc.weight', { shape: [1], sourceDtype: 'float32' as const, data: new Float32Array([1]) }]]);
      const first = await store.save({ name: 'first', fileName: 'a.pth', card: card as never, tensors });
      // importedAt has millisecond resolution; the wait keeps the order unambiguous.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await store.save({ name: 'second', fileName: 'b.pth', card: card as never, tensors });
      const before = (await store.list()).map((entry) => entry.name);
      await store.remove(first.id);
      const after = (await store.list()).map((entry) => entry.name);
      const missing = await store.load(first.id).then(() => 'loaded', (error) => (error instanceof ModelStoreError ? error.code : String(error)));
      await store.remove(second.id);
      const empty = await store.list();
      store.close();
      return { before, after, missing, left: empty.length };
    }, { ...SETUP, card: CARD });

    expect(result.before).toEqual(['first', 'second']);
    expect(result.after).toEqual(['second']);
    expect(result.missing).toBe('not-found');
    expect(result.left).toBe(0);
  });

  test('unreadable weights are reported as corrupt', async ({ page }) => {
    const code = await page.evaluate(async ({ url, database, card }) => {
      const { ModelStore, ModelStoreError } = await import(/* @vite-ignore */ url) as StoreModule;
      const store = await ModelStore.open(indexedDB, database);
      const tensors = new Map([['fc.weight', { shape: [1], sourceDtype: 'float32' as const, data: new Float32Array([1]) }]]);
      const saved = await store.save({ name: 'broken', fileName: 'c.pth', card: card as never, tensors });
      store.close();

      // Overwrite the weights with bytes that are not safetensors, as a damaged profile might hold.
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(database);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise((resolve, reject) => {
        const transaction = db.transaction('weights', 'readwrite');
        transaction.objectStore('weights').put({ id: saved.id, blob: new Blob([new Uint8Array([1, 2, 3])]) });
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
      });
      db.close();

      const reopened = await ModelStore.open(indexedDB, database);
      const result = await reopened.load(saved.id).then(() => 'loaded', (error) => (error instanceof ModelStoreError ? error.code : String(error)));
      reopened.close();
      return result;
    }, { ...SETUP, card: CARD });

    expect(code).toBe('corrupt');
  });
});
