import { DataRecord } from './data-record';
import { DataSource } from './sources/data-source';

/** Records already in memory (one split of the sources), as a source for the tokenizing pipeline. */
export class RecordArraySource implements DataSource {
  constructor(
    private readonly records: readonly DataRecord[],
    /** Identity of these records (source fingerprints + split settings) for the cache key. */
    private readonly identity: unknown,
  ) {}

  /** Yields the records in order. */
  async *[Symbol.asyncIterator](): AsyncIterator<DataRecord> {
    for (const r of this.records) yield r;
  }

  async fingerprint(): Promise<unknown> {
    return this.identity;
  }
}
