// The sample gallery's index file: public/samples/samples.json.

export interface SampleEntry {
  /** File name inside the samples folder. */
  file: string;
  /** True class index. */
  label: number;
  /** Index of the image in the Fashion-MNIST test set. */
  testIndex: number;
}

function isSampleEntry(value: unknown): value is SampleEntry {
  const entry = value as Partial<SampleEntry> | null;
  return typeof entry === 'object' && entry !== null
    && typeof entry.file === 'string' && entry.file.length > 0
    && Number.isInteger(entry.label) && Number.isInteger(entry.testIndex);
}

/** Check the parsed samples.json and return its entries, or throw naming the first invalid one. */
export function parseSampleIndex(json: unknown, source: string): SampleEntry[] {
  if (!Array.isArray(json)) {
    throw new Error(`Sample index ${source} is not a JSON array of {file, label, testIndex} objects`);
  }
  json.forEach((entry, position) => {
    if (!isSampleEntry(entry)) {
      throw new Error(`Sample index ${source}: entry ${position} (${JSON.stringify(entry)}) needs a string "file" `
        + 'and integer "label" and "testIndex"');
    }
  });
  return json as SampleEntry[];
}

export async function fetchSampleIndex(url: string): Promise<SampleEntry[]> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`Fetching ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }
  return parseSampleIndex(await response.json(), url);
}

/** Fetch one sample image as a File, so it goes through the same decoder as user files. */
export async function fetchSampleFile(url: string, name: string): Promise<File> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`Fetching ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }
  const blob = await response.blob();
  return new File([blob], name, { type: blob.type });
}
