// Debian Chromium's path and launch flags, shared by playwright.config.ts and the bench/eval scripts.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for running as root in a network-less sandbox without background traffic. */
export const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** WebGPU on SwiftShader (software Vulkan) and WebGL on SwiftShader through ANGLE. */
export const GPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** WebGPU switched off, with WebGL still available, for the backend fallback tests. */
export const NO_WEBGPU_FLAGS = ['--disable-features=WebGPU', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
