// Placement of a camera frame on the model-sized canvas, for each resize mode of the model card.
// The geometry is the one preprocess() applies to uploaded images. After drawing, preprocess
// receives an image of exactly the network input size, so its own resize step changes nothing.

import type { ResizeMode } from '../model/modelCard';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Arguments of drawImage(frame, source..., destination...). */
export interface DrawPlacement {
  source: Rect;
  destination: Rect;
}

/** Place a frameWidth x frameHeight frame onto an outHeight x outWidth canvas. */
export function drawPlacement(
  frameWidth: number, frameHeight: number, [outHeight, outWidth]: [number, number], resize: ResizeMode,
): DrawPlacement {
  if (!(frameWidth > 0 && frameHeight > 0)) {
    throw new Error(`Frame size ${frameWidth}x${frameHeight} is invalid: the video has no frame yet`);
  }
  const whole = { x: 0, y: 0, width: frameWidth, height: frameHeight };
  const canvas = { x: 0, y: 0, width: outWidth, height: outHeight };

  if (resize === 'center-crop') {
    // Scale so the frame covers the canvas, then keep its centre.
    const scale = Math.max(outWidth / frameWidth, outHeight / frameHeight);
    const cropWidth = outWidth / scale;
    const cropHeight = outHeight / scale;
    const source = { x: (frameWidth - cropWidth) / 2, y: (frameHeight - cropHeight) / 2, width: cropWidth, height: cropHeight };
    return { source, destination: canvas };
  }

  if (resize === 'letterbox') {
    // Scale so the frame fits inside the canvas; the rest stays black, the Fashion-MNIST background.
    const scale = Math.min(outWidth / frameWidth, outHeight / frameHeight);
    const innerWidth = Math.max(1, Math.round(frameWidth * scale));
    const innerHeight = Math.max(1, Math.round(frameHeight * scale));
    const destination = {
      x: Math.floor((outWidth - innerWidth) / 2),
      y: Math.floor((outHeight - innerHeight) / 2),
      width: innerWidth,
      height: innerHeight,
    };
    return { source: whole, destination };
  }

  return { source: whole, destination: canvas };
}
