/**
 * Protobuf wire types used by the writer and reader.
 * @internal
 */
export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

/**
 * Minimal protobuf encoder: just the field kinds TensorBoard's `Event` needs (varint, int64,
 * double, float, string, bytes, nested messages). Fields are emitted in call order.
  * @internal
 */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  /** Unsigned varint; negative or 64-bit values go through `BigInt` as two's complement. */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.chunks.push(Uint8Array.from(bytes));
    return this;
  }

  /** Field key: `(field << 3) | wireType`. */
  tag(field: number, wire: WireType): this {
    return this.varint((field << 3) | wire);
  }

  /** An `int64`/`int32`/`uint64`/enum field. */
  int64(field: number, value: number | bigint): this {
    return this.tag(field, WireType.Varint).varint(value);
  }

  /** A `double` field (8 bytes little-endian). */
  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.tag(field, WireType.Fixed64).chunks.push(b);
    return this;
  }

  /** A `float` field (4 bytes little-endian). */
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.tag(field, WireType.Fixed32).chunks.push(b);
    return this;
  }

  /** A `bytes` field, or an already-encoded nested message. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited).varint(value.length).chunks.push(value);
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message field, built by `build` on a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** The encoded bytes. */
  finish(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
