import { mpiLaunch } from '../distributed/distributed-plan';
/** Where the CLI writes; tests capture it. */
export interface CliIo {
  /** Writes one line of stdout (the newline is added). */
  out: (line: string) => void;
  /** Writes one line of stderr (the newline is added). */
  err: (line: string) => void;
  /**
   * Writes text to stdout as it is, without a newline, for output that appears piece by piece
   * (`floe generate`). Optional: without it, commands print the same text as whole lines via `out`.
   */
  write?: (text: string) => void;
}

/** Process stdout/stderr. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
};

/** Exit codes: 0 ok, 1 bad input (recipe, data, checkpoint, flag), 2 internal failure. */
export const EXIT = { ok: 0, badInput: 1, internal: 2 } as const;

/**
 * Under mpirun every rank prints its own errors into one terminal: ranks other than 0 tag each
 * line `[rank N] `, so a problem seen on one host only (a file missing there) says where it was.
 * Their io has no `write` (a piece of a line cannot be tagged), so they print whole lines.
 */
export function rankTaggedIo(io: CliIo, env: NodeJS.ProcessEnv = process.env): CliIo {
  const rank = mpiLaunch(env)?.rank ?? 0;
  if (rank === 0) return io;
  const tag = (line: string): string => line.replace(/^/gm, `[rank ${rank}] `);
  return { out: (line) => io.out(tag(line)), err: (line) => io.err(tag(line)) };
}
