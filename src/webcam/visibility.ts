// Page visibility, so the loop stops using the GPU while its tab is hidden.

export type VisibilityTarget = Pick<Document, 'hidden' | 'addEventListener' | 'removeEventListener'>;

/** Call `onChange(hidden)` on every visibility change. Returns a function that removes the listener. */
export function watchVisibility(target: VisibilityTarget, onChange: (hidden: boolean) => void): () => void {
  const listener = () => onChange(target.hidden);
  target.addEventListener('visibilitychange', listener);
  return () => target.removeEventListener('visibilitychange', listener);
}
