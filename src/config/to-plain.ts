import { Percent } from './human-number';

/**
 * Config instances back to plain data (for recipe.resolved.yaml and checkpoints): Percent →
 * `'10%'`, undefined fields dropped, class instances → plain objects.
 */
export function toPlainConfig(value: unknown): unknown {
  if (value instanceof Percent) return value.toString();
  if (Array.isArray(value)) return value.map(toPlainConfig);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlainConfig(v);
    return out;
  }
  return value;
}
