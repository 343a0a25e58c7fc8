import * as v8 from 'v8';

/** The V8 flag Floe turns off while ranks train (see {@link DistributedConfig.allocationSitePretenuring}). */
export const PRETENURING_FLAG = 'allocation-site-pretenuring';

/** Where the guard reads Node's own flags and sets V8's; tests pass their own. */
export interface PretenuringHost {
  /** Node's command-line flags (`process.execArgv`). */
  execArgv: readonly string[];
  /** `NODE_OPTIONS`, which Node also applies. */
  nodeOptions: string | undefined;
  /** `v8.setFlagsFromString`. */
  setFlags: (flag: string) => void;
}

const processHost = (): PretenuringHost => ({
  execArgv: process.execArgv,
  nodeOptions: process.env.NODE_OPTIONS,
  setFlags: (flag) => v8.setFlagsFromString(flag),
});

// Jobs that may overlap in one process (tests, embedders) share one process-wide V8 flag: it stays
// off until the last of them ends.
let holders = 0;

/**
 * Runs `body` with V8's allocation-site pretenuring off, then turns it back on. A scavenge that
 * lands mid-step finds nearly every tensor handle and tape entry of that step alive; V8 then
 * allocates those sites' objects straight into old space, where they die and cost major GCs. With
 * the cores shared by ranks, that GC work takes CPU from training. Does nothing when `enabled`, or
 * when Node was given the flag either way (the user's choice wins). Worker threads started inside
 * `body` see the flag, as V8 flags are per process.
 */
export async function withoutPretenuring<T>(enabled: boolean, body: () => Promise<T>, host: PretenuringHost = processHost()): Promise<T> {
  if (enabled || nodeSetsFlag(host)) return body();
  if (holders++ === 0) host.setFlags(`--no-${PRETENURING_FLAG}`);
  try {
    return await body();
  } finally {
    if (--holders === 0) host.setFlags(`--${PRETENURING_FLAG}`);
  }
}

/** Whether Node's command line or NODE_OPTIONS names the flag (on or off; `_` and `-` are the same to V8). */
function nodeSetsFlag(host: PretenuringHost): boolean {
  const args = [...host.execArgv, ...(host.nodeOptions ?? '').split(/\s+/)];
  return args.some((arg) => /^--(no[-_])?allocation[-_]site[-_]pretenuring(=|$)/.test(arg));
}
