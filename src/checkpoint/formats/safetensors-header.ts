import { CheckpointError } from '../../errors';
import { SAFETENSORS_DTYPES, SafetensorsDtype, elementCount, isSafetensorsDtype } from './safetensors-dtype';

/** Key of the free-form string metadata in a safetensors header. */
export const SAFETENSORS_METADATA_KEY = '__metadata__';

/** The spec caps the header at 100 MB; anything bigger is a corrupt length field. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor's entry in a safetensors header. */
export interface SafetensorsEntry {
  /** Tensor name. */
  name: string;
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Dimensions. */
  shape: number[];
  /** Start byte, relative to the data section (just after the header). */
  begin: number;
  /** End byte (exclusive), relative to the data section. */
  end: number;
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** Entries in the order their data appears in the file. */
  entries: SafetensorsEntry[];
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

function isNonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseEntry(name: string, value: unknown, fail: (msg: string) => never): SafetensorsEntry {
  const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`tensor '${name}' is not an object`);
  if (!isSafetensorsDtype(v.dtype)) {
    fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(v.dtype)} (supported: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
  }
  if (!Array.isArray(v.shape) || !v.shape.every(isNonNegativeInt)) fail(`tensor '${name}' has an invalid shape ${JSON.stringify(v.shape)}`);
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt) || offsets[0] > offsets[1]) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const dtype = v.dtype as SafetensorsDtype;
  const shape = v.shape as number[];
  const [begin, end] = offsets as number[];
  const expected = elementCount(shape) * SAFETENSORS_DTYPES[dtype].bytes;
  if (end - begin !== expected) {
    fail(`tensor '${name}' spans ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`);
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(value: unknown, fail: (msg: string) => never): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${SAFETENSORS_METADATA_KEY} is not an object`);
  for (const [k, v] of Object.entries(value as object)) {
    if (typeof v !== 'string') fail(`${SAFETENSORS_METADATA_KEY}.${k} is not a string`);
  }
  return { ...(value as Record<string, string>) };
}

/**
 * Parses and validates a safetensors JSON header: known dtypes, sizes that match dtype × shape,
 * offsets inside the `dataLength`-byte data section and no two tensors sharing bytes.
 *
 * @param source names the file in error messages.
 * @throws CheckpointError naming `source` and the problem.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new CheckpointError(`Invalid safetensors file '${source}': ${msg}.`);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail('header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header is not a JSON object');
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as object)) {
    if (name === SAFETENSORS_METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, fail));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: SafetensorsEntry | undefined;
  for (const entry of entries) {
    if (entry.end > dataLength) {
      fail(`tensor '${entry.name}' data_offsets [${entry.begin}, ${entry.end}] run past the ${dataLength}-byte data section (file truncated?)`);
    }
    if (previous !== undefined && entry.begin < previous.end) {
      fail(`tensors '${previous.name}' and '${entry.name}' overlap (bytes ${entry.begin}..${previous.end})`);
    }
    previous = entry;
  }
  return { entries, metadata };
}
