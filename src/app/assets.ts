// URLs of the files that ship under public/, resolved against the page so the build works from any folder.

export function assetUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, document.baseURI).href;
}

export function modelCardUrl(): string {
  return assetUrl('models/fashion-coatnet/model.json');
}

export function sampleIndexUrl(): string {
  return assetUrl('samples/samples.json');
}

export function sampleImageUrl(file: string): string {
  return assetUrl(`samples/${encodeURIComponent(file)}`);
}
