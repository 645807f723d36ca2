import { useTranslation } from 'react-i18next';

import { sampleImageUrl } from '../assets';
import { classLabel } from '../format';
import { currentLanguage } from '../i18n';
import type { SampleEntry } from '../samples';
import { openSample, selectCard, selectImage, selectSamples, selectUsesBundledModel, useAppStore } from '../store';

function SampleButton({ entry, selected }: { entry: SampleEntry; selected: boolean }) {
  const { t, i18n } = useTranslation();
  const card = useAppStore(selectCard);
  const usesBundledModel = useAppStore(selectUsesBundledModel);
  const url = sampleImageUrl(entry.file);

  // Class names come from the bundled model's card; an imported model's classes are different ones.
  const label = card && usesBundledModel ? classLabel(card, entry.label, currentLanguage(i18n.language)) : `#${entry.label}`;

  return (
    <li>
      <button
        type="button"
        className={selected ? 'sample is-selected' : 'sample'}
        data-testid="sample-button"
        data-label={entry.label}
        data-file={entry.file}
        aria-pressed={selected}
        title={label}
        aria-label={t('samples.buttonLabel', { testIndex: entry.testIndex, label })}
        onClick={() => void openSample(entry, url)}
      >
        <img src={url} alt="" width={56} height={56} />
      </button>
    </li>
  );
}

export function SampleGallery() {
  const { t } = useTranslation();
  const samples = useAppStore(selectSamples);
  const image = useAppStore(selectImage);

  return (
    <section className="samples" aria-labelledby="samples-heading">
      <h3 id="samples-heading">{t('samples.heading')}</h3>
      {samples.status === 'loading' && <p className="muted">{t('samples.loading')}</p>}
      {samples.status === 'error' && <p className="muted" title={samples.detail}>{t('samples.unavailable')}</p>}
      {samples.status === 'ready' && (
        <ul className="samples__grid">
          {samples.entries.map((entry) => (
            <SampleButton
              key={entry.file}
              entry={entry}
              selected={image?.fileName === entry.file && image.trueLabel === entry.label}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
