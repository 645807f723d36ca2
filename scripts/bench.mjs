// npm run bench [-- --backends webgpu,webgl,cpu --models bundled,coatnet_0 --runs 20 --memory-runs 100]
// Prints, per model and backend: load time, first inference, median latency after warm-up,
// and tf.memory() after the load and after all runs. Figures belong in docs/benchmarks.md.

import os from 'node:os';

import { openHarness, parseOptions } from './browser.mjs';

const options = parseOptions(process.argv.slice(2), {
  backends: 'webgpu,webgl,cpu',
  models: 'bundled,coatnet_0',
  runs: 20,
  'memory-runs': 100,
  'coatnet0-runs': 0,
});

function format(ms) {
  return `${ms.toFixed(1)} ms`;
}

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
