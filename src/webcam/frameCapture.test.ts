import { describe, expect, it } from 'vitest';

import type { PreprocessingSpec, ResizeMode } from '../model/modelCard';
import { canvasToPng, captureFrame, FrameReducer } from './frameCapture';
import { FakeCanvas } from './testDoubles';

function spec(resize: ResizeMode, size: [number, number] = [64, 64]): PreprocessingSpec {
  return { size, resize, interpolation: 'bilinear', channels: 'grayscale', scale: 1 / 255, mean: [0.5], std: [0.25] };
}

function canvasFactory(): { create: (width: number, height: number) => FakeCanvas; canvases: FakeCanvas[] } {
  const canvases: FakeCanvas[] = [];
  return {
    canvases,
    create: (width, height) => {
      const canvas = new FakeCanvas(width, height);
      canvases.push(canvas);
      return canvas;
    },
  };
}

const video = { tag: 'video' } as unknown as CanvasImageSource;

describe('FrameReducer', () => {
  it('sizes its canvas to the network input, width from size[1]', () => {
    const factory = canvasFactory();
    new FrameReducer(spec('stretch', [48, 80]), factory.create);
    expect(factory.canvases.map((canvas) => [canvas.width, canvas.height])).toEqual([[80, 48]]);
  });

  it('reads pixels through a CPU-side canvas with bilinear smoothing', () => {
    const factory = canvasFactory();
    new FrameReducer(spec('stretch'), factory.create);
    const [canvas] = factory.canvases;
    expect(canvas.contextOptions).toMatchObject({ willReadFrequently: true });
    expect(canvas.context.imageSmoothingEnabled).toBe(true);
    expect(canvas.context.imageSmoothingQuality).toBe('low');
  });

  it('draws the whole frame onto the canvas for stretch', () => {
    const factory = canvasFactory();
    const reducer = new FrameReducer(spec('stretch'), factory.create);
    const image = reducer.reduce({ image: video, width: 640, height: 480 });
    const [canvas] = factory.canvases;

    expect(canvas.draws).toEqual([{ image: video, args: [0, 0, 640, 480, 0, 0, 64, 64] }]);
    expect(canvas.fills).toEqual([]);
    expect([image.width, image.height, image.data.length]).toEqual([64, 64, 64 * 64 * 4]);
  });

  it('draws the centre square for center-crop', () => {
    const factory = canvasFactory();
    new FrameReducer(spec('center-crop'), factory.create).reduce({ image: video, width: 640, height: 480 });
    expect(factory.canvases[0].draws[0].args).toEqual([80, 0, 480, 480, 0, 0, 64, 64]);
  });

  it('clears to black before drawing a letterboxed frame', () => {
    const factory = canvasFactory();
    new FrameReducer(spec('letterbox'), factory.create).reduce({ image: video, width: 640, height: 480 });
    const [canvas] = factory.canvases;
    expect(canvas.fills).toEqual([{ rect: [0, 0, 64, 64], style: '#000' }]);
    expect(canvas.draws[0].args).toEqual([0, 0, 640, 480, 0, 8, 64, 48]);
  });

  it('rejects a video without a frame', () => {
    const factory = canvasFactory();
    const reducer = new FrameReducer(spec('stretch'), factory.create);
    expect(() => reducer.reduce({ image: video, width: 0, height: 0 })).toThrow('the video has no frame yet');
  });
});

describe('captureFrame', () => {
  it('keeps a frame within the upload limit at full size', () => {
    const factory = canvasFactory();
    const captured = captureFrame({ image: video, width: 640, height: 480 }, factory.create);
    expect([captured.width, captured.height]).toEqual([640, 480]);
    expect([captured.pixels.width, captured.pixels.height]).toEqual([640, 480]);
    // Positive widths everywhere: the frame is copied unmirrored.
    expect(factory.canvases[0].draws[0].args).toEqual([0, 0, 640, 480, 0, 0, 640, 480]);
  });

  it('downscales a large frame like an upload', () => {
    const factory = canvasFactory();
    const captured = captureFrame({ image: video, width: 1920, height: 1080 }, factory.create);
    expect([captured.width, captured.height]).toEqual([1920, 1080]);
    expect([captured.pixels.width, captured.pixels.height]).toEqual([1024, 576]);
    expect(factory.canvases[0].draws[0].args).toEqual([0, 0, 1920, 1080, 0, 0, 1024, 576]);
  });

  it('encodes the capture as PNG', async () => {
    const factory = canvasFactory();
    const captured = captureFrame({ image: video, width: 20, height: 10 }, factory.create);
    const png = await canvasToPng(captured.canvas);
    expect(png.type).toBe('image/png');
  });
});
