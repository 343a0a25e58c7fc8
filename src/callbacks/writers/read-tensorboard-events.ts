import { promises as fs } from 'fs';
import { FloeError } from '../../errors';
import { decodeTfRecords } from './tfrecord-codec';
import { TensorBoardEvent, decodeTensorBoardEvent } from './tensorboard-event-codec';

/** Options of {@link readTensorBoardEvents}. */
export interface ReadTensorBoardEventsOptions {
  /** Throw on an incomplete last record instead of ignoring it (default false: a live run may be mid-write). */
  strict?: boolean;
}

/**
 * Reads every event of a TensorBoard event file (checksums verified), e.g. for `floe report`.
 * @throws FloeError naming the file and record on corruption.
 */
export async function readTensorBoardEvents(file: string, options: ReadTensorBoardEventsOptions = {}): Promise<TensorBoardEvent[]> {
  const bytes = await fs.readFile(file);
  const records = decodeTfRecords(bytes, file, { allowTruncatedTail: options.strict !== true });
  return records.map((record, i) => {
    try {
      return decodeTensorBoardEvent(record);
    } catch (err) {
      throw new FloeError(`Invalid TensorBoard event in '${file}' (record ${i}): ${(err as Error).message}`, { cause: err });
    }
  });
}
