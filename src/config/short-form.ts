import { plainToInstance } from 'class-transformer';

/**
 * The setting a scalar stands for when a settings field is written in short form
 * (`distributed: threads` is `{ backend: threads }`), found by letting the field's transform
 * expand a probe value; undefined when the field has no short form.
 */
export function shortFormKey(cls: Function, field: string): string | undefined {
  const probe = '__floe_probe__';
  let expanded: unknown;
  try {
    expanded = (plainToInstance(cls as new () => object, { [field]: probe }) as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
  if (typeof expanded !== 'object' || expanded === null) return undefined;
  return Object.entries(expanded).find(([, v]) => v === probe)?.[0];
}
