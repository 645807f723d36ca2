// Types for scripts/make-webcam-video.mjs, which the unit and browser tests import.

export interface GrayImage {
  width: number;
  height: number;
  /** One byte per pixel, row-major. */
  pixels: Uint8Array;
}

export interface FashionPredictions {
  labels: number[];
  pytorchTop1: number[];
}

export interface VideoOptions {
  items?: number;
  framesPerItem?: number;
  fps?: number;
  /** Width and height of the square frame in pixels. */
  size?: number;
}

export interface VideoItem {
  testIndex: number;
  label: number;
  firstFrame: number;
  frameCount: number;
}

export interface VideoManifest {
  width: number;
  height: number;
  fps: number;
  items: VideoItem[];
}

export const FASHION_DIR: string;
export const DEFAULT_VIDEO_OPTIONS: Required<VideoOptions>;
export function decodeGrayPng(bytes: Uint8Array, source?: string): GrayImage;
export function pickItems(predictions: FashionPredictions, count: number, available: number): Array<{ testIndex: number; label: number }>;
export function scaleGray(image: GrayImage, size: number): Uint8Array;
export function grayToLimitedLuma(gray: number): number;
export function grayFrameI420(gray: Uint8Array, size: number): Uint8Array;
export function y4mHeader(size: number, fps: number): string;
export function writeWebcamVideo(outPath: string, options?: VideoOptions, fashionDir?: string): VideoManifest;
export function manifestPath(videoPath: string): string;
