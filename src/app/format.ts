// Locale-aware number formatting for probabilities, counts and sizes.

import type { ModelCard } from '../model/modelCard';
import type { Language } from './i18n';

/** Probabilities under this are shown as "<0.1%" rather than a misleading "0.0%". */
const SMALLEST_SHOWN_PROBABILITY = 0.001;

export function formatProbability(probability: number, language: Language): string {
  const format = new Intl.NumberFormat(language, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  if (probability > 0 && probability < SMALLEST_SHOWN_PROBABILITY) {
    return `<${format.format(SMALLEST_SHOWN_PROBABILITY)}`;
  }
  return format.format(probability);
}

export function formatAccuracy(accuracy: number, language: Language): string {
  return new Intl.NumberFormat(language, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(accuracy);
}

export function formatInteger(value: number, language: Language): string {
  return new Intl.NumberFormat(language, { maximumFractionDigits: 0 }).format(value);
}

/** Format milliseconds with one decimal. */
export function formatMilliseconds(ms: number): string {
  return ms.toFixed(1);
}

export function formatDecimal(value: number, language: Language, fractionDigits = 1): string {
  return new Intl.NumberFormat(language, { maximumFractionDigits: fractionDigits }).format(value);
}

/** Look up the class name in the UI language, or show the index when the card lacks it. */
export function classLabel(card: ModelCard | null, index: number, language: Language): string {
  return card?.labels[language][index] ?? `#${index}`;
}
