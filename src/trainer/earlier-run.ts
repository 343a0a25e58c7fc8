import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CheckpointFolder } from '../checkpoint/checkpoint-folders';
import { findCheckpoints } from '../checkpoint/find-checkpoints';
import { ConfigError } from '../errors';
import { supersededFileOf } from '../callbacks/writers/supersede-records';
import { defaultMetricSources, type MetricSources } from '../report/metric-sources';
import { processExists } from '../report/run-liveness';
import { readStatusFile } from '../callbacks/writers/status-file-writer';

/** Files of the run folder that a run writes (besides its checkpoint folders and TensorBoard events). */
const RUN_FILES = ['metrics.jsonl', 'metrics.superseded.jsonl', 'status.json', 'recipe.resolved.yaml', 'report.html', ...['loss', 'lr', 'grad-norm', 'eval'].flatMap((n) => [`${n}.svg`, `${n}.png`])];

/** What a run folder holds of an earlier run: its newest checkpoint, logged metrics and status. */
export interface EarlierRun {
  /** Step folders with a manifest, over every engine folder. */
  checkpoints: string[];
  /** True when metrics.jsonl has content. */
  metrics: boolean;
  /** status.json's state and step, when it has a step past 0. */
  status?: { state: string; step: number };
}

/**
 * The earlier run `outputDir` holds, or undefined when it holds none (missing, empty, or a run
 * that failed before its first step: nothing to mix with).
 */
export async function findEarlierRun(outputDir: string, folders: readonly CheckpointFolder[], sources: MetricSources = defaultMetricSources(outputDir)): Promise<EarlierRun | undefined> {
  const checkpoints = (await Promise.all(folders.map((f) => findCheckpoints(f.dir)))).flat().map((c) => c.dir);
  const size = await fileSize(sources.metricsFile);
  // No status file, or not JSON: not evidence of a run.
  const parsed = await readStatusFile(sources.statusFile);
  const status: EarlierRun['status'] = typeof parsed?.step === 'number' && parsed.step > 0 ? { state: String(parsed.state), step: parsed.step } : undefined;
  if (checkpoints.length === 0 && size === 0 && status === undefined) return undefined;
  return { checkpoints, metrics: size > 0, status };
}

/** A run still training in a folder, from its status file. */
export interface LiveRun {
  /** Its process id (on this host). */
  pid: number;
  /** Step its status last recorded. */
  step: number;
  /** The status file it keeps. */
  statusFile: string;
}

/**
 * The run whose status file says `running` from a process of this host that is still alive (not
 * this one), or undefined. Two runs in one folder would overwrite each other's checkpoints.
 */
export async function findLiveRun(statusFile: string): Promise<LiveRun | undefined> {
  const parsed = await readStatusFile(statusFile);
  if (parsed === undefined) return undefined;
  const { state, pid, host, step } = parsed;
  if (state !== 'running' || typeof pid !== 'number' || host !== os.hostname() || pid === process.pid) return undefined;
  // Gone: a killed run leaves `running` behind.
  if (!processExists(pid)) return undefined;
  // A restarted container reuses pids: on Linux, a process that is not Node is not that run.
  const command = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (command !== undefined && !/node|floe/i.test(command)) return undefined;
  return { pid, step: typeof step === 'number' ? step : 0, statusFile };
}

/** The error for a run started in a folder another live run is training in. */
export function liveRunError(outputDir: string, live: LiveRun): ConfigError {
  const shown = path.relative(process.cwd(), outputDir) || outputDir;
  return new ConfigError([
    {
      path: 'outputDir',
      message: `${shown} is in use: a run is training there now (process ${live.pid} on this host, at step ${live.step} according to ${live.statusFile}); two runs in one folder would overwrite each other's checkpoints and metrics`,
      hint: `Wait for it to finish or stop it (kill ${live.pid}; it saves a checkpoint), then resume; or choose another folder with --set outputDir=.... If process ${live.pid} is no Floe run, delete ${live.statusFile}.`,
    },
  ]);
}

function fileSize(file: string): Promise<number> {
  return fs.stat(file).then((s) => (s.isFile() ? s.size : 0), () => 0);
}

/** What an earlier run left: `status finished at step 12`, `1 checkpoint (newest step-000012)`, `metrics.jsonl`. */
function earlierRunParts(earlier: EarlierRun): string[] {
  return [
    earlier.status === undefined ? undefined : `status ${earlier.status.state} at step ${earlier.status.step}`,
    earlier.checkpoints.length === 0 ? undefined : `${earlier.checkpoints.length} checkpoint${earlier.checkpoints.length === 1 ? '' : 's'} (newest ${path.basename([...earlier.checkpoints].sort().at(-1) as string)})`,
    earlier.metrics ? 'metrics.jsonl' : undefined,
  ].filter((s): s is string => s !== undefined);
}

/** The line a run that started over prints: what overwriteOutputDir deleted, and where. */
export function clearedEarlierRunNote(outputDir: string, earlier: EarlierRun): string {
  const shown = path.relative(process.cwd(), outputDir) || outputDir;
  return `overwriteOutputDir: deleted the earlier run in ${shown} (${earlierRunParts(earlier).join(', ')}) to start over`;
}

/**
 * Refuses to start a fresh run in a folder that holds an earlier one: its metrics would be
 * appended to, and `--resume <run folder>`, export and pruning would mix the two runs' checkpoints.
 * `resuming` names the checkpoint of another run folder being resumed there, if that is the case.
 */
export function earlierRunError(outputDir: string, earlier: EarlierRun, resuming?: string): ConfigError {
  const shown = path.relative(process.cwd(), outputDir) || outputDir;
  const what = earlierRunParts(earlier);
  return new ConfigError([
    {
      path: 'outputDir',
      message: `${shown} already holds a run (${what.join(', ')}); ${resuming === undefined ? 'a new run' : `resuming ${path.relative(process.cwd(), resuming) || resuming}, a checkpoint of another run folder,`} there would mix with it`,
      // A run that saved no checkpoint cannot be continued: --resume would only fail next.
      hint: `${earlier.checkpoints.length > 0 ? `Continue it with --resume ${shown}, start` : 'It saved no checkpoint to continue from: start'} over in it with --set overwriteOutputDir=true (deletes its checkpoints, metrics and status), or choose another folder with --set outputDir=...`,
    },
  ]);
}

/**
 * Deletes what an earlier run wrote in `outputDir` (see {@link RUN_FILES}, TensorBoard events and
 * the checkpoint folders inside it, and the metrics, status and event files where the recipe's
 * callbacks moved them inside it); other files stay. A checkpoint folder, metrics or status file
 * or TensorBoard folder outside the run folder that holds an earlier run's output is an error:
 * deleting outside the run folder is not this setting's to do.
 */
export async function clearEarlierRun(outputDir: string, folders: readonly CheckpointFolder[], sources: MetricSources = defaultMetricSources(outputDir)): Promise<void> {
  const inside = (p: string): boolean => p.startsWith(`${outputDir}${path.sep}`);
  const outside = (setting: string, p: string, what: string): ConfigError =>
    new ConfigError([{ path: setting, message: `${p} is outside the run folder and holds ${what}: overwriteOutputDir deletes only inside ${outputDir}; remove them yourself or choose a place inside the run folder` }]);
  for (const folder of folders) {
    if (inside(folder.dir)) continue;
    if ((await findCheckpoints(folder.dir)).length > 0) throw outside(folder.path, folder.dir, 'checkpoints');
  }
  const eventFiles = async (dir: string): Promise<string[]> => (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('events.out.tfevents.')).map((n) => path.join(dir, n));
  if (!inside(sources.metricsFile) && (await fileSize(sources.metricsFile)) > 0) throw outside('callbacks (metrics-jsonl file)', sources.metricsFile, 'metrics');
  if (!inside(sources.statusFile) && (await fileSize(sources.statusFile)) > 0) throw outside('callbacks (status file)', sources.statusFile, 'a status');
  const eventsMoved = sources.eventsDir !== outputDir;
  if (eventsMoved && !inside(sources.eventsDir) && (await eventFiles(sources.eventsDir)).length > 0) throw outside('callbacks (tensorboard logDir)', sources.eventsDir, 'TensorBoard event files');
  const names = await fs.readdir(outputDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => RUN_FILES.includes(n) || n.startsWith('events.out.tfevents.'))) await fs.rm(path.join(outputDir, name), { force: true });
  for (const file of [sources.metricsFile, supersededFileOf(sources.metricsFile), sources.statusFile, ...(eventsMoved ? await eventFiles(sources.eventsDir) : [])]) {
    if (inside(file)) await fs.rm(file, { force: true });
  }
  for (const folder of folders) if (inside(folder.dir)) await fs.rm(folder.dir, { recursive: true, force: true });
}
