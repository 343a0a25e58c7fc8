import { runCli } from '../../src/cli/main';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `floe <argv...>` in this process, capturing stdout and stderr lines. */
export async function cli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}
