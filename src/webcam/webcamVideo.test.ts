// Tests of scripts/make-webcam-video.mjs on a small fixture folder built here, so they do not
// depend on the trained model's files.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import {
  decodeGrayPng,
  grayFrameI420,
  grayToLimitedLuma,
  manifestPath,
  pickItems,
  scaleGray,
  writeWebcamVideo,
  y4mHeader,
} from '../../scripts/make-webcam-video.mjs';

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), body])), 0);
  return Buffer.concat([head, body, crc]);
}

function paethPredictor(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const distances = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
  if (distances[0] <= distances[1] && distances[0] <= distances[2]) return left;
  return distances[1] <= distances[2] ? up : upLeft;
}

/** Apply PNG filter `filter` to one row (forward direction, as an encoder does). */
function filterRow(filter: number, row: Uint8Array, previous: Uint8Array): Uint8Array {
  return row.map((value, x) => {
    const left = x > 0 ? row[x - 1] : 0;
    const up = previous[x];
    const upLeft = x > 0 ? previous[x - 1] : 0;
    const prediction = [0, left, up, (left + up) >> 1, paethPredictor(left, up, upLeft)][filter];
    return (value - prediction) & 0xff;
  });
}

/** Encode an 8-bit grayscale PNG, choosing the filter of each row with `filterOf(y)`. */
function encodeGrayPng(width: number, height: number, pixels: Uint8Array, filterOf: (y: number) => number): Buffer {
  const rows: Buffer[] = [];
  let previous: Uint8Array = new Uint8Array(width);
  for (let y = 0; y < height; y += 1) {
    const row = pixels.subarray(y * width, (y + 1) * width);
    rows.push(Buffer.from([filterOf(y)]), Buffer.from(filterRow(filterOf(y), row, previous)));
    previous = row;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Build a gray image whose pixels depend on `seed`, their position and an irregular pattern. */
function pattern(seed: number, size = 28): Uint8Array {
  return Uint8Array.from({ length: size * size }, (_, i) => (i * 37 + seed * 53 + ((i * i) % 11) * 19) % 256);
}

describe('decodeGrayPng', () => {
  it.each([0, 1, 2, 3, 4])('decodes rows with filter %i', (filter) => {
    const pixels = pattern(filter);
    const decoded = decodeGrayPng(encodeGrayPng(28, 28, pixels, () => filter));
    expect([decoded.width, decoded.height]).toEqual([28, 28]);
    expect(Array.from(decoded.pixels)).toEqual(Array.from(pixels));
  });

  it('decodes a mix of filters', () => {
    const pixels = pattern(9, 28);
    const decoded = decodeGrayPng(encodeGrayPng(28, 28, pixels, (y) => y % 5));
    expect(Array.from(decoded.pixels)).toEqual(Array.from(pixels));
  });

  it('rejects a file without the PNG signature', () => {
    expect(() => decodeGrayPng(new Uint8Array(16), 'x.png')).toThrow('x.png is not a PNG file');
  });

  it('rejects a colour PNG', () => {
    const png = encodeGrayPng(2, 2, new Uint8Array(4), () => 0);
    png[8 + 8 + 9] = 2; // IHDR colour type -> RGB
    expect(() => decodeGrayPng(png, 'rgb.png')).toThrow('color type 2');
  });

  it('rejects a truncated PNG', () => {
    const png = encodeGrayPng(28, 28, pattern(1), () => 0);
    expect(() => decodeGrayPng(png.subarray(0, 60), 'cut.png')).toThrow('truncated PNG');
  });
});

describe('pickItems', () => {
  const predictions = {
    labels: [9, 2, 1, 1, 6, 1, 4, 6, 5, 7],
    pytorchTop1: [9, 2, 1, 1, 2, 1, 4, 6, 5, 7],
  };

  it('picks correctly classified images with distinct labels in test-set order', () => {
    expect(pickItems(predictions, 4, 10)).toEqual([
      { testIndex: 0, label: 9 },
      { testIndex: 1, label: 2 },
      { testIndex: 2, label: 1 },
      { testIndex: 6, label: 4 },
    ]);
  });

  it('skips a misclassified image in favour of a later one with its label', () => {
    expect(pickItems(predictions, 5, 10).map((item) => item.testIndex)).toEqual([0, 1, 2, 6, 7]);
  });

  it('looks only at the available images', () => {
    expect(() => pickItems(predictions, 4, 3)).toThrow('Only 3 of the first 3 test images');
  });
});

describe('frame pixels', () => {
  it('keeps a constant image constant when scaled', () => {
    const scaled = scaleGray({ width: 28, height: 28, pixels: new Uint8Array(28 * 28).fill(77) }, 224);
    expect(new Set(scaled)).toEqual(new Set([77]));
  });

  it('interpolates between pixel centres', () => {
    // 2 px -> 4 px: centres at source 0 and 1 land between output pixels 0-1 and 2-3.
    const scaled = scaleGray({ width: 2, height: 2, pixels: Uint8Array.from([0, 200, 0, 200]) }, 4);
    expect(Array.from(scaled.subarray(0, 4))).toEqual([0, 50, 150, 200]);
  });

  it('maps gray levels onto limited-range luma', () => {
    expect([0, 128, 255].map(grayToLimitedLuma)).toEqual([16, 126, 235]);
  });

  it('lays out an I420 frame with neutral chroma', () => {
    const frame = grayFrameI420(Uint8Array.from([0, 255, 255, 0]), 2);
    expect(Array.from(frame)).toEqual([16, 235, 235, 16, 128, 128]);
  });

  it('writes a header Chromium can parse', () => {
    expect(y4mHeader(224, 30)).toBe('YUV4MPEG2 W224 H224 F30:1 Ip A1:1 C420jpeg\n');
  });
});

describe('writeWebcamVideo', () => {
  const folder = mkdtempSync(join(tmpdir(), 'webcam-video-test-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const fashion = join(folder, 'fashion');
  mkdirSync(join(fashion, 'images'), { recursive: true });
  const labels = [3, 3, 8, 0, 5];
  writeFileSync(join(fashion, 'pytorch-top1.json'), JSON.stringify({ labels, pytorchTop1: [3, 3, 8, 1, 5] }));
  for (let index = 0; index < labels.length; index += 1) {
    writeFileSync(join(fashion, 'images', `${String(index).padStart(5, '0')}.png`), encodeGrayPng(28, 28, pattern(index), () => 1));
  }

  it('writes every item for its frames with a manifest', () => {
    const out = join(folder, 'video.y4m');
    const manifest = writeWebcamVideo(out, { items: 3, framesPerItem: 4, fps: 15, size: 56 }, fashion);

    expect(manifest).toEqual({
      width: 56,
      height: 56,
      fps: 15,
      items: [
        { testIndex: 0, label: 3, firstFrame: 0, frameCount: 4 },
        { testIndex: 2, label: 8, firstFrame: 4, frameCount: 4 },
        { testIndex: 4, label: 5, firstFrame: 8, frameCount: 4 },
      ],
    });
    expect(JSON.parse(readFileSync(manifestPath(out), 'utf8'))).toEqual(manifest);

    const bytes = readFileSync(out);
    const header = y4mHeader(56, 15);
    expect(bytes.subarray(0, header.length).toString('ascii')).toBe(header);
    const frameBytes = 56 * 56 * 1.5;
    expect(bytes.length).toBe(header.length + 12 * ('FRAME\n'.length + frameBytes));

    // Frame 5 shows test image 2: its luma is that image scaled up, in limited range.
    const expected = grayFrameI420(scaleGray({ width: 28, height: 28, pixels: pattern(2) }, 56), 56);
    const start = header.length + 5 * ('FRAME\n'.length + frameBytes);
    expect(bytes.subarray(start, start + 6).toString('ascii')).toBe('FRAME\n');
    expect(Buffer.compare(bytes.subarray(start + 6, start + 6 + frameBytes), Buffer.from(expected))).toBe(0);
  });

  it('rejects an odd frame size', () => {
    expect(() => writeWebcamVideo(join(folder, 'odd.y4m'), { items: 1, size: 55 }, fashion)).toThrow('size 55 is invalid');
  });
});
