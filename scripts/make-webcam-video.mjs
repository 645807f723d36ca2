// node scripts/make-webcam-video.mjs OUT.y4m [--items 5] [--frames-per-item 60] [--fps 30] [--size 224]
//
// Writes a YUV4MPEG2 video for Chromium's fake camera (--use-file-for-fake-video-capture) that
// shows Fashion-MNIST test images with known labels, one after another, and OUT.json describing
// which test image fills which frames. The images come from tests/fixtures/fashion/images/ and the
// labels from tests/fixtures/fashion/pytorch-top1.json; only images that the PyTorch model
// classifies correctly are used, each with a different label.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

export const FASHION_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'fashion');

export const DEFAULT_VIDEO_OPTIONS = { items: 5, framesPerItem: 60, fps: 30, size: 224 };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Inverse of a PNG row filter (PNG spec section 9), in place on `row`, for 1 byte per pixel. */
function unfilterRow(filter, row, previous) {
  for (let x = 0; x < row.length; x += 1) {
    const left = x > 0 ? row[x - 1] : 0;
    const up = previous[x];
    const upLeft = x > 0 ? previous[x - 1] : 0;
    if (filter === 1) row[x] = (row[x] + left) & 0xff;
    else if (filter === 2) row[x] = (row[x] + up) & 0xff;
    else if (filter === 3) row[x] = (row[x] + ((left + up) >> 1)) & 0xff;
    else if (filter === 4) row[x] = (row[x] + paeth(left, up, upLeft)) & 0xff;
    else if (filter !== 0) throw new Error(`PNG row filter ${filter} is invalid: PNG defines filters 0 to 4`);
  }
}

function paeth(left, up, upLeft) {
  const estimate = left + up - upLeft;
  const toLeft = Math.abs(estimate - left);
  const toUp = Math.abs(estimate - up);
  const toUpLeft = Math.abs(estimate - upLeft);
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;
  return toUp <= toUpLeft ? up : upLeft;
}

function readChunks(bytes, source) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = [];
  for (let offset = PNG_SIGNATURE.length; offset + 8 <= bytes.length;) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (offset + 12 + length > bytes.length) {
      throw new Error(`${source}: PNG chunk ${type} runs past the end of the file (truncated PNG)`);
    }
    chunks.push({ type, data: bytes.subarray(offset + 8, offset + 8 + length) });
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}

/**
 * Decode an 8-bit grayscale, non-interlaced PNG (the format of the Fashion-MNIST fixtures).
 * Returns { width, height, pixels } with one byte per pixel, row-major.
 */
export function decodeGrayPng(bytes, source = 'PNG') {
  if (!PNG_SIGNATURE.every((value, index) => bytes[index] === value)) {
    throw new Error(`${source} is not a PNG file: the 8-byte PNG signature is missing`);
  }
  const chunks = readChunks(bytes, source);
  const header = chunks.find((chunk) => chunk.type === 'IHDR');
  if (!header) throw new Error(`${source}: the IHDR chunk is missing`);

  const headerView = new DataView(header.data.buffer, header.data.byteOffset, header.data.byteLength);
  const width = headerView.getUint32(0);
  const height = headerView.getUint32(4);
  const [bitDepth, colorType, , , interlace] = header.data.subarray(8, 13);
  if (bitDepth !== 8 || colorType !== 0 || interlace !== 0) {
    throw new Error(`${source} has bit depth ${bitDepth}, color type ${colorType}, interlace ${interlace}: `
      + 'only 8-bit grayscale (color type 0) without interlacing is supported');
  }

  const compressed = Buffer.concat(chunks.filter((chunk) => chunk.type === 'IDAT').map((chunk) => chunk.data));
  const raw = inflateSync(compressed);
  if (raw.length !== height * (width + 1)) {
    throw new Error(`${source}: image data has ${raw.length} bytes, expected ${height * (width + 1)} for ${width}x${height}`);
  }

  const pixels = new Uint8Array(width * height);
  let previous = new Uint8Array(width);
  for (let y = 0; y < height; y += 1) {
    const start = y * (width + 1);
    const row = Uint8Array.from(raw.subarray(start + 1, start + 1 + width));
    unfilterRow(raw[start], row, previous);
    pixels.set(row, y * width);
    previous = row;
  }
  return { width, height, pixels };
}

/**
 * Choose up to `count` test images, in test-set order among the first `available`, whose label
 * differs from every earlier choice and whose PyTorch top-1 equals that label.
 */
export function pickItems(predictions, count, available) {
  const chosen = [];
  const usedLabels = new Set();
  for (let index = 0; index < Math.min(available, predictions.labels.length) && chosen.length < count; index += 1) {
    const label = predictions.labels[index];
    if (usedLabels.has(label) || predictions.pytorchTop1[index] !== label) continue;
    usedLabels.add(label);
    chosen.push({ testIndex: index, label });
  }
  if (chosen.length < count) {
    throw new Error(`Only ${chosen.length} of the first ${available} test images are correctly classified with distinct `
      + `labels, but ${count} were requested: lower --items`);
  }
  return chosen;
}

/**
 * Scale a square gray image to size x size with bilinear sampling (half-pixel centers, edge
 * clamping), the rule the training pipeline uses to scale 28x28 images to the network input.
 */
export function scaleGray(image, size) {
  const out = new Uint8Array(size * size);
  const scaleX = image.width / size;
  const scaleY = image.height / size;
  for (let oy = 0; oy < size; oy += 1) {
    const sy = Math.min(Math.max((oy + 0.5) * scaleY - 0.5, 0), image.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const fy = sy - y0;
    for (let ox = 0; ox < size; ox += 1) {
      const sx = Math.min(Math.max((ox + 0.5) * scaleX - 0.5, 0), image.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const fx = sx - x0;
      const top = image.pixels[y0 * image.width + x0] * (1 - fx) + image.pixels[y0 * image.width + x1] * fx;
      const bottom = image.pixels[y1 * image.width + x0] * (1 - fx) + image.pixels[y1 * image.width + x1] * fx;
      out[oy * size + ox] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}

/**
 * Gray level 0..255 -> luma Y in the limited ("studio") range 16..235, because Chromium converts
 * camera I420 frames to RGB as BT.601 limited range, and full-range bytes would lose contrast.
 */
export function grayToLimitedLuma(gray) {
  return Math.round(16 + (gray * 219) / 255);
}

/** Build one I420 frame of a gray image: the Y plane, then U and V at half resolution with neutral chroma 128. */
export function grayFrameI420(gray, size) {
  const chromaSize = (size / 2) * (size / 2);
  const frame = new Uint8Array(size * size + 2 * chromaSize);
  for (let i = 0; i < size * size; i += 1) frame[i] = grayToLimitedLuma(gray[i]);
  frame.fill(128, size * size);
  return frame;
}

/** Return the Y4M stream header. Chromium's parser accepts only the 4:2:0 colour spaces. */
export function y4mHeader(size, fps) {
  return `YUV4MPEG2 W${size} H${size} F${fps}:1 Ip A1:1 C420jpeg\n`;
}

function checkOptions({ items, framesPerItem, fps, size }) {
  for (const [name, value] of Object.entries({ items, framesPerItem, fps, size })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} ${value} is invalid: use a positive integer`);
  }
  if (size % 2 !== 0) throw new Error(`size ${size} is invalid: 4:2:0 chroma needs an even frame size`);
}

/**
 * Write the video and its manifest. Returns the manifest: frame size, fps and, per item, the test
 * index, label and the frames [firstFrame, firstFrame + frameCount) that show it.
 */
export function writeWebcamVideo(outPath, options = {}, fashionDir = FASHION_DIR) {
  const settings = { ...DEFAULT_VIDEO_OPTIONS, ...options };
  checkOptions(settings);

  const predictions = JSON.parse(readFileSync(join(fashionDir, 'pytorch-top1.json'), 'utf8'));
  const imageCount = countFixtureImages(fashionDir);
  const items = pickItems(predictions, settings.items, imageCount);

  const header = Buffer.from(y4mHeader(settings.size, settings.fps), 'ascii');
  const frameMarker = Buffer.from('FRAME\n', 'ascii');
  const parts = [header];
  const manifestItems = [];
  for (const [position, item] of items.entries()) {
    const file = join(fashionDir, 'images', `${String(item.testIndex).padStart(5, '0')}.png`);
    const image = decodeGrayPng(readFileSync(file), file);
    const frame = grayFrameI420(scaleGray(image, settings.size), settings.size);
    for (let repeat = 0; repeat < settings.framesPerItem; repeat += 1) parts.push(frameMarker, frame);
    manifestItems.push({ ...item, firstFrame: position * settings.framesPerItem, frameCount: settings.framesPerItem });
  }

  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, Buffer.concat(parts));
  const manifest = { width: settings.size, height: settings.size, fps: settings.fps, items: manifestItems };
  writeFileSync(manifestPath(outPath), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** OUT.y4m -> OUT.json */
export function manifestPath(videoPath) {
  return videoPath.replace(/\.y4m$/i, '') + '.json';
}

/** Number of consecutive fixture images 00000.png, 00001.png, ... that exist. */
function countFixtureImages(fashionDir) {
  let count = 0;
  while (existsSync(join(fashionDir, 'images', `${String(count).padStart(5, '0')}.png`))) count += 1;
  return count;
}

function parseArguments(argv) {
  const names = { '--items': 'items', '--frames-per-item': 'framesPerItem', '--fps': 'fps', '--size': 'size' };
  const options = {};
  let out = null;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] in names) {
      options[names[argv[i]]] = Number(argv[i + 1]);
      i += 1;
    } else if (argv[i].startsWith('--')) {
      throw new Error(`Unknown option ${argv[i]}; valid: ${Object.keys(names).join(' ')}`);
    } else {
      out = argv[i];
    }
  }
  if (!out) {
    throw new Error('Missing output file: run node scripts/make-webcam-video.mjs OUT.y4m [--items N] '
      + '[--frames-per-item N] [--fps N] [--size N]');
  }
  if (!/\.y4m$/i.test(out)) {
    throw new Error(`Output file ${out} is invalid: its name must end in .y4m, because Chromium chooses the parser by extension`);
  }
  return { out, options };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { out, options } = parseArguments(process.argv.slice(2));
  const manifest = writeWebcamVideo(out, options);
  const summary = manifest.items.map((item) => `test image ${item.testIndex} (label ${item.label})`).join(', ');
  process.stdout.write(`wrote ${out} (${manifest.width}x${manifest.height}, ${manifest.fps} fps): ${summary}\n`);
}
