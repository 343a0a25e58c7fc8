import { promises as fs } from 'fs';
import { FloeError } from '../../errors';

/**
 * Appends chunks to an open file strictly in call order, even when callers do not await each
 * write (a logger firing from several hooks). Each `append` settles with its own write's outcome.
 */
export class AppendQueue {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly file: string,
  ) {}

  /** Queues `data` after every earlier append. */
  append(data: Uint8Array | string): Promise<void> {
    if (this.closed) return Promise.reject(new FloeError(`Cannot write to '${this.file}': writer is closed.`));
    const write = this.tail.then(async () => {
      await this.handle.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    });
    // A failed write must not block later ones; its caller sees the error through `write`.
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every queued append has reached the OS (visible to other readers). */
  flush(): Promise<void> {
    return this.tail;
  }

  /** Flushes, fsyncs and closes the file. Further appends reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    try {
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}
