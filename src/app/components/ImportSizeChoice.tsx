// The input-size question for weights that do not fix it: the usual sizes, or another multiple of 32.

import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { invalidImageSide, MAX_IMAGE_SIDE } from '../importCard';
import { setImportImageSize, type PendingImport } from '../importStore';

function sameSize(a: readonly number[] | null, b: readonly number[]): boolean {
  return a !== null && a[0] === b[0] && a[1] === b[1];
}

function CustomSize({ onChange }: { onChange: (size: [number, number] | null) => void }) {
  const { t } = useTranslation();
  const [height, setHeight] = useState('');
  const [width, setWidth] = useState('');
  const size: [number, number] = [Number(height), Number(width)];
  const typed = height !== '' && width !== '';
  const invalid = typed && invalidImageSide(size) !== null;

  const update = (nextHeight: string, nextWidth: string) => {
    setHeight(nextHeight);
    setWidth(nextWidth);
    const next: [number, number] = [Number(nextHeight), Number(nextWidth)];
    const valid = nextHeight !== '' && nextWidth !== '' && invalidImageSide(next) === null;
    onChange(valid ? next : null);
  };

  return (
    <div className="import-size__custom">
      <label>
        {t('import.size.height')}
        <input
          type="number" min={32} max={MAX_IMAGE_SIDE} step={32} value={height} data-testid="import-size-height"
          aria-invalid={invalid} onChange={(event) => update(event.target.value, width)}
        />
      </label>
      <label>
        {t('import.size.width')}
        <input
          type="number" min={32} max={MAX_IMAGE_SIDE} step={32} value={width} data-testid="import-size-width"
          aria-invalid={invalid} onChange={(event) => update(height, event.target.value)}
        />
      </label>
    </div>
  );
}

export function ImportSizeChoice({ pending }: { pending: PendingImport }) {
  const { t } = useTranslation();
  const { suggestedSizes, imageSizeSource } = pending.imported.architecture;
  const [custom, setCustom] = useState(false);
  const chosen = pending.imageSize;
  const invalidCustom = custom && chosen === null;

  const chooseSuggested = (size: [number, number]) => {
    setCustom(false);
    setImportImageSize(size);
  };

  const chooseCustom = () => {
    setCustom(true);
    setImportImageSize(null);
  };

  return (
    <fieldset className="import-size" data-testid="import-size">
      <legend>{t('import.size.heading')}</legend>
      <p>{imageSizeSource === 'unknown' && pending.imported.architecture.blockTypes.includes('T')
        ? t('import.size.promptNonSquare') : t('import.size.prompt')}</p>
      <div className="import-size__options" role="radiogroup">
        {suggestedSizes.map((size) => (
          <label key={`${size[0]}x${size[1]}`} className="import-choice">
            <input
              type="radio" name="import-size" data-testid={`import-size-${size[0]}x${size[1]}`}
              checked={!custom && sameSize(chosen, size)} onChange={() => chooseSuggested(size)}
            />
            {t('import.size.option', { height: size[0], width: size[1] })}
          </label>
        ))}
        <label className="import-choice">
          <input type="radio" name="import-size" data-testid="import-size-custom" checked={custom} onChange={chooseCustom} />
          {t('import.size.custom')}
        </label>
      </div>
      {custom && <CustomSize onChange={setImportImageSize} />}
      <p className={invalidCustom ? 'import-field-error' : 'muted'} data-testid="import-size-rule">
        {t('import.size.rule', { max: MAX_IMAGE_SIDE })}
      </p>
    </fieldset>
  );
}
