import { SourceLocation } from '../errors';
import { isAtOrUnder, parentPath } from './config-path';

/**
 * Where each value and key of a composed recipe came from. Paths are dotted config paths
 * (`optimizer.lr`, `data.sources[0].path`). Composition and overrides merge maps so that each
 * path points at the file that set it last.
 */
export class SourceMap {
  /** Location of each value, by config path. */
  readonly values = new Map<string, SourceLocation>();
  /** Location of each key, by config path (for unknown-key errors). */
  readonly keys = new Map<string, SourceLocation>();

  /** Location of the value at `path`, or of the nearest ancestor that has one. */
  locate(path: string): SourceLocation | undefined {
    for (let p = path; ; p = parentPath(p)) {
      const loc = this.values.get(p);
      if (loc !== undefined) return p === path ? this.withOverridesUnder(path, loc) : loc;
      if (p === '') return undefined;
    }
  }

  /**
   * A value written in a file whose items a `--set` changed (`--set model.hidden[0]=-3` on the
   * file's `hidden: [32, 32]`) is validated whole: its location names those overrides too, or the
   * reader looks at the file and finds no -3 there.
   */
  private withOverridesUnder(path: string, loc: SourceLocation): SourceLocation {
    if (loc.line === 0) return loc;
    const changedBy = [...this.values].filter(([k, v]) => k !== path && v.line === 0 && isAtOrUnder(k, path)).map(([, v]) => v.file);
    return changedBy.length === 0 ? loc : { ...loc, changedBy: [...new Set(changedBy)] };
  }

  /**
   * Location of the value at `path`, or of its nearest ancestor short of the whole recipe: for
   * problems found after validation, which may name a setting the recipe left at its default.
   */
  locateSetting(path: string): SourceLocation | undefined {
    for (let p = path; p !== ''; p = parentPath(p)) {
      const loc = this.values.get(p);
      if (loc !== undefined) return loc;
    }
    return undefined;
  }

  /** Location of the key at `path` (for unknown-key errors), falling back to the value. */
  locateKey(path: string): SourceLocation | undefined {
    return this.keys.get(path) ?? this.locate(path);
  }

  /** Copies every entry of `other` over this map's entries (the other wins). */
  mergeFrom(other: SourceMap): void {
    for (const [k, v] of other.values) this.values.set(k, v);
    for (const [k, v] of other.keys) this.keys.set(k, v);
  }

  /** Drops entries at or under `path` (before a non-mergeable value replaces it). */
  clearUnder(path: string): void {
    for (const map of [this.values, this.keys]) {
      for (const k of [...map.keys()]) {
        if (isAtOrUnder(k, path)) map.delete(k);
      }
    }
  }
}
