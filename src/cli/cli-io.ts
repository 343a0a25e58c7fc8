/** Where the CLI writes; tests capture it. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Process stdout/stderr. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes: 0 ok, 1 bad input (recipe, data, checkpoint, flag), 2 internal failure. */
export const EXIT = { ok: 0, badInput: 1, internal: 2 } as const;
