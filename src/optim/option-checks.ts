import { ConfigError, ConfigIssue } from '../errors';

/** Collects option problems so a bad options object reports all of them at once. */
export class OptionChecks {
  private readonly issues: ConfigIssue[] = [];

  /** Records a problem at `path` unless `ok`. */
  require(ok: boolean, path: string, message: string): this {
    if (!ok) this.issues.push({ path, message });
    return this;
  }

  /** `value` is finite and within [min, max) or [min, max] (`maxInclusive`). */
  inRange(value: number, path: string, range: { min: number; max?: number; maxInclusive?: boolean }): this {
    const max = range.max ?? Infinity;
    const belowMax = range.maxInclusive === true ? value <= max : value < max;
    const shown = range.max === undefined ? `>= ${range.min}` : `in [${range.min}, ${max}${range.maxInclusive === true ? ']' : ')'}`;
    return this.require(Number.isFinite(value) && value >= range.min && belowMax, path, `must be ${shown}, got ${value}`);
  }

  /** Throws a `ConfigError` listing every recorded problem, if any. */
  throwIfAny(header: string): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues, header);
  }
}
