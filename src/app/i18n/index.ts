// i18next setup: language detection, persistence of the user's choice and <html lang>.

import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

import { en } from './en';
import { ja } from './ja';

export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'coatnet-browser.language';

export const resources = {
  en: { translation: en },
  ja: { translation: ja },
} as const;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** localStorage throws in some privacy modes and sandboxed frames, where the choice is simply not kept. */
function readStoredLanguage(): Language | null {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return isLanguage(stored) ? stored : null;
  } catch {
    return null;
  }
}

function storeLanguage(language: Language): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // The choice then lasts until the page is closed, which is the best available.
  }
}

/** Pick the stored choice, else Japanese for any ja* browser language, else English. */
export function detectLanguage(stored: Language | null, browserLanguage: string | undefined): Language {
  if (stored) return stored;
  return browserLanguage?.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

function applyToDocument(language: string): void {
  document.documentElement.lang = language;
  document.title = i18n.t('app.title');
}

/** Initialize i18next synchronously (resources are bundled), so the first render is translated. */
export function initI18n(): typeof i18n {
  const language = detectLanguage(readStoredLanguage(), navigator.language);
  void i18n.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: 'en',
    supportedLngs: LANGUAGES,
    initAsync: false,
    // React escapes rendered strings already.
    interpolation: { escapeValue: false },
  });
  i18n.on('languageChanged', applyToDocument);
  applyToDocument(i18n.language);
  return i18n;
}

/** Switch the UI language and remember it for the next visit. */
export function changeLanguage(language: Language): void {
  storeLanguage(language);
  void i18n.changeLanguage(language);
}

/** Narrow an i18next language code to one this app ships, falling back to English. */
export function currentLanguage(language: string): Language {
  return isLanguage(language) ? language : 'en';
}
