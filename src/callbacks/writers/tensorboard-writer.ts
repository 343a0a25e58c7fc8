import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeFolder } from '../../checkpoint/io/make-folder';
import { FloeError } from '../../errors';
import { fsErrorReason } from '../../errors/fs-error-reason';
import { AppendQueue } from './append-queue';
import { encodeTfRecord } from './tfrecord-codec';
import { encodeTensorBoardEvent } from './tensorboard-event-codec';

/** Version string TensorBoard expects in the first record of an event file. */
export const TENSORBOARD_FILE_VERSION = 'brain.Event:2';

/** Options of {@link TensorBoardWriter.create}. */
export interface TensorBoardWriterOptions {
  /** Host name in the file name (default `os.hostname()`). */
  hostname?: string;
  /** Clock in milliseconds since the epoch (default `Date.now`); injectable for tests. */
  now?: () => number;
}

/**
 * Writes TensorBoard scalar summaries to `<logDir>/events.out.tfevents.<unix seconds>.<hostname>`:
 * TFRecord-framed `Event` protos, the first carrying `file_version`. Writes are appended in call
 * order as they come (no timer), so TensorBoard sees them as soon as they are flushed.
 */
export class TensorBoardWriter {
  private constructor(
    /** Path of the event file. */
    readonly file: string,
    private readonly queue: AppendQueue,
    private readonly now: () => number,
  ) {}

  /**
   * Creates the log folder and a new event file in it, and writes the file-version record.
   * @throws FloeError naming the folder and why when it cannot be created (a file in the way, no permission).
   */
  static async create(logDir: string, options: TensorBoardWriterOptions = {}): Promise<TensorBoardWriter> {
    const now = options.now ?? Date.now;
    const hostname = (options.hostname ?? os.hostname()).replace(/[/\\]/g, '_');
    const cannot = (error: unknown): Promise<never> => Promise.reject(new FloeError(`Cannot write TensorBoard events to ${logDir}: ${fsErrorReason(error)}`, { cause: error }));
    // makeFolder, not mkdir -p: Node's recursive mkdir never returns below a folder such as /proc.
    await makeFolder(logDir).catch(cannot);
    const base = path.join(logDir, `events.out.tfevents.${Math.floor(now() / 1000)}.${hostname}`);
    let file = base;
    let handle: fs.FileHandle | undefined;
    // Two writers in the same second on the same host would collide; add a counter rather than clobber.
    for (let n = 1; handle === undefined; n++) {
      try {
        handle = await fs.open(file, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) await cannot(err);
        file = `${base}.${n}`;
      }
    }
    const writer = new TensorBoardWriter(file, new AppendQueue(handle, file), now);
    await writer.writeEvent({ wallTime: now() / 1000, step: 0, fileVersion: TENSORBOARD_FILE_VERSION });
    return writer;
  }

  private writeEvent(event: Parameters<typeof encodeTensorBoardEvent>[0]): Promise<void> {
    return this.queue.append(encodeTfRecord(encodeTensorBoardEvent(event)));
  }

  /** Appends one scalar point. */
  addScalar(tag: string, value: number, step: number): Promise<void> {
    return this.addScalars({ [tag]: value }, step);
  }

  /** Appends several scalars of the same step as one event (e.g. `{ 'train/loss': 2.1, 'train/lr': 3e-4 }`). */
  addScalars(values: Readonly<Record<string, number>>, step: number): Promise<void> {
    const scalars = Object.entries(values).map(([tag, value]) => ({ tag, value }));
    return this.writeEvent({ wallTime: this.now() / 1000, step, scalars });
  }

  /**
   * Marks a resumed run: it writes from `step` on, so TensorBoard drops the points earlier event
   * files of the folder hold at `step` or later (from the run before, past its checkpoint).
   */
  addSessionStart(step: number): Promise<void> {
    return this.writeEvent({ wallTime: this.now() / 1000, step, sessionStart: true });
  }

  /** Resolves once everything written so far is in the file. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Flushes, fsyncs and closes the file. */
  close(): Promise<void> {
    return this.queue.close();
  }
}
