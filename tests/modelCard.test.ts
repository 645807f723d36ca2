import { describe, expect, it } from 'vitest';

import { parseModelCard, type ModelCard } from '../src/model/modelCard';

const LABELS_EN = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const LABELS_JA = ['Tシャツ/トップス', 'ズボン', 'プルオーバー', 'ドレス', 'コート', 'サンダル', 'シャツ', 'スニーカー', 'バッグ', 'アンクルブーツ'];

/** Build a plain-JSON card in the format that tools/train_fashion.py writes. */
function validCard(): Record<string, any> {
  return {
    name: 'CoAtNet Fashion-MNIST',
    description: { en: 'Fashion-MNIST garments', ja: 'Fashion-MNIST の衣類' },
    config: {
      imageSize: [64, 64],
      inChannels: 1,
      numBlocks: [1, 1, 2, 2, 1],
      channels: [16, 48, 96, 192, 256],
      numClasses: 10,
      blockTypes: ['C', 'C', 'T', 'T'],
    },
    weights: 'model.safetensors',
    preprocessing: {
      size: [64, 64],
      resize: 'stretch',
      interpolation: 'bilinear',
      channels: 'grayscale',
      scale: 1 / 255,
      mean: [0.286],
      std: [0.353],
    },
    labels: { en: [...LABELS_EN], ja: [...LABELS_JA] },
    parameterCount: 1234,
  };
}

function parseError(card: unknown): string {
  try {
    parseModelCard(card, 'model.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parseModelCard accepted the card');
}

describe('parseModelCard', () => {
  it('accepts a valid card', () => {
    const json = validCard();

    const card: ModelCard = parseModelCard(json, 'model.json');

    expect(card.config.numClasses).toBe(10);
    expect(card.preprocessing.channels).toBe('grayscale');
    expect(card.labels.ja[9]).toBe('アンクルブーツ');
  });

  it('accepts an RGB center-crop card', () => {
    const json = validCard();
    json.config.inChannels = 3;
    json.preprocessing = { ...json.preprocessing, channels: 'rgb', resize: 'center-crop', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

    expect(() => parseModelCard(json, 'model.json')).not.toThrow();
  });

  it('rejects a label count other than numClasses', () => {
    const json = validCard();
    json.labels.en.pop();

    expect(parseError(json)).toBe('Model card model.json: labels.en has 9 names but the model has 10 classes');
  });

  it('rejects extra Japanese labels', () => {
    const json = validCard();
    json.labels.ja.push('余分');

    expect(parseError(json)).toBe('Model card model.json: labels.ja has 11 names but the model has 10 classes');
  });

  it('rejects a size that differs from imageSize', () => {
    const json = validCard();
    json.preprocessing.size = [32, 32];

    expect(parseError(json)).toContain('preprocessing.size [32,32] differs from config.imageSize [64,64]');
  });

  it.each([[[0]], [[-0.5]], [[null]]])('rejects std %j', (std) => {
    const json = validCard();
    json.preprocessing.std = std;

    expect(parseError(json)).toContain(`preprocessing.std ${JSON.stringify(std)} must be positive`);
  });

  it('rejects a std of the wrong length', () => {
    const json = validCard();
    json.preprocessing.std = [0.3, 0.3, 0.3];

    expect(parseError(json)).toContain('preprocessing.mean and std need 1 value(s) each');
  });

  it('rejects RGB preprocessing for a 1-channel model', () => {
    const json = validCard();
    json.preprocessing.channels = 'rgb';

    expect(parseError(json)).toContain('preprocessing.channels "rgb" gives 3 channels but the model takes 1');
  });

  it('rejects an unknown resize mode', () => {
    const json = validCard();
    json.preprocessing.resize = 'fit';

    expect(parseError(json)).toContain('preprocessing.resize "fit" is invalid: use stretch, center-crop or letterbox');
  });

  it('lists every preprocessing problem', () => {
    const json = validCard();
    json.preprocessing.size = [64, 32];
    json.preprocessing.std = [0];
    json.preprocessing.resize = 'crop';

    const lines = parseError(json).split('\n');

    expect(lines[0]).toBe('Model card model.json is invalid:');
    expect(lines).toHaveLength(4);
  });

  it('rejects missing fields', () => {
    const message = parseError({ name: 'x' });

    expect(message).toContain('Model card model.json is invalid:');
    expect(message).toContain('"weights" (file name) is missing');
    expect(message).toContain('"config" is missing');
    expect(message).toContain('"preprocessing" is missing');
    expect(message).toContain('"labels.en" and "labels.ja" are required');
  });

  it('rejects a card that is not an object', () => {
    expect(parseError(null)).toBe('Model card model.json is not a JSON object');
  });

  it('rejects an invalid config', () => {
    const json = validCard();
    json.config.imageSize = [64, 60];

    expect(parseError(json)).toContain('image width 60 is invalid');
  });

  // Without a scale every pixel becomes NaN in preprocess(), so the card must be rejected.
  it('rejects a missing scale', () => {
    const json = validCard();
    delete json.preprocessing.scale;

    expect(parseError(json)).toContain('preprocessing.scale');
  });
});
