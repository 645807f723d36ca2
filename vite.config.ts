import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs, so the built dist/ works from any static host and any subfolder.
  base: './',
  plugins: [react()],
  // Scan both pages up front so every dependency is pre-bundled before the first request.
  // Otherwise Vite re-optimizes on first load and reloads the page under a running test.
  optimizeDeps: {
    entries: ['index.html', 'harness.html'],
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
  },
  build: {
    // TensorFlow.js core with its backends is one chunk of about 1 MB (vite 8.4 build), above
    // Vite's 500 kB default warning. Its own chunk lets browsers keep it cached across app releases.
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'tfjs', test: /node_modules[\\/]@tensorflow/ },
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler|zustand|i18next|react-i18next)[\\/]/ },
          ],
        },
      },
    },
  },
});
