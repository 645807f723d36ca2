// Mirrors the number of shown classifications into <body data-classify-count>, which end-to-end
// tests wait on.

import { useEffect } from 'react';

import { selectClassifyCount, useAppStore } from '../store';

export function useClassifyCountAttribute(): void {
  const classifyCount = useAppStore(selectClassifyCount);
  useEffect(() => {
    document.body.dataset.classifyCount = String(classifyCount);
  }, [classifyCount]);
}
