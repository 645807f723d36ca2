// npm run eval [-- --data /usr/share/datasets/fashion-mnist --backend webgpu --batch 100]
// Runs all 10,000 Fashion-MNIST test images through the browser model and prints its accuracy
// and its agreement with PyTorch's top-1 (exported by tools/train_fashion.py).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { openHarness, parseOptions } from './browser.mjs';

const options = parseOptions(process.argv.slice(2), {
  data: '/usr/share/datasets/fashion-mnist',
  backend: 'webgpu',
  batch: 100,
  limit: 10000,
  predictions: 'tests/fixtures/fashion/pytorch-top1.json',
});

function readImages(path) {
  let bytes;
  try {
    bytes = gunzipSync(readFileSync(path));
  } catch (error) {
    throw new Error(`Cannot read ${path} (${error.message}); on Debian: apt-get install dataset-fashion-mnist, or pass --data DIR`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (view.getUint32(0) !== 2051) throw new Error(`${path} is not an IDX image file`);
  return { count: view.getUint32(4), height: view.getUint32(8), width: view.getUint32(12), pixels: bytes.subarray(16) };
}

const images = readImages(join(options.data, 't10k-images-idx3-ubyte.gz'));
const { labels, pytorchTop1 } = JSON.parse(readFileSync(options.predictions, 'utf8'));
const total = Math.min(options.limit, images.count);
const size = images.width * images.height;

const harness = await openHarness();
try {
  const status = await harness.page.evaluate((name) => window.coatnetHarness.useBackend(name), options.backend);
  const model = await harness.page.evaluate((url) => window.coatnetHarness.loadEvalModel(url), '/models/fashion-coatnet/model.json');
  console.log(`model "${model.name}" on ${model.backend}${status.softwareAdapter ? ' (software adapter)' : ''}`);

  let correct = 0;
  let agree = 0;
  const disagreements = [];
  const started = Date.now();
  for (let start = 0; start < total; start += options.batch) {
    const count = Math.min(options.batch, total - start);
    const chunk = Buffer.from(images.pixels.subarray(start * size, (start + count) * size)).toString('base64');
    const top1 = await harness.page.evaluate(
      ([pixels, n, w, h]) => window.coatnetHarness.classifyGrayBatch(pixels, n, w, h),
      [chunk, count, images.width, images.height],
    );
    top1.forEach((prediction, offset) => {
      const index = start + offset;
      if (prediction === labels[index]) correct += 1;
      if (prediction === pytorchTop1[index]) agree += 1;
      else disagreements.push(index);
    });
    process.stderr.write(`\r${start + count}/${total} images`);
  }
  process.stderr.write('\n');
  const seconds = (Date.now() - started) / 1000;
  console.log(`accuracy: ${correct}/${total} = ${(100 * correct / total).toFixed(2)}%`);
  console.log(`agreement with PyTorch top-1: ${agree}/${total}`);
  console.log(`disagreeing test indices: ${disagreements.slice(0, 50).join(', ') || 'none'}`);
  console.log(`time: ${seconds.toFixed(0)} s (${(1000 * seconds / total).toFixed(1)} ms per image, batches of ${options.batch})`);
} finally {
  await harness.close();
}
