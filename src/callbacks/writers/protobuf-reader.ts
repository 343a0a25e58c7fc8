import { FloeError } from '../../errors';
import { WireType } from './protobuf-writer';

/** One decoded field: number, wire type and the raw value for that wire type. */
export interface ProtoField {
  /** Field number. */
  field: number;
  /** Wire type. */
  wire: WireType;
  /** Varint value (wire 0). */
  varint?: bigint;
  /** Fixed 8 (wire 1), fixed 4 (wire 5) or length-delimited (wire 2) payload bytes. */
  bytes?: Uint8Array;
}

/** Minimal protobuf decoder: iterates the fields of one message, skipping nothing silently. */
export class ProtoReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  private fail(what: string): never {
    throw new FloeError(`Malformed protobuf: ${what} at byte ${this.pos}.`);
  }

  /** Reads one unsigned varint (up to 64 bits). */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    return this.fail('varint longer than 10 bytes');
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) this.fail(`field of ${n} bytes runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** All fields of the message, in order. */
  *fields(): Generator<ProtoField> {
    while (this.pos < this.buf.length) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wire = (key & 7) as WireType;
      if (wire === WireType.Varint) yield { field, wire, varint: this.varint() };
      else if (wire === WireType.Fixed64) yield { field, wire, bytes: this.take(8) };
      else if (wire === WireType.Fixed32) yield { field, wire, bytes: this.take(4) };
      else if (wire === WireType.LengthDelimited) yield { field, wire, bytes: this.take(Number(this.varint())) };
      else this.fail(`unsupported wire type ${wire as number}`);
    }
  }
}
