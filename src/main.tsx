import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './app/components/App';
import { initI18n } from './app/i18n';
import './app/styles.css';

initI18n();

const container = document.getElementById('root');
if (!container) {
  throw new Error('index.html has no <div id="root">: the app has nowhere to render');
}

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
