import * as os from 'os';

/** True when process `pid` exists on this machine (EPERM: it does, under another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A status.json that says `running` while its process is gone (killed, crashed, machine
 * rebooted) stays that way forever: returns the status with its `state` saying so, when the
 * file names this host and a pid that no longer exists. Otherwise returns it unchanged (a run on
 * another machine cannot be checked from here).
 */
export function withLiveness(status: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (status === undefined || status.state !== 'running' || status.host !== os.hostname() || typeof status.pid !== 'number') return status;
  if (processExists(status.pid)) return status;
  return { ...status, state: `not running: status.json says running, but its process ${status.pid} is gone (killed or crashed); resume from its last checkpoint` };
}
