// Translated text for an AppError, with numbers converted to the units the messages use.

import type { TFunction } from 'i18next';

import type { AppError } from './appError';
import { formatDecimal } from './format';
import type { Language } from './i18n';

const BYTES_PER_MEGABYTE = 1024 * 1024;
const PIXELS_PER_MEGAPIXEL = 1_000_000;

function tooLargeMessage(t: TFunction, error: AppError, language: Language): string {
  const divisor = error.params.limit === 'pixels' ? PIXELS_PER_MEGAPIXEL : BYTES_PER_MEGABYTE;
  const toUnit = (value: string | number | undefined) => formatDecimal(Number(value ?? 0) / divisor, language);
  const options = { name: error.params.name, actual: toUnit(error.params.actual), maximum: toUnit(error.params.maximum) };
  return error.params.limit === 'pixels' ? t('errors.too-large_pixels', options) : t('errors.too-large_bytes', options);
}

export function errorMessage(t: TFunction, error: AppError, language: Language): string {
  if (error.code === 'too-large') return tooLargeMessage(t, error, language);
  return t(`errors.${error.code}`, error.params);
}
