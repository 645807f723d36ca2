// Checkpoint import benchmark, run by `npm run bench -- --import PATH`: the app page imports
// PATH (a coatnet_0 .pth written by tools/make_checkpoint_fixtures.py --coatnet0) through its
// import panel, once per backend, in a fresh browser context each time.
//
// Reported per backend:
// - throughput: file size / (read + infer + validate + build time), in MB/s. Read, infer and
//   validate end when the review appears; build is the network construction before warm-up.
// - warm-up (first inference, compiles shaders) and IndexedDB save times, separately.
// - peak memory of the page's V8 isolate above its level before the import: JS heap plus
//   ArrayBuffer backing stores (CDP Runtime.getHeapUsage usedSize + backingStorageSize).
//   It is sampled about every 100 ms, separately while importing (read to build), during
//   warm-up and during the save. Warm-up adds activations, which the CPU backend keeps in JS
//   memory. The page takes samples only between tasks, so a peak inside one long task is missed
//   and the figures are lower bounds. GPU buffers are not included.
// - longest gap between animation frames while reading and while building, to show whether
//   the page froze.
// - that the imported model classifies: top-1 of an uploaded image.

import { statSync } from 'node:fs';
import { basename } from 'node:path';

import { openHarness } from './browser.mjs';

const MEGABYTE = 1024 * 1024;
const SAMPLE_INTERVAL_MS = 100;
const MODEL_READY_TIMEOUT_MS = 600_000;
const ADD_TIMEOUT_MS = 900_000;

/** Record panel state changes and animation-frame gaps in the page, with page timestamps. */
function installRecorder() {
  const marks = { phases: [], gaps: [], lastKey: '' };
  window.importBench = marks;
  const panel = document.querySelector('[data-testid="import-panel"]');
  const record = () => {
    const progress = panel.querySelector('[data-testid="import-progress"]');
    const key = `${panel.dataset.state}:${progress?.dataset.phase ?? ''}`;
    if (key !== marks.lastKey) {
      marks.lastKey = key;
      marks.phases.push({ key, t: performance.now() });
    }
  };
  new MutationObserver(record).observe(panel, { subtree: true, attributes: true, childList: true });
  let last = performance.now();
  const tick = (now) => {
    if (now - last > 50) marks.gaps.push({ t: now, gap: now - last });
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function heapBytes(cdp) {
  const usage = await cdp.send('Runtime.getHeapUsage');
  return { heap: usage.usedSize, total: usage.usedSize + (usage.backingStorageSize ?? 0) };
}

/** Return the part of the import that a panel state belongs to: the import itself, warm-up or save. */
function stageOf(key) {
  if (key === 'adding:warmup') return 'warmup';
  if (key === 'adding:save' || key === 'idle:') return 'save';
  return 'import';
}

/**
 * Sample heap usage until `done` resolves. Returns the maxima per stage, each sample taken in
 * the stage the panel showed just before it. A stage that no sample fell into (the CPU
 * backend's warm-up is one long task) stays null.
 */
async function samplePeaks(cdp, done) {
  let finished = false;
  done.finally(() => { finished = true; }).catch(() => {});
  const peaks = { import: null, warmup: null, save: null };
  while (!finished) {
    const { result } = await cdp.send('Runtime.evaluate', { expression: 'window.importBench?.lastKey ?? ""', returnByValue: true });
    const stage = stageOf(result.value);
    const sample = await heapBytes(cdp);
    const peak = peaks[stage] ?? { heap: 0, total: 0 };
    peaks[stage] = { heap: Math.max(peak.heap, sample.heap), total: Math.max(peak.total, sample.total) };
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
  }
  await done;
  return peaks;
}

function aboveBaseline(peak, baseline, field) {
  return peak === null ? null : peak[field] - baseline[field];
}

function megabytes(bytes) {
  return bytes === null ? 'not sampled' : `+${(bytes / MEGABYTE).toFixed(0)} MB`;
}

function phaseTime(phases, prefix) {
  const found = phases.find((phase) => phase.key.startsWith(prefix));
  if (!found) throw new Error(`The import never reached state ${prefix}; states seen: ${phases.map((phase) => phase.key).join(', ')}`);
  return found.t;
}

/** Return the maximum gap between frames that overlaps [start, end]. A gap is recorded at the frame that ends it. */
function maxGapBetween(gaps, start, end) {
  return gaps.filter((entry) => entry.t > start && entry.t - entry.gap < end).reduce((max, entry) => Math.max(max, entry.gap), 0);
}

async function importOnce(page, path) {
  await page.evaluate(installRecorder);
  await page.getByTestId('import-input').setInputFiles(path);
  await page.getByTestId('import-review').or(page.getByTestId('import-error')).waitFor({ timeout: ADD_TIMEOUT_MS });
  if (await page.getByTestId('import-error').count() > 0) {
    throw new Error(`Import of ${path} failed: ${await page.getByTestId('import-error').innerText()}`);
  }
  await page.getByTestId('import-add').click();
  await page.getByTestId('import-added').or(page.getByTestId('import-error')).waitFor({ timeout: ADD_TIMEOUT_MS });
  if (await page.getByTestId('import-error').count() > 0) {
    throw new Error(`Adding ${path} failed: ${await page.getByTestId('import-error').innerText()}`);
  }
}

/** Draw a 64 x 64 color gradient on a canvas in the page and return it as PNG bytes. */
async function gradientPng(page) {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    const context = canvas.getContext('2d');
    const gradient = context.createLinearGradient(0, 0, 64, 64);
    gradient.addColorStop(0, '#1040c0');
    gradient.addColorStop(1, '#f0d020');
    context.fillStyle = gradient;
    context.fillRect(0, 0, 64, 64);
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** Upload a gradient image and return the top-1 row once the imported model has classified it. */
async function classifyGradient(page) {
  const buffer = await gradientPng(page);
  const before = Number(await page.evaluate(() => document.body.dataset.classifyCount ?? '0'));
  await page.getByTestId('file-input').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer });
  await page.waitForFunction((count) => Number(document.body.dataset.classifyCount ?? '0') > count, before, { timeout: ADD_TIMEOUT_MS });
  const rows = await page.getByTestId('prediction-row').count();
  const top = page.getByTestId('prediction-row').first();
  return { rows, index: Number(await top.getAttribute('data-index')), label: await top.locator('.prediction__label').innerText() };
}

async function benchBackend(browser, baseUrl, path, backend) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  try {
    await page.goto(`${baseUrl}/?backend=${backend}`);
    await page.waitForSelector('[data-testid="model-status"]:not([data-state="loading"])', { timeout: MODEL_READY_TIMEOUT_MS });
    const active = await page.getAttribute('[data-testid="backend-name"]', 'data-backend');
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const baseline = await heapBytes(cdp);

    const importing = importOnce(page, path);
    const peak = await samplePeaks(cdp, importing);
    const marks = await page.evaluate(() => window.importBench);
    const classified = await classifyGradient(page);

    const start = phaseTime(marks.phases, 'reading:file');
    const review = phaseTime(marks.phases, 'review:');
    const build = phaseTime(marks.phases, 'adding:build');
    const warmup = phaseTime(marks.phases, 'adding:warmup');
    const save = phaseTime(marks.phases, 'adding:save');
    const done = phaseTime(marks.phases, 'idle:');
    return {
      backend: active,
      readValidateMs: review - start,
      buildMs: warmup - build,
      warmupMs: save - warmup,
      saveMs: done - save,
      maxFrameGapReadMs: maxGapBetween(marks.gaps, start, review),
      maxFrameGapBuildMs: maxGapBetween(marks.gaps, build, warmup),
      peakAboveBaselineBytes: aboveBaseline(peak.import, baseline, 'total'),
      peakHeapOnlyAboveBaselineBytes: aboveBaseline(peak.import, baseline, 'heap'),
      peakWarmupAboveBaselineBytes: aboveBaseline(peak.warmup, baseline, 'total'),
      peakSaveAboveBaselineBytes: aboveBaseline(peak.save, baseline, 'total'),
      classified,
    };
  } finally {
    await context.close();
  }
}

function format(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Import `path` on each backend and print one line per backend plus a JSON summary. */
export async function benchImport(path, backends) {
  const fileBytes = statSync(path).size;
  const harness = await openHarness();
  const rows = [];
  try {
    const browser = harness.page.context().browser();
    for (const backend of backends) {
      const row = await benchBackend(browser, harness.baseUrl, path, backend);
      row.file = basename(path);
      row.fileBytes = fileBytes;
      row.throughputMBps = fileBytes / MEGABYTE / ((row.readValidateMs + row.buildMs) / 1000);
      row.peakToFileRatio = row.peakAboveBaselineBytes / fileBytes;
      rows.push(row);
      console.log(`import of ${row.file} (${(fileBytes / MEGABYTE).toFixed(1)} MB) on ${row.backend}: `
        + `${row.throughputMBps.toFixed(1)} MB/s (read + infer + validate ${format(row.readValidateMs)}, build ${format(row.buildMs)}), `
        + `warm-up ${format(row.warmupMs)}, IndexedDB save ${format(row.saveMs)}; `
        + `peak memory while importing ${megabytes(row.peakAboveBaselineBytes)} = ${row.peakToFileRatio.toFixed(2)}x the file `
        + `(JS heap alone ${megabytes(row.peakHeapOnlyAboveBaselineBytes)}), `
        + `during warm-up ${megabytes(row.peakWarmupAboveBaselineBytes)}, during save ${megabytes(row.peakSaveAboveBaselineBytes)}; `
        + `longest frame gap ${row.maxFrameGapReadMs.toFixed(0)} ms reading, ${row.maxFrameGapBuildMs.toFixed(0)} ms building; `
        + `classified: top-1 class ${row.classified.index} of ${row.classified.rows} rows`);
    }
  } finally {
    await harness.close();
  }
  console.log(JSON.stringify({ import: rows }));
}
