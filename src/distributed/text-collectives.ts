import type { Communicator } from './communicator';

/** Broadcasts a string from `root` (UTF-16 code units carried exactly as floats). */
export async function broadcastText(comm: Communicator, text: string, root: number): Promise<string> {
  const length = await comm.broadcast(Float32Array.of(comm.rank === root ? text.length : 0), root);
  const codes = new Float32Array(length[0]);
  if (comm.rank === root) for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  await comm.broadcast(codes, root);
  let out = '';
  for (let i = 0; i < codes.length; i++) out += String.fromCharCode(codes[i]);
  return out;
}
