// English UI text. ja.ts has to provide every key, which the TranslationResource type enforces.

export const en = {
  app: {
    title: 'CoAtNet in the browser',
    subtitle: 'Fashion-MNIST image classification with TensorFlow.js. Your images stay on this device.',
    footer: 'The network runs in this page with TensorFlow.js; no image is uploaded.',
  },
  language: {
    label: 'Language',
  },
  input: {
    heading: 'Image',
    dropHint: 'Drop an image here',
    pasteHint: 'or paste one with Ctrl+V / ⌘V',
    choose: 'Choose image…',
    formats: 'PNG, JPEG, GIF, WebP, BMP or AVIF, up to {{maxMegabytes}} MB',
    decoding: 'Reading the image…',
    imageAlt: 'Image to classify: {{name}}',
    size: '{{width}} × {{height}} px',
    replaceHint: 'Drop, paste or choose another image to replace it.',
  },
  samples: {
    heading: 'Samples from the Fashion-MNIST test set',
    buttonLabel: 'Classify test image {{testIndex}} ({{label}})',
    loading: 'Loading samples…',
    unavailable: 'The sample images could not be loaded.',
  },
  result: {
    heading: 'Prediction',
    empty: 'Choose, drop or paste an image, or click a sample.',
    waitingForModel: 'The image will be classified as soon as the model is ready.',
    modelUnavailable: 'The model is not available, so the image cannot be classified.',
    failed: 'This image could not be classified.',
    classifying: 'Classifying…',
    topK: 'Top {{count}} classes',
    inferenceTime: 'Inference time',
    milliseconds: 'ms',
    backend: 'Backend',
    trueLabel: 'True label',
    correct: 'correct',
    incorrect: 'incorrect',
  },
  model: {
    heading: 'Model',
    phase: {
      backend: 'Starting TensorFlow.js…',
      download: 'Downloading the weights…',
      build: 'Building the network…',
      warmup: 'Warming up: the first inference compiles the GPU kernels…',
    },
    ready: 'Model ready',
    failed: 'The model is not available.',
    retry: 'Retry',
  },
  backend: {
    label: 'Backend',
    names: {
      webgpu: 'WebGPU',
      webgl: 'WebGL',
      wasm: 'WebAssembly',
      cpu: 'CPU',
    },
    unavailable: '{{failed}} is not available ({{reason}}).',
    runningOn: 'Running on {{backend}}.',
    softwareAdapter: 'The WebGPU adapter is a software renderer, so inference is slower than on a GPU.',
  },
  info: {
    heading: 'About the model',
    parameters: 'Parameters',
    accuracy: 'Test accuracy',
    accuracyOnImages: '{{accuracy}} on {{count}} test images',
    input: 'Input',
    inputValue: '{{height}} × {{width}} px, {{channels}}',
    channels: {
      grayscale: 'grayscale (1 channel)',
      rgb: 'RGB (3 channels)',
    },
    classes: 'Classes',
  },
  errors: {
    dismiss: 'Dismiss',
    detail: 'Details',
    'empty-file': '“{{name}}” is empty (0 bytes). Choose an image file.',
    'not-an-image': '“{{name}}” is not an image. Use a PNG, JPEG, GIF, WebP, BMP or AVIF file.',
    'unsupported-format': '“{{name}}” is a {{format}} image, which this browser cannot decode. '
      + 'Convert it to JPEG or PNG and try again.',
    'decode-failed': '“{{name}}” could not be decoded: the file may be corrupt or truncated. Try another file.',
    'too-large_bytes': '“{{name}}” is {{actual}} MB, over the {{maximum}} MB limit. Use a smaller file.',
    'too-large_pixels': '“{{name}}” has {{actual}} megapixels, over the {{maximum}}-megapixel limit. '
      + 'Downscale it and try again.',
    'no-file': 'The drop contained no file. Images dragged from another web page arrive as links: '
      + 'save the image first, then drop the file.',
    'sample-failed': 'Sample “{{name}}” could not be loaded. Reload the page and try again.',
    'model-load-failed': 'The model could not be loaded. Click Retry; if it fails again, '
      + 'the model files are missing or damaged on the server.',
    'backend-failed': 'TensorFlow.js could not start any backend, not even the CPU one. Try another browser.',
    'classify-failed': 'Classification failed. Try another image or reload the page.',
  },
};

/** The shape every language has to provide: same keys as English, string values. */
export type TranslationResource = { [K in keyof typeof en]: Translations<(typeof en)[K]> };
type Translations<T> = { [K in keyof T]: T[K] extends string ? string : Translations<T[K]> };
