// npm run bench [-- --backends webgpu,webgl,wasm,cpu --models bundled,coatnet_0 --runs 20 --memory-runs 100]
//                 [--webcam off|on|only --webcam-frames 200] [--import PATH]
// Prints, per model and backend: load time, first inference, median latency after warm-up,
// and tf.memory() after the load and after all runs. With --webcam on (after those) or only
// (instead of them), it also prints the webcam loop's frames per second on Chromium's fake camera
// and the ratio of loop throughput to single-inference throughput of the bundled model.
// --import PATH runs only the checkpoint import benchmark of scripts/bench-import.mjs on each
// of --backends instead: throughput in MB/s and peak memory of importing PATH, a coatnet_0 .pth
// from `tools/make_checkpoint_fixtures.py --coatnet0 PATH`.
// Figures belong in docs/benchmarks.md.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { chromium } from '@playwright/test';
import { createServer } from 'vite';

import { benchImport } from './bench-import.mjs';
import { openHarness, parseOptions } from './browser.mjs';
import { BASE_FLAGS, CHROMIUM, GPU_FLAGS } from './chromium-flags.mjs';
import { writeWebcamVideo } from './make-webcam-video.mjs';

const options = parseOptions(process.argv.slice(2), {
  backends: 'webgpu,webgl,wasm,cpu',
  models: 'bundled,coatnet_0',
  runs: 20,
  'memory-runs': 100,
  'coatnet0-runs': 0,
  webcam: 'off',
  'webcam-frames': 200,
  import: '',
});

if (!['off', 'on', 'only'].includes(options.webcam)) {
  throw new Error(`--webcam ${options.webcam} is invalid: use off, on or only`);
}

async function benchModels() {
  const harness = await openHarness();
  const rows = [];
  try {
    for (const backend of options.backends.split(',')) {
      const status = await harness.page.evaluate((name) => window.coatnetHarness.useBackend(name), backend);
      for (const model of options.models.split(',')) {
        // coatnet_0 at 224 takes seconds per image on software GPUs; --coatnet0-runs caps its runs.
        const runs = model === 'bundled' || options['coatnet0-runs'] === 0 ? options.runs : options['coatnet0-runs'];
        const memoryRuns = model === 'bundled' || options['coatnet0-runs'] === 0 ? options['memory-runs'] : runs + 1;
        const report = await harness.page.evaluate((request) => window.coatnetHarness.benchmark(request), {
          model, cardUrl: '/models/fashion-coatnet/model.json', runs, memoryRuns,
        });
        report.softwareAdapter = status.softwareAdapter;
        rows.push(report);
        console.log(`${model} on ${report.backend}${status.softwareAdapter ? ' (software adapter)' : ''}: `
          + `load ${format(report.loadMs)}, first inference ${format(report.firstInferenceMs)}, `
          + `median ${format(report.medianMs)} over ${report.runs} runs, `
          + `tensors/bytes after load ${report.tensorsAfterLoad}/${report.bytesAfterLoad}, `
          + `after ${report.memoryRuns} runs ${report.tensorsAfterRuns}/${report.bytesAfterRuns}`);
      }
    }
  } finally {
    await harness.close();
  }

  console.log(`\nmachine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, `
    + `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(JSON.stringify(rows));
}

function format(ms) {
  return `${ms.toFixed(1)} ms`;
}

// Webcam section. The loop runs in the app page on Chromium's fake camera playing a Fashion-MNIST
// video at WEBCAM_FPS. Single-inference throughput comes from the harness benchmark of the bundled
// model in the same browser and backend, with no video playing. A ratio near 1 means the loop adds
// little to the inference. The second ratio uses the inference time measured inside the loop, so it
// leaves out what the playing video costs the inference and shows the loop's own overhead: frame
// reduction, preprocessing, the second read-back and painting each result.

/** Faster than the loop on software backends, so the camera is rarely what limits the loop. */
const WEBCAM_FPS = 60;
const WEBCAM_WARM_FRAMES = 10;
const CARD_URL = '/models/fashion-coatnet/model.json';

async function openWebcamBrowser(videoPath) {
  const server = await createServer({ server: { host: '127.0.0.1', port: 0 }, logLevel: process.env.VITE_LOG ?? 'error' });
  await server.listen();
  const { port } = server.httpServer.address();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...BASE_FLAGS, ...GPU_FLAGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${videoPath}`],
  });
  return {
    browser,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

async function singleInferenceMedian(session, backend) {
  const page = await session.browser.newPage();
  try {
    await page.goto(`${session.baseUrl}/harness.html`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
    await page.evaluate((name) => window.coatnetHarness.useBackend(name), backend);
    const report = await page.evaluate((request) => window.coatnetHarness.benchmark(request), {
      model: 'bundled', cardUrl: CARD_URL, runs: options.runs, memoryRuns: options.runs + 1,
    });
    return { medianMs: report.medianMs, backend: report.backend };
  } finally {
    await page.close();
  }
}

/** Run the app's loop for --webcam-frames frames after a warm-up; returns its rate and latencies. */
async function measureLoop(session, backend) {
  const page = await session.browser.newPage();
  page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  try {
    await page.goto(`${session.baseUrl}/?backend=${backend}`);
    await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 300_000 });
    const active = await page.getAttribute('[data-testid="backend-name"]', 'data-backend');
    await page.click('[data-testid="webcam-start"]');
    await page.waitForFunction((count) => (window.__webcamStats?.frames ?? 0) >= count, WEBCAM_WARM_FRAMES,
      { timeout: 300_000, polling: 'raf' });

    const measured = await page.evaluate((frames) => new Promise((resolve) => {
      const latencies = [];
      const inferences = [];
      const startFrames = window.__webcamStats.frames;
      const started = performance.now();
      let seen = startFrames;
      const sample = () => {
        const stats = window.__webcamStats;
        if (stats.frames !== seen) {
          seen = stats.frames;
          const latency = document.querySelector('[data-testid="webcam-latency"]');
          latencies.push(Number(latency?.getAttribute('data-ms')));
          inferences.push(Number(latency?.getAttribute('data-inference-ms')));
        }
        if (stats.frames - startFrames >= frames) {
          resolve({ frames: stats.frames - startFrames, seconds: (performance.now() - started) / 1000, latencies, inferences, stats });
        } else {
          requestAnimationFrame(sample);
        }
      };
      requestAnimationFrame(sample);
    }), options['webcam-frames']);
    await page.click('[data-testid="webcam-stop"]');
    return { ...measured, backend: active };
  } finally {
    await page.close();
  }
}

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function benchWebcam() {
  const folder = mkdtempSync(join(os.tmpdir(), 'coatnet-bench-webcam-'));
  const videoPath = join(folder, 'fashion.y4m');
  writeWebcamVideo(videoPath, { items: 5, framesPerItem: 30, fps: WEBCAM_FPS, size: 224 });
  const session = await openWebcamBrowser(videoPath);
  const rows = [];
  try {
    for (const backend of options.backends.split(',')) {
      const single = await singleInferenceMedian(session, backend);
      const loop = await measureLoop(session, backend);
      const loopFps = loop.frames / loop.seconds;
      const singlePerSecond = 1000 / single.medianMs;
      const loopInferenceMs = median(loop.inferences);
      const row = {
        backend: loop.backend,
        loopFps,
        loopFrames: loop.frames,
        loopMedianLatencyMs: median(loop.latencies),
        loopMedianInferenceMs: loopInferenceMs,
        singleMedianMs: single.medianMs,
        singlePerSecond,
        ratio: loopFps / singlePerSecond,
        ratioToLoopInference: loopFps / (1000 / loopInferenceMs),
        cameraFps: WEBCAM_FPS,
        tensorsAfterLoop: loop.stats.tensors,
        bytesAfterLoop: loop.stats.bytes,
      };
      rows.push(row);
      console.log(`webcam loop on ${row.backend}: ${loopFps.toFixed(1)} fps over ${row.loopFrames} frames `
        + `(camera ${WEBCAM_FPS} fps), median latency ${format(row.loopMedianLatencyMs)} `
        + `of which inference ${format(loopInferenceMs)}; `
        + `single inference median ${format(row.singleMedianMs)} (${singlePerSecond.toFixed(1)}/s); `
        + `loop/single throughput ratio ${row.ratio.toFixed(2)}, `
        + `loop/in-loop inference throughput ratio ${row.ratioToLoopInference.toFixed(2)}`);
    }
  } finally {
    await session.close();
    rmSync(folder, { recursive: true, force: true });
  }
  console.log(`\nmachine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, `
    + `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(JSON.stringify({ webcam: rows }));
}

if (options.import !== '') {
  await benchImport(options.import, options.backends.split(','));
} else {
  if (options.webcam !== 'only') await benchModels();
  if (options.webcam !== 'off') await benchWebcam();
}

