// Links that reload the app with another backend tried first (the ?backend= query).

import type { BackendName } from '../model/session';

/** Return the current page's URL with `?backend=` set to `backend`. */
export function backendUrl(backend: BackendName): string {
  const url = new URL(window.location.href);
  url.searchParams.set('backend', backend);
  return url.href;
}
