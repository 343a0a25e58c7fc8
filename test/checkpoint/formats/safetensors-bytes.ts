/** Builds a safetensors file by hand: u64 LE header length, the header text as given, the data. */
export function buildSafetensors(headerJson: string, data: number[] | Uint8Array): Uint8Array {
  const header = Buffer.from(headerJson, 'utf8');
  const out = Buffer.alloc(8 + header.length + data.length);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  header.copy(out, 8);
  Buffer.from(data).copy(out, 8 + header.length);
  return new Uint8Array(out);
}

/** Little-endian bytes of float32 values, built with Buffer (independent of the code under test). */
export function f32le(...values: number[]): number[] {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return [...b];
}

/** Little-endian bytes of int32 values. */
export function i32le(...values: number[]): number[] {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
  return [...b];
}
