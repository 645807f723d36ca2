// The preprocessing saved with an imported model. Size and color follow from the weights, and
// the user chooses the resize mode and mean/std (a preset or custom values).

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { ResizeMode } from '../../model/modelCard';
import { availablePresets, imageChannelsFor, RESIZE_MODES } from '../importCard';
import {
  setImportNormalization, setImportPreset, setImportResize, type PendingImport,
} from '../importStore';

const CHANNEL_NAMES = {
  grayscale: ['gray'],
  rgb: ['red', 'green', 'blue'],
} as const;

/** Render a text field for a number that keeps what the user types ("0." or "-") until it parses. */
function NumberField({ value, onChange, label, testId, invalid }: {
  value: number; onChange: (value: number) => void; label: string; testId: string; invalid: boolean;
}) {
  const [text, setText] = useState(String(value));

  // A preset replaces the value from outside; show it unless the text already means that value.
  useEffect(() => {
    setText((current) => (Number(current) === value && current.trim() !== '' ? current : String(value)));
  }, [value]);

  return (
    <input
      type="text" inputMode="decimal" value={text} aria-label={label} aria-invalid={invalid} data-testid={testId}
      onChange={(event) => {
        setText(event.target.value);
        onChange(event.target.value.trim() === '' ? Number.NaN : Number(event.target.value));
      }}
    />
  );
}

function NormalizationFields({ pending }: { pending: PendingImport }) {
  const { t } = useTranslation();
  const channels = imageChannelsFor(pending.imported.architecture.inChannels) ?? 'rgb';
  const names = CHANNEL_NAMES[channels];

  return (
    <table className="import-normalization">
      <thead>
        <tr>
          <th scope="col" />
          {names.map((name) => <th key={name} scope="col">{t(`import.preprocessing.channelNames.${name}`)}</th>)}
        </tr>
      </thead>
      <tbody>
        {(['mean', 'std'] as const).map((field) => (
          <tr key={field}>
            <th scope="row">{t(`import.preprocessing.${field}`)}</th>
            {names.map((name, channel) => {
              const value = pending.normalization[field][channel];
              const invalid = !Number.isFinite(value) || (field === 'std' && !(value > 0));
              return (
                <td key={name}>
                  <NumberField
                    value={value} invalid={invalid} testId={`import-${field}-${channel}`}
                    label={`${t(`import.preprocessing.${field}`)} (${t(`import.preprocessing.channelNames.${name}`)})`}
                    onChange={(next) => setImportNormalization(field, channel, next)}
                  />
                  {invalid && (
                    <span className="import-field-error" role="alert">
                      {t(field === 'mean' ? 'import.preprocessing.invalidMean' : 'import.preprocessing.invalidStd',
                        { channel: t(`import.preprocessing.channelNames.${name}`) })}
                    </span>
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ImportPreprocessing({ pending }: { pending: PendingImport }) {
  const { t } = useTranslation();
  const { inChannels } = pending.imported.architecture;
  const channels = imageChannelsFor(inChannels) ?? 'rgb';
  const presets = availablePresets(inChannels);
  const size = pending.imageSize;

  return (
    <fieldset className="import-preprocessing" data-testid="import-preprocessing">
      <legend>{t('import.preprocessing.heading')}</legend>
      <p className="muted">{t('import.preprocessing.saved')}</p>
      <dl className="facts">
        <div>
          <dt>{t('import.preprocessing.size')}</dt>
          <dd data-testid="import-preprocessing-size">
            {size ? t('import.preprocessing.sizeValue', { height: size[0], width: size[1] }) : t('import.found.imageSizeUnknown')}
          </dd>
        </div>
        <div>
          <dt>{t('import.preprocessing.color')}</dt>
          <dd data-testid="import-preprocessing-color" data-channels={channels}>{t(`import.preprocessing.colorValue.${channels}`)}</dd>
        </div>
      </dl>

      <label className="import-field">
        {t('import.preprocessing.resize')}
        <select
          value={pending.resize} data-testid="import-resize"
          onChange={(event) => setImportResize(event.target.value as ResizeMode)}
        >
          {RESIZE_MODES.map((mode) => <option key={mode} value={mode}>{t(`import.preprocessing.resizeModes.${mode}`)}</option>)}
        </select>
      </label>

      <div className="import-field" role="radiogroup" aria-label={t('import.preprocessing.normalization')}>
        <span>{t('import.preprocessing.normalization')}</span>
        {presets.map((preset) => (
          <label key={preset} className="import-choice">
            <input
              type="radio" name="import-preset" data-testid={`import-preset-${preset}`}
              checked={pending.preset === preset} onChange={() => setImportPreset(preset)}
            />
            {t(`import.preprocessing.presets.${preset}`)}
          </label>
        ))}
        {!presets.includes('imagenet') && <p className="muted">{t('import.preprocessing.noImagenet')}</p>}
      </div>
      <NormalizationFields pending={pending} />
    </fieldset>
  );
}
