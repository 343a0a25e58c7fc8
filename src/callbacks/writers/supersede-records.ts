import { promises as fs } from 'fs';
import * as path from 'path';
import { atomicWriteFile } from '../../checkpoint/io';

/** What {@link supersedeRecordsAfter} moved. */
export interface SupersededRecords {
  /** Records moved out. */
  moved: number;
  /** The file they were appended to. */
  file: string;
}

/** `metrics.jsonl` → `metrics.superseded.jsonl` (a name without `.jsonl` gets `.superseded` appended). */
export function supersededFileOf(file: string): string {
  const ext = path.extname(file);
  return ext === '.jsonl' ? `${file.slice(0, -ext.length)}.superseded.jsonl` : `${file}.superseded`;
}

/**
 * A run resumed at optimizer step `step` makes every record its folder's earlier run logged after
 * that step stale: that timeline was abandoned with the steps after its last checkpoint. Moves
 * those lines (records whose `step` is greater) from the JSON Lines `file` to the end of
 * {@link supersededFileOf}, so the file keeps one record per step and one timeline; nothing is
 * deleted. The lines are appended there before the file is replaced (atomically), so a crash in
 * between repeats lines rather than losing them. Lines that are not JSON objects with a numeric
 * `step` stay. Returns undefined when nothing was moved (or the file does not exist).
 */
export async function supersedeRecordsAfter(file: string, step: number): Promise<SupersededRecords | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const keep: string[] = [];
  const moved: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    (stepOf(line) > step ? moved : keep).push(line);
  }
  if (moved.length === 0) return undefined;
  const superseded = supersededFileOf(file);
  const handle = await fs.open(superseded, 'a');
  try {
    await handle.write(`${moved.join('\n')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await atomicWriteFile(file, keep.length === 0 ? '' : `${keep.join('\n')}\n`);
  return { moved: moved.length, file: superseded };
}

function stepOf(line: string): number {
  try {
    const record: unknown = JSON.parse(line);
    const step = typeof record === 'object' && record !== null ? (record as { step?: unknown }).step : undefined;
    return typeof step === 'number' ? step : -Infinity;
  } catch {
    return -Infinity;
  }
}
