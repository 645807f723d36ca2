// The model card: a JSON file next to the weights that describes how to build and feed the model.

import { validateConfig, type CoAtNetConfig } from './config';

export type ResizeMode = 'stretch' | 'center-crop' | 'letterbox';

/** Preprocessing that turns an image into the network input, read from the card and never hard-coded. */
export interface PreprocessingSpec {
  /** Network input [height, width]. */
  size: [number, number];
  resize: ResizeMode;
  /** Bilinear with align_corners=False, as torch.nn.functional.interpolate. */
  interpolation: 'bilinear';
  channels: 'grayscale' | 'rgb';
  /** Multiplies 8-bit pixel values before normalization (1/255 maps them to [0, 1]). */
  scale: number;
  /** Per-channel mean and std of (x * scale - mean) / std; one value each for grayscale. */
  mean: number[];
  std: number[];
}

export interface LocalizedText {
  en: string;
  ja: string;
}

export interface ModelCard {
  name: string;
  description?: LocalizedText;
  config: CoAtNetConfig;
  /** Weight file name, relative to the card. */
  weights: string;
  preprocessing: PreprocessingSpec;
  labels: { en: string[]; ja: string[] };
  parameterCount?: number;
  testAccuracy?: number;
  testImages?: number;
  training?: Record<string, unknown>;
}

/** Check a parsed card and return it typed, or throw naming every invalid field. */
export function parseModelCard(json: unknown, source: string): ModelCard {
  if (typeof json !== 'object' || json === null) {
    throw new Error(`Model card ${source} is not a JSON object`);
  }
  const card = json as ModelCard;
  const problems: string[] = [];
  if (typeof card.weights !== 'string') problems.push('"weights" (file name) is missing');
  if (!card.config) problems.push('"config" is missing');
  if (!card.preprocessing) problems.push('"preprocessing" is missing');
  if (!card.labels?.en || !card.labels?.ja) problems.push('"labels.en" and "labels.ja" are required');
  if (problems.length > 0) {
    throw new Error(`Model card ${source} is invalid:\n- ${problems.join('\n- ')}`);
  }

  try {
    validateConfig(card.config);
  } catch (error) {
    throw new Error(`Model card ${source}: ${(error as Error).message}`);
  }
  validatePreprocessing(card.preprocessing, card.config, source);
  for (const language of ['en', 'ja'] as const) {
    if (card.labels[language].length !== card.config.numClasses) {
      throw new Error(`Model card ${source}: labels.${language} has ${card.labels[language].length} names `
        + `but the model has ${card.config.numClasses} classes`);
    }
  }
  return card;
}

export function validatePreprocessing(spec: PreprocessingSpec, config: CoAtNetConfig, source: string): void {
  const channelCount = spec.channels === 'grayscale' ? 1 : 3;
  const problems: string[] = [];
  if (spec.size?.[0] !== config.imageSize[0] || spec.size?.[1] !== config.imageSize[1]) {
    problems.push(`preprocessing.size ${JSON.stringify(spec.size)} differs from config.imageSize ${JSON.stringify(config.imageSize)}`);
  }
  if (channelCount !== config.inChannels) {
    problems.push(`preprocessing.channels "${spec.channels}" gives ${channelCount} channels but the model takes ${config.inChannels}`);
  }
  if (spec.channels !== 'grayscale' && spec.channels !== 'rgb') {
    problems.push(`preprocessing.channels "${spec.channels}" is invalid: use grayscale or rgb`);
  }
  if (spec.interpolation !== 'bilinear') {
    problems.push(`preprocessing.interpolation "${spec.interpolation}" is invalid: only bilinear is supported`);
  }
  if (!(Number.isFinite(spec.scale) && spec.scale > 0)) {
    problems.push(`preprocessing.scale ${spec.scale} is invalid: use a positive number such as 1/255 = 0.00392156862745098`);
  }
  if (!['stretch', 'center-crop', 'letterbox'].includes(spec.resize)) {
    problems.push(`preprocessing.resize "${spec.resize}" is invalid: use stretch, center-crop or letterbox`);
  }
  if (spec.mean?.length !== channelCount || spec.std?.length !== channelCount) {
    problems.push(`preprocessing.mean and std need ${channelCount} value(s) each`);
  }
  if (spec.std?.some((value) => !(value > 0))) {
    problems.push(`preprocessing.std ${JSON.stringify(spec.std)} must be positive`);
  }
  if (problems.length > 0) {
    throw new Error(`Model card ${source} is invalid:\n- ${problems.join('\n- ')}`);
  }
}
