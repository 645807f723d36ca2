// A canvas that shows RGBA pixels at their own resolution; CSS scales it up without smoothing.

import { useEffect, useRef, type MouseEvent } from 'react';

interface StageCanvasProps {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  label: string;
  /** Width on screen in CSS pixels; the height follows the aspect ratio. */
  displayWidth: number;
  testId?: string;
  onClick?: (event: MouseEvent<HTMLCanvasElement>) => void;
}

export function StageCanvas({ width, height, rgba, label, displayWidth, testId, onClick }: StageCanvasProps) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    // ImageData needs its own buffer of exactly width * height * 4 bytes.
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  }, [rgba, width, height]);

  return (
    <canvas
      ref={canvas}
      className={onClick ? 'pixel-canvas is-clickable' : 'pixel-canvas'}
      width={width}
      height={height}
      role="img"
      aria-label={label}
      data-testid={testId}
      style={{ width: `${displayWidth}px`, aspectRatio: `${width} / ${height}` }}
      onClick={onClick}
    />
  );
}
