// A summary of the model card: name, description, size, accuracy and expected input.

import { useTranslation } from 'react-i18next';

import { formatAccuracy, formatInteger } from '../format';
import { currentLanguage } from '../i18n';
import { selectCard, useAppStore } from '../store';

export function ModelInfo() {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const card = useAppStore(selectCard);
  if (!card) return null;

  const [height, width] = card.preprocessing.size;
  const accuracy = card.testAccuracy === undefined ? null : formatAccuracy(card.testAccuracy, language);

  return (
    <section className="card model-info" aria-labelledby="model-info-heading">
      <h2 id="model-info-heading">{t('info.heading')}</h2>
      <p className="model-info__name">{card.name}</p>
      {card.description && <p className="model-info__description">{card.description[language]}</p>}
      <dl className="facts">
        {card.parameterCount !== undefined && (
          <div>
            <dt>{t('info.parameters')}</dt>
            <dd>{formatInteger(card.parameterCount, language)}</dd>
          </div>
        )}
        {accuracy && (
          <div>
            <dt>{t('info.accuracy')}</dt>
            <dd>
              {card.testImages === undefined
                ? accuracy
                : t('info.accuracyOnImages', { accuracy, count: formatInteger(card.testImages, language) })}
            </dd>
          </div>
        )}
        <div>
          <dt>{t('info.input')}</dt>
          <dd>{t('info.inputValue', { height, width, channels: t(`info.channels.${card.preprocessing.channels}`) })}</dd>
        </div>
        <div>
          <dt>{t('info.classes')}</dt>
          <dd>{card.labels[language].join(language === 'ja' ? '、' : ', ')}</dd>
        </div>
      </dl>
    </section>
  );
}
