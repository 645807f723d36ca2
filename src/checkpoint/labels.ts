// Class-name files that come with a checkpoint: text with one name per line, a JSON list,
// or a JSON map from class index to name (also as "id2label" in a Hugging Face config.json).

import { CheckpointError } from './errors';

function invalidLabels(fileName: string, reason: string): CheckpointError {
  return new CheckpointError('invalid-labels', `Labels file ${fileName} is invalid: ${reason}. Use a .txt file with `
    + 'one class name per line in class-index order, a JSON list of names, or a JSON object such as {"0": "cat", "1": "dog"}.');
}

function parseTextLines(text: string, fileName: string): string[] {
  const lines = text.split(/\r\n|\n|\r/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blank = lines.indexOf('');
  if (blank >= 0) throw invalidLabels(fileName, `line ${blank + 1} is blank, and every class needs a name`);
  return lines;
}

function checkName(value: unknown, where: string, fileName: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidLabels(fileName, `${where} is ${JSON.stringify(value)}, not a non-empty string`);
  }
  return value.trim();
}

function parseIndexMap(map: Record<string, unknown>, fileName: string): string[] {
  const labels: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) throw invalidLabels(fileName, `key "${key}" is not a class index (0, 1, 2, ...)`);
    labels[Number(key)] = checkName(value, `the name of class ${key}`, fileName);
  }
  for (let index = 0; index < labels.length; index += 1) {
    if (labels[index] === undefined) throw invalidLabels(fileName, `class ${index} has no name, but class ${labels.length - 1} has one`);
  }
  return labels;
}

function parseJson(text: string, fileName: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidLabels(fileName, `it is not valid JSON (${(error as Error).message})`);
  }
  if (Array.isArray(json)) return json.map((value, index) => checkName(value, `entry ${index}`, fileName));
  if (typeof json === 'object' && json !== null) {
    const object = json as Record<string, unknown>;
    const map = typeof object.id2label === 'object' && object.id2label !== null ? object.id2label as Record<string, unknown> : object;
    return parseIndexMap(map, fileName);
  }
  throw invalidLabels(fileName, `its JSON is a ${typeof json}, not a list or an object`);
}

/**
 * Parse a labels file into class names in class-index order. `.json` files, and files without
 * a .txt extension that start with "[" or "{", are read as JSON. Everything else is read as one
 * name per line, and blank trailing lines are ignored.
 */
export function parseLabelsFile(text: string, fileName: string): string[] {
  const content = text.replace(/^\uFEFF/, '');
  const trimmed = content.trim();
  const isJson = /\.json$/i.test(fileName)
    || (!/\.txt$/i.test(fileName) && (trimmed.startsWith('[') || trimmed.startsWith('{')));
  const labels = isJson ? parseJson(content, fileName) : parseTextLines(content, fileName);
  if (labels.length === 0) throw invalidLabels(fileName, 'it contains no class names');
  return labels;
}

/** Throw unless there is exactly one label per class; the message names both numbers. */
export function checkLabelCount(labels: readonly string[], numClasses: number, fileName = 'The labels file'): void {
  if (labels.length !== numClasses) {
    throw new CheckpointError('label-count', `${fileName} has ${labels.length} class names but the model has `
      + `${numClasses} classes (rows of fc.weight). Give exactly one name per class, in class-index order.`);
  }
}
