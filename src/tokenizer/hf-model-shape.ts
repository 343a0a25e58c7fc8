type JsonObject = Record<string, unknown>;

/** The fields each tokenizer.json model type needs, and the JSON shape of each. */
const REQUIRED: Record<string, Array<[field: string, shape: 'object' | 'array']>> = {
  BPE: [
    ['vocab', 'object'],
    ['merges', 'array'],
  ],
  WordPiece: [['vocab', 'object']],
  Unigram: [['vocab', 'array']],
};

function shapeOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * What is wrong with a tokenizer.json's `model` section, or undefined: a missing section or a
 * typed model without the fields it needs (the tokenizers library would fail inside with
 * "Cannot read properties of undefined"). Untyped and other models are left to the library.
 */
export function hfModelProblem(json: JsonObject): string | undefined {
  const model = json.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return `"model" is ${shapeOf(model)}; expected the tokenizer model object ({"type": "BPE", "vocab": {...}, "merges": [...]}, or WordPiece / Unigram)`;
  const type = (model as JsonObject).type;
  const fields = typeof type === 'string' ? REQUIRED[type] : undefined;
  if (fields === undefined) return undefined;
  for (const [field, shape] of fields) {
    const value = (model as JsonObject)[field];
    const ok = shape === 'array' ? Array.isArray(value) : value !== null && typeof value === 'object' && !Array.isArray(value);
    if (!ok) return `"model.${field}" is ${shapeOf(value)}; a ${type} model needs its ${field} as ${shape === 'array' ? 'an array' : 'an object'}`;
  }
  return undefined;
}
