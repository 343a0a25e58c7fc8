import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { formatValue, MAX_SAFE_WHOLE, SAFE_WHOLE_LIMIT_TEXT } from './format-value';

/** A count given as a share of some total (`10%` of the training steps or of the dataset). */
export class Percent {
  constructor(
    /** The percentage, 0 to 100. */
    readonly percent: number,
  ) {}
  /** The share of `total`, rounded down, at least 1 when the percentage is positive. */
  of(total: number): number {
    const n = Math.floor((total * this.percent) / 100);
    return this.percent > 0 ? Math.max(1, n) : 0;
  }
  /** `10%`. */
  toString(): string {
    return `${this.percent}%`;
  }
  /** Serialized as written in a recipe: `10%`. */
  toJSON(): string {
    return this.toString();
  }
}

/** A count in a recipe: a number, or a {@link Percent} where the field allows it. */
export type Count = number | Percent;

const SUFFIXES: Record<string, number> = { k: 1e3, K: 1e3, m: 1e6, M: 1e6, b: 1e9, B: 1e9, g: 1e9, G: 1e9, t: 1e12, T: 1e12 };

/**
 * Parses human numbers: `1k` → 1000, `2.5M` → 2500000, `2^10` → 1024, `1e-3`, `1_000`,
 * `10%` → Percent(10). Returns undefined when `text` is not one.
 */
export function parseHumanNumber(text: string): number | Percent | undefined {
  const s = text.trim().replace(/_/g, '');
  if (s === '') return undefined;
  let m = /^([-+]?\d+(?:\.\d+)?)%$/.exec(s);
  if (m !== null) return new Percent(Number(m[1]));
  m = /^(\d+)\^(\d+)$/.exec(s);
  if (m !== null) return Number(m[1]) ** Number(m[2]);
  m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)([kKmMbBgGtT])?$/.exec(s);
  if (m !== null) return Number(m[1]) * (m[2] === undefined ? 1 : SUFFIXES[m[2]]);
  return undefined;
}

/** Resolves a count against the total it is a share of. */
export function resolveCount(value: Count, total: number): number {
  return value instanceof Percent ? value.of(total) : value;
}

/**
 * class-transformer decorator: turns human-number strings into numbers (and `N%` into a
 * {@link Percent}); anything else is left for the validators to reject with a clear message.
 */
export function HumanNumber(): PropertyDecorator {
  return Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const parsed = parseHumanNumber(value);
    return parsed === undefined ? value : parsed;
  });
}

/** Options for {@link IsCount}. */
export interface IsCountOptions {
  /** Smallest allowed value (default 0). */
  min?: number;
  /** Largest allowed value (default: the largest exact whole number, 2^53 − 1). */
  max?: number;
  /** Accept `N%` (resolved against a total at run time). */
  allowPercent?: boolean;
  /** Accept non-integers (for rates written as human numbers). */
  allowFraction?: boolean;
}

/**
 * Validates a count written as a number or human number (and optionally a percentage): finite,
 * at least `min`, at most `max`, and whole (unless `allowFraction`) and exact (at most 2^53 − 1:
 * `2^100` or `99999999999999999999` are not the numbers they look like).
 */
export function IsCount(options: IsCountOptions = {}, validationOptions?: ValidationOptions): PropertyDecorator {
  const min = options.min ?? 0;
  const max = options.max ?? MAX_SAFE_WHOLE;
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCount',
      target: target.constructor,
      propertyName: propertyName as string,
      options: validationOptions,
      constraints: [{ ...options, min, max }],
      validator: {
        validate(value: unknown): boolean {
          if (value instanceof Percent) return options.allowPercent === true && value.percent >= 0 && value.percent <= 100;
          return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (options.allowFraction === true || Number.isInteger(value));
        },
        defaultMessage(args: ValidationArguments): string {
          const kind = options.allowFraction === true ? 'a number' : 'a whole number';
          const got = args.value instanceof Percent ? args.value.toString() : formatValue(args.value);
          if (args.value instanceof Percent) {
            // A percentage is a share of a total: of what, the field says; past 100% it is no share.
            if (options.allowPercent === true) return `${args.property} must be a percentage from 0% to 100%, got ${got}`;
            return `${args.property} takes no percentage (there is no total it would be a share of): give ${kind} ${max === MAX_SAFE_WHOLE ? `>= ${min}` : `from ${min} to ${max}`}, got ${got}`;
          }
          if (typeof args.value === 'number' && args.value > MAX_SAFE_WHOLE) return `${args.property} must be ${kind} no larger than ${SAFE_WHOLE_LIMIT_TEXT}, got ${got}`;
          const range = max === MAX_SAFE_WHOLE ? `>= ${min}` : `from ${min} to ${max}`;
          const forms = `like 100, 1k, 2.5M, 2^10${options.allowPercent === true ? ' or 10%' : ''}`;
          return `${args.property} must be ${kind} ${range} (${forms}), got ${got}`;
        },
      },
    });
  };
}
