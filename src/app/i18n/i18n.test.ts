import { describe, expect, it } from 'vitest';

import { en } from './en';
import { detectLanguage } from './index';
import { ja } from './ja';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') entries.set(path, value);
    else for (const [nested, text] of flatten(value, path)) entries.set(nested, text);
  }
  return entries;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]).sort();
}

describe('translations', () => {
  const english = flatten(en);
  const japanese = flatten(ja as Tree);

  it('have the same keys in both languages', () => {
    expect([...japanese.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it('use the same placeholders in both languages', () => {
    for (const [key, text] of english) {
      expect(placeholders(japanese.get(key) ?? ''), key).toEqual(placeholders(text));
    }
  });

  it('have no empty text', () => {
    for (const [key, text] of [...english, ...japanese]) {
      expect(text.trim().length, key).toBeGreaterThan(0);
    }
  });
});

describe('detectLanguage', () => {
  it.each([
    [null, 'ja', 'ja'],
    [null, 'ja-JP', 'ja'],
    [null, 'JA-jp', 'ja'],
    [null, 'en-US', 'en'],
    [null, 'fr-FR', 'en'],
    [null, undefined, 'en'],
    ['en', 'ja-JP', 'en'],
    ['ja', 'en-US', 'ja'],
  ] as const)('stored %s, browser %s -> %s', (stored, browser, expected) => {
    expect(detectLanguage(stored, browser)).toBe(expected);
  });
});
