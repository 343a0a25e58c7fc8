/** The format marker and version a Floe JSON file is written with, and the versions this Floe reads. */
export interface FileFormat {
  /** Value of the file's `format` field, e.g. `floe-manifest`. */
  format: string;
  /** The version this Floe writes; it reads this one and every older one. */
  version: number;
}

/** `manifest.json`'s format. */
export const MANIFEST_FORMAT: FileFormat = { format: 'floe-manifest', version: 1 };
/** `trainer-state.json`'s format. */
export const TRAINER_STATE_FORMAT: FileFormat = { format: 'floe-trainer-state', version: 1 };
/** `model-config.json`'s format. */
export const MODEL_CONFIG_FORMAT: FileFormat = { format: 'floe-model-config', version: 1 };

/** The versions `expected` covers, for a message: `version 1`, `versions 1 to 3`. */
function readVersions(expected: FileFormat): string {
  return expected.version === 1 ? 'version 1' : `versions 1 to ${expected.version}`;
}

/**
 * A value of a parsed Floe JSON file for a message: JSON, `undefined`, or a number as read
 * (JSON.parse gives Infinity for 1e400, which JSON would show as null).
 */
export function showJsonValue(x: unknown): string {
  return x === undefined ? 'undefined' : typeof x === 'number' ? String(x) : JSON.stringify(x);
}

/**
 * Problems with the `format` and `version` fields of a parsed Floe JSON file, empty when this Floe
 * reads it. Every Floe so far wrote both fields (since the first commit of each file), so a
 * missing one is damage, not an older file. A version above the one this Floe writes comes from a
 * newer Floe, whose fields may mean something else: it is refused rather than misread.
 */
export function formatProblems(parsed: { format?: unknown; version?: unknown }, expected: FileFormat): string[] {
  if (parsed.format !== expected.format) {
    // Another kind of file (or none): its version says nothing about this format.
    return [`format is ${showJsonValue(parsed.format)}, expected "${expected.format}"${parsed.format === undefined ? ' (every Floe writes it)' : ' (a file of another kind)'}`];
  }
  const v = parsed.version;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > expected.version) {
    return [`version is ${v}: written by a newer Floe (version ${v}); this Floe reads ${readVersions(expected)}. Load it with the newer Floe that wrote it`];
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return [`version is ${showJsonValue(v)}, expected ${readVersions(expected)} (every Floe writes it)`];
  return [];
}
