import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

import { backendOrderFromQuery } from '../../model/session';
import { modelCardUrl, sampleIndexUrl } from '../assets';
import { useClassifyCountAttribute } from '../hooks/useClassifyCountAttribute';
import { usePasteImage } from '../hooks/usePasteImage';
import { usePreventFileNavigation } from '../hooks/usePreventFileNavigation';
import { restoreActiveModel } from '../libraryStore';
import { startApp } from '../store';
import { installTestHook } from '../testHook';
import { DropZone } from './DropZone';
import { ErrorMessage } from './ErrorMessage';
import { ImportPanel } from './ImportPanel';
import { LanguageSwitch } from './LanguageSwitch';
import { ModelInfo } from './ModelInfo';
import { ModelLibrary } from './ModelLibrary';
import { ModelStatus } from './ModelStatus';
import { PredictionPanel } from './PredictionPanel';
import { SampleGallery } from './SampleGallery';
import { VisualizerPanel } from './VisualizerPanel';
import { WebcamPanel } from './WebcamPanel';

export function App() {
  const { t } = useTranslation();
  usePasteImage();
  usePreventFileNavigation();
  useClassifyCountAttribute();

  // startApp ignores repeated calls, so StrictMode's double effect starts the model once.
  useEffect(() => {
    installTestHook();
    void startApp({
      cardUrl: modelCardUrl(),
      sampleIndexUrl: sampleIndexUrl(),
      backendOrder: backendOrderFromQuery(window.location.search),
    }).then(restoreActiveModel);
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>{t('app.title')}</h1>
          <p className="app-header__subtitle">{t('app.subtitle')}</p>
        </div>
        <LanguageSwitch />
      </header>

      <main className="layout">
        <section className="card input" aria-labelledby="input-heading">
          <h2 id="input-heading">{t('input.heading')}</h2>
          <ErrorMessage />
          <DropZone />
          <SampleGallery />
        </section>

        <div className="side">
          <PredictionPanel />
          <ModelStatus />
          <ModelInfo />
          <ModelLibrary />
        </div>

        <WebcamPanel />

        <ImportPanel />
      </main>

      <VisualizerPanel />

      <footer className="app-footer">{t('app.footer')}</footer>
    </div>
  );
}
