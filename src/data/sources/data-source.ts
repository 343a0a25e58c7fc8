import { DataRecord } from '../data-record';

/** A stream of records; iterating again starts over and yields the same records. */
export interface DataSource extends AsyncIterable<DataRecord> {
  /**
   * Everything the records depend on (options, file sizes and modification times), as plain
   * JSON. Part of the tokenized-cache key, so editing a data file invalidates the cache.
   */
  fingerprint(): Promise<unknown>;
  /** What the user should hear about the last complete pass (lines skipped), if anything. */
  passNote?(): string | undefined;
  /** What the run log should say at info level about the last pass (documents skipped by design), if anything. */
  passInfo?(): string | undefined;
}
