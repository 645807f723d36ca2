import { useTranslation } from 'react-i18next';

import { changeLanguage, currentLanguage, type Language } from '../i18n';

/** Each language is named in itself, so a reader of either can find theirs. */
const LANGUAGE_NAMES: Record<Language, string> = { en: 'EN', ja: '日本語' };

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const active = currentLanguage(i18n.language);

  return (
    <div className="language-switch" role="group" aria-label={t('language.label')} data-testid="language-switch">
      {(Object.keys(LANGUAGE_NAMES) as Language[]).map((language) => (
        <button
          key={language}
          type="button"
          lang={language}
          data-language={language}
          aria-pressed={language === active}
          className={language === active ? 'is-active' : undefined}
          onClick={() => changeLanguage(language)}
        >
          {LANGUAGE_NAMES[language]}
        </button>
      ))}
    </div>
  );
}
