import { describe, expect, it } from 'vitest';

import { sniffImageFormat } from './sniff';

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));
const bytes = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? ascii(part) : part)));
const uint32BE = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const uint32LE = (value: number) => uint32BE(value).reverse();

/** Build an ISO BMFF ftyp box with the given major and compatible brands. */
function ftyp(major: string, compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  return bytes(uint32BE(size), 'ftyp', major, [0, 0, 0, 0], compatible.join(''), new Array(32).fill(0));
}

describe('sniffImageFormat', () => {
  it.each([
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], 'IHDR')],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], [0, 16], 'JFIF')],
    ['gif', bytes('GIF89a', [1, 0, 1, 0])],
    ['gif', bytes('GIF87a', [1, 0, 1, 0])],
    ['webp', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ')],
    ['bmp', bytes('BM', new Array(12).fill(0), uint32LE(40))],
    ['avif', ftyp('avif', ['mif1', 'miaf'])],
    ['avif', ftyp('mif1', ['avif', 'miaf'])],
  ])('recognizes %s', (format, input) => {
    expect(sniffImageFormat(input)).toEqual({ kind: 'decodable', format });
  });

  it.each([
    ['HEIC', ftyp('heic', ['mif1', 'heic'])],
    ['HEIC', ftyp('mif1', ['heix'])],
    ['HEIF', ftyp('mif1', ['mif1'])],
    ['TIFF', bytes('II', [0x2a, 0x00, 8, 0, 0, 0])],
    ['TIFF', bytes('MM', [0x00, 0x2a, 0, 0, 0, 8])],
    ['JPEG XL', bytes([0xff, 0x0a, 0xfa, 0x7f])],
    ['JPEG XL', bytes([0, 0, 0, 12], 'JXL ', [0x0d, 0x0a, 0x87, 0x0a])],
    ['SVG', bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>')],
    ['SVG', bytes([0xef, 0xbb, 0xbf], '  <svg width="10">')],
  ])('reports %s as undecodable', (format, input) => {
    expect(sniffImageFormat(input)).toEqual({ kind: 'undecodable', format });
  });

  it.each([
    ['plain text', bytes('just text, not an image')],
    ['text starting with BM', bytes('BMW 320i service record, 2019 edition')],
    ['an MP4 video', ftyp('isom', ['isom', 'mp41'])],
    ['HTML', bytes('<!doctype html><html><body>svg</body></html>')],
    ['a PDF', bytes('%PDF-1.7\n')],
    ['a single byte', bytes([0x89])],
    ['no bytes', new Uint8Array(0)],
  ])('rejects %s', (_name, input) => {
    expect(sniffImageFormat(input)).toEqual({ kind: 'unknown' });
  });

  it('ignores compatible brands past the ftyp box size', () => {
    // The box declares only the major brand; "heic" after it belongs to the next box.
    const input = bytes(uint32BE(16), 'ftyp', 'isom', [0, 0, 0, 0], 'heic', new Array(16).fill(0));
    expect(sniffImageFormat(input)).toEqual({ kind: 'unknown' });
  });
});
