// Clipboard input: an image pasted anywhere on the page is opened like a chosen file.

import { useEffect } from 'react';

import { openFile } from '../store';

/** Screenshots pasted from the clipboard often arrive without a file name. */
const PASTED_FILE_NAME = 'pasted-image';

/** Pick the first image file in the clipboard, else the first file of any type, else null. */
function pastedFile(data: DataTransfer): File | null {
  const files = Array.from(data.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.getAsFile())
    .filter((file): file is File => file !== null);
  return files.find((file) => file.type.startsWith('image/')) ?? files[0] ?? null;
}

function withName(file: File): File {
  if (file.name) return file;
  return new File([file], PASTED_FILE_NAME, { type: file.type, lastModified: file.lastModified });
}

export function usePasteImage(): void {
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = event.clipboardData ? pastedFile(event.clipboardData) : null;

      // Pasted text is left alone: the page has no text fields it could be meant for.
      if (!file) return;
      event.preventDefault();
      void openFile(withName(file));
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);
}
