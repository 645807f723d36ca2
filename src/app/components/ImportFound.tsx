// The summary of a read checkpoint: format, location of the weights, dtype conversion and the
// architecture inferred from the weights, with the evidence for the input size.

import { useTranslation } from 'react-i18next';

import type { ImportedCheckpoint } from '../../checkpoint';
import { formatDecimal, formatInteger } from '../format';
import { currentLanguage } from '../i18n';
import { countParameters } from '../importCard';
import type { PendingImport } from '../importStore';

const BYTES_PER_MEGABYTE = 1024 * 1024;

function sizeText(size: readonly [number, number]): string {
  return `${size[0]} × ${size[1]}`;
}

function LayoutFacts({ imported }: { imported: ImportedCheckpoint }) {
  const { t } = useTranslation();
  const { layout } = imported;

  return (
    <>
      <div>
        <dt>{t('import.found.format')}</dt>
        <dd>{t(`import.found.formats.${imported.format}`)}</dd>
      </div>
      <div>
        <dt>{t('import.found.layout')}</dt>
        <dd>
          <span data-testid="import-layout">{t(`import.found.layouts.${layout.kind}`, { key: layout.weightsKey ?? '' })}</span>
          {layout.strippedPrefix !== '' && (
            <span className="import-found__note" data-testid="import-stripped">{t('import.found.stripped', { prefix: layout.strippedPrefix })}</span>
          )}
          {layout.ignoredKeys.length > 0 && (
            <span className="import-found__note">{t('import.found.ignored', { keys: layout.ignoredKeys.join(', ') })}</span>
          )}
          {layout.otherWeightsKeys.length > 0 && (
            <span className="import-found__note">{t('import.found.otherWeights', { keys: layout.otherWeightsKeys.join(', ') })}</span>
          )}
        </dd>
      </div>
    </>
  );
}

function ImageSizeFact({ imported }: { imported: ImportedCheckpoint }) {
  const { t } = useTranslation();
  const { imageSize, imageSizeSource, suggestedSizes } = imported.architecture;

  return (
    <div>
      <dt>{t('import.found.imageSize')}</dt>
      <dd data-testid="import-image-size">
        <span>
          {imageSize === null
            ? t('import.found.imageSizeUnknown')
            : t('import.found.imageSizeValue', { height: imageSize[0], width: imageSize[1] })}
        </span>
        {imageSizeSource !== 'unknown' && (
          <span className="import-found__note" data-testid="import-size-source">
            {t(`import.found.sizeSource.${imageSizeSource}`, { sizes: suggestedSizes.map(sizeText).join(', ') })}
          </span>
        )}
      </dd>
    </div>
  );
}

function ArchitectureFacts({ imported }: { imported: ImportedCheckpoint }) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const { numBlocks, channels, blockTypes, inChannels, numClasses } = imported.architecture;
  const kind = inChannels === 1 ? 'grayscale' : 'rgb';

  return (
    <dl className="facts" data-testid="import-architecture">
      <div>
        <dt>{t('import.found.numBlocks')}</dt>
        <dd data-testid="import-num-blocks">{numBlocks.join(', ')}</dd>
      </div>
      <div>
        <dt>{t('import.found.channels')}</dt>
        <dd data-testid="import-channels">{channels.join(', ')}</dd>
      </div>
      <div>
        <dt>{t('import.found.blockTypes')}</dt>
        <dd data-testid="import-block-types" data-types={blockTypes.join('')}>
          {blockTypes.map((type) => t(`import.found.blockTypeNames.${type}`)).join(', ')}
        </dd>
      </div>
      <div>
        <dt>{t('import.found.inChannels')}</dt>
        <dd data-testid="import-in-channels">
          {inChannels === 1 || inChannels === 3
            ? t('import.found.inChannelsValue', { channels: inChannels, kind: t(`import.found.channelKinds.${kind}`) })
            : inChannels}
        </dd>
      </div>
      <div>
        <dt>{t('import.found.classes')}</dt>
        <dd data-testid="import-classes">{numClasses}</dd>
      </div>
      <div>
        <dt>{t('import.found.parameters')}</dt>
        <dd>{formatInteger(countParameters(imported.tensors), language)}</dd>
      </div>
      <ImageSizeFact imported={imported} />
    </dl>
  );
}

export function ImportFound({ pending }: { pending: PendingImport }) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const { imported } = pending;

  return (
    <div
      className="import-found"
      data-testid="import-found"
      data-layout={imported.layout.kind}
      data-weights-key={imported.layout.weightsKey ?? ''}
      data-stripped-prefix={imported.layout.strippedPrefix}
      data-converted={imported.convertedFrom.join(',')}
    >
      <h3>
        {t('import.found.heading', { name: pending.fileName })}
        <span className="import-found__size">{t('import.found.size', { megabytes: formatDecimal(pending.fileBytes / BYTES_PER_MEGABYTE, language, 2) })}</span>
      </h3>
      <dl className="facts">
        <LayoutFacts imported={imported} />
      </dl>
      {imported.convertedFrom.length > 0 && (
        <p className="notice notice--info" role="note" data-testid="import-converted">
          {t('import.found.converted', { dtypes: imported.convertedFrom.join(', ') })}
        </p>
      )}
      <h3>{t('import.found.architecture')}</h3>
      <ArchitectureFacts imported={imported} />
    </div>
  );
}
