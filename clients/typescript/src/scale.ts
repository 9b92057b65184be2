// SCALE, the encoding of Catena's transactions and system contracts, driven by the node's schema
// (`GET /schema`, ADR 0043): every system contract's methods and events with the ids of their
// types in a `scale-info` portable registry. The JSON conventions are the node's: named fields
// as objects, byte arrays and ids as `0x` hex, `Option` as the value or null, an enum variant as
// its name or `{name: fields}`, a struct's one unnamed field as its value, lists as lists.

/** Bytes that are not a value of the type, or a value that does not fit it. */
export class ScaleError extends Error {}

const MAX_DEPTH = 32;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

export function fromHex(text: unknown, what = "a value"): Uint8Array {
  if (typeof text !== "string") throw new ScaleError(`${what} is hex text, not ${typeof text}`);
  const digits = text.startsWith("0x") ? text.slice(2) : text;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new ScaleError(`${what} is not hex of whole bytes`);
  }
  return new Uint8Array(Buffer.from(digits, "hex"));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** The SCALE compact encoding of a non-negative integer. */
export function compact(value: number | bigint): Uint8Array {
  const n = BigInt(value);
  if (n < 0n) throw new ScaleError("a compact integer is not negative");
  if (n < 64n) return Uint8Array.of(Number(n << 2n));
  if (n < 1n << 14n) return littleEndian((n << 2n) | 1n, 2);
  if (n < 1n << 30n) return littleEndian((n << 2n) | 2n, 4);
  let length = 0;
  for (let rest = n; rest > 0n; rest >>= 8n) length += 1;
  return concat(Uint8Array.of(((length - 4) << 2) | 3), littleEndian(n, length));
}

export function littleEndian(value: bigint, width: number, signed = false): Uint8Array {
  let n = value;
  const bits = BigInt(width * 8);
  const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (n < min || n > max) throw new ScaleError(`${value} does not fit ${width} bytes`);
  if (n < 0n) n += 1n << bits;
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export function text(value: string): Uint8Array {
  const raw = new TextEncoder().encode(value);
  return concat(compact(raw.length), raw);
}

export function byteString(raw: Uint8Array): Uint8Array {
  return concat(compact(raw.length), raw);
}

export class Reader {
  private i = 0;
  constructor(readonly bytes: Uint8Array, readonly what = "the bytes") {}

  get position(): number {
    return this.i;
  }

  take(n: number): Uint8Array {
    if (n < 0 || this.i + n > this.bytes.length) throw new ScaleError(`${this.what} end early`);
    const out = this.bytes.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }

  u8(): number {
    return this.take(1)[0];
  }

  uint(width: number, signed = false): bigint {
    const raw = this.take(width);
    let n = 0n;
    for (let k = width - 1; k >= 0; k--) n = (n << 8n) | BigInt(raw[k]);
    if (signed && raw[width - 1] & 0x80) n -= 1n << BigInt(width * 8);
    return n;
  }

  compact(): bigint {
    const first = this.u8();
    switch (first & 3) {
      case 0:
        return BigInt(first >> 2);
      case 1:
        return BigInt((first | (this.u8() << 8)) >> 2);
      case 2:
        return (BigInt(first) | (this.uint(3) << 8n)) >> 2n;
      default:
        return this.uint((first >> 2) + 4);
    }
  }

  length(): number {
    const n = this.compact();
    if (n > BigInt(this.bytes.length)) throw new ScaleError(`${this.what} end early`);
    return Number(n);
  }

  byteString(): Uint8Array {
    return this.take(this.length());
  }

  string(): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.byteString());
    } catch {
      throw new ScaleError(`${this.what}: a string is not UTF-8`);
    }
  }

  done(): void {
    if (this.i !== this.bytes.length) {
      throw new ScaleError(`${this.bytes.length - this.i} bytes are left after the value`);
    }
  }
}

const WIDTHS: Record<string, number> = {
  u8: 1, u16: 2, u32: 4, u64: 8, u128: 16, i8: 1, i16: 2, i32: 4, i64: 8, i128: 16,
};

interface Field {
  name?: string;
  type: number;
}
interface Variant {
  name: string;
  index: number;
  fields?: Field[];
}
interface TypeDef {
  primitive?: string;
  compact?: { type: number };
  sequence?: { type: number };
  array?: { len: number; type: number };
  tuple?: number[];
  composite?: { fields?: Field[] };
  variant?: { variants?: Variant[] };
}
interface Type {
  path?: string[];
  params?: { name: string; type: number | null }[];
  def: TypeDef;
}
export interface Method {
  name: string;
  argument: number;
  output: number;
}
export interface Event {
  topic: string;
  data: number;
}
export interface Contract {
  name: string;
  id: string;
  methods: Method[];
  events: Event[];
}
export interface SchemaDocument {
  contracts: Contract[];
  types: { types: { id: number; type: Type }[] };
}

/** Integers past this are given as decimal strings (JSON numbers lose precision past 2^53). */
const EXACT = 1n << 53n;

function jsonInteger(n: bigint): Json {
  return n < EXACT && n > -EXACT ? Number(n) : n.toString();
}

/** The node's schema (the JSON of `GET /schema`) as a codec. */
export class Schema {
  readonly types = new Map<number, Type>();
  readonly contracts = new Map<string, Contract>();

  constructor(document: SchemaDocument) {
    for (const t of document.types.types) this.types.set(t.id, t.type);
    for (const c of document.contracts) this.contracts.set(c.name, c);
  }

  private type(id: number): Type {
    const found = this.types.get(id);
    if (!found) throw new ScaleError(`the schema has no type ${id}`);
    return found;
  }

  contractId(name: string): string {
    const c = this.contracts.get(name);
    if (!c) throw new ScaleError(`no system contract '${name}'`);
    return c.id;
  }

  contractName(id: string): string | undefined {
    for (const [name, c] of this.contracts) if (c.id === id) return name;
    return undefined;
  }

  method(contract: string, method: string): Method {
    const m = this.contracts.get(contract)?.methods.find((x) => x.name === method);
    if (!m) throw new ScaleError(`the ${contract} contract has no method '${method}'`);
    return m;
  }

  event(contract: string, topic: string): Event {
    const e = this.contracts.get(contract)?.events.find((x) => x.topic === topic);
    if (!e) throw new ScaleError(`the ${contract} contract has no event '${topic}'`);
    return e;
  }

  /** The type of the value an `Option` type holds. */
  optionOf(id: number): number {
    const some = this.type(id).def.variant?.variants?.find((v) => v.name === "Some");
    if (!some?.fields?.length) throw new ScaleError(`type ${id} is no Option`);
    return some.fields[0].type;
  }

  private isByte(id: number): boolean {
    return this.type(id).def.primitive === "u8";
  }

  private isOption(ty: Type): boolean {
    return ty.path?.length === 1 && ty.path[0] === "Option";
  }

  encode(id: number, value: Json | undefined, depth = 0): Uint8Array {
    if (depth > MAX_DEPTH) throw new ScaleError("the value is nested too deeply");
    const ty = this.type(id);
    const d = ty.def;
    if (d.primitive !== undefined) return this.encodePrimitive(d.primitive, value);
    if (d.compact) return compact(BigInt(value as number | string));
    if (d.sequence) {
      const inner = d.sequence.type;
      if (this.isByte(inner)) return byteString(fromHex(value));
      const items = this.list(value);
      return concat(compact(items.length), ...items.map((v) => this.encode(inner, v, depth + 1)));
    }
    if (d.array) {
      const { type: inner, len } = d.array;
      if (this.isByte(inner)) {
        const raw = fromHex(value);
        if (raw.length !== len) throw new ScaleError(`expected ${len} bytes, found ${raw.length}`);
        return raw;
      }
      const items = this.list(value);
      if (items.length !== len) throw new ScaleError(`expected ${len} items, found ${items.length}`);
      return concat(...items.map((v) => this.encode(inner, v, depth + 1)));
    }
    if (d.tuple) {
      if (d.tuple.length === 1) return this.encode(d.tuple[0], value, depth + 1);
      const items = value === null || value === undefined ? [] : this.list(value);
      if (items.length !== d.tuple.length) {
        throw new ScaleError(`expected a tuple of ${d.tuple.length}, found ${items.length}`);
      }
      return concat(...d.tuple.map((t, k) => this.encode(t, items[k], depth + 1)));
    }
    if (d.composite) return this.encodeFields(d.composite.fields ?? [], value, depth);
    if (d.variant) {
      const variants = d.variant.variants ?? [];
      if (this.isOption(ty)) {
        if (value === null || value === undefined) return Uint8Array.of(0);
        return concat(Uint8Array.of(1), this.encode(this.optionOf(id), value, depth + 1));
      }
      let name: string;
      let inner: Json | undefined;
      if (typeof value === "string") {
        name = value;
      } else if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1) {
        [name, inner] = Object.entries(value)[0];
      } else {
        throw new ScaleError(`a variant is its name or {name: fields}, not ${JSON.stringify(value)}`);
      }
      const v = variants.find((x) => x.name === name);
      if (!v) throw new ScaleError(`no variant '${name}' (of ${variants.map((x) => x.name)})`);
      return concat(Uint8Array.of(v.index), this.encodeFields(v.fields ?? [], inner, depth));
    }
    throw new ScaleError(`type ${id} is of a kind this client does not encode`);
  }

  private list(value: Json | undefined): Json[] {
    if (!Array.isArray(value)) throw new ScaleError(`expected a list, found ${JSON.stringify(value)}`);
    return value;
  }

  private encodeFields(fields: Field[], value: Json | undefined, depth: number): Uint8Array {
    if (fields.length === 0) return new Uint8Array();
    if (fields[0].name !== undefined && fields[0].name !== null) {
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new ScaleError(`expected fields ${fields.map((f) => f.name)}, found ${JSON.stringify(value)}`);
      }
      const record = value as { [key: string]: Json };
      const missing = fields.filter((f) => !(f.name! in record)).map((f) => f.name);
      if (missing.length) throw new ScaleError(`missing fields ${missing}`);
      return concat(...fields.map((f) => this.encode(f.type, record[f.name!], depth + 1)));
    }
    if (fields.length === 1) return this.encode(fields[0].type, value, depth + 1);
    const items = this.list(value);
    return concat(...fields.map((f, k) => this.encode(f.type, items[k], depth + 1)));
  }

  private encodePrimitive(kind: string, value: Json | undefined): Uint8Array {
    if (kind === "bool") {
      if (typeof value !== "boolean") throw new ScaleError(`expected a bool, found ${JSON.stringify(value)}`);
      return Uint8Array.of(value ? 1 : 0);
    }
    if (kind === "str") {
      if (typeof value !== "string") throw new ScaleError(`expected text, found ${JSON.stringify(value)}`);
      return text(value);
    }
    const width = WIDTHS[kind];
    if (width === undefined) throw new ScaleError(`the primitive ${kind} is not supported`);
    if (typeof value !== "number" && typeof value !== "string") {
      throw new ScaleError(`expected an integer, found ${JSON.stringify(value)}`);
    }
    let n: bigint;
    try {
      n = BigInt(value);
    } catch {
      throw new ScaleError(`${value} is not an integer`);
    }
    return littleEndian(n, width, kind.startsWith("i"));
  }

  /** The value of type `id` that `data` (bytes or hex) encodes, all of it. */
  decode(id: number, data: Uint8Array | string): Json {
    const r = new Reader(typeof data === "string" ? fromHex(data) : data);
    const value = this.decodeFrom(id, r, 0);
    r.done();
    return value;
  }

  private decodeFrom(id: number, r: Reader, depth: number): Json {
    if (depth > MAX_DEPTH) throw new ScaleError("the value is nested too deeply");
    const ty = this.type(id);
    const d = ty.def;
    if (d.primitive !== undefined) {
      const kind = d.primitive;
      if (kind === "bool") {
        const b = r.u8();
        if (b > 1) throw new ScaleError("a bool is 0 or 1");
        return b === 1;
      }
      if (kind === "str") return r.string();
      const width = WIDTHS[kind];
      if (width === undefined) throw new ScaleError(`the primitive ${kind} is not supported`);
      return jsonInteger(r.uint(width, kind.startsWith("i")));
    }
    if (d.compact) return jsonInteger(r.compact());
    if (d.sequence) {
      if (this.isByte(d.sequence.type)) return toHex(r.byteString());
      const n = r.length();
      return Array.from({ length: n }, () => this.decodeFrom(d.sequence!.type, r, depth + 1));
    }
    if (d.array) {
      if (this.isByte(d.array.type)) return toHex(r.take(d.array.len));
      return Array.from({ length: d.array.len }, () => this.decodeFrom(d.array!.type, r, depth + 1));
    }
    if (d.tuple) {
      const items = d.tuple.map((t) => this.decodeFrom(t, r, depth + 1));
      return items.length === 1 ? items[0] : items;
    }
    if (d.composite) return this.decodeFields(d.composite.fields ?? [], r, depth);
    if (d.variant) {
      const index = r.u8();
      const v = (d.variant.variants ?? []).find((x) => x.index === index);
      if (!v) throw new ScaleError(`no variant has index ${index}`);
      const fields = v.fields ?? [];
      if (this.isOption(ty)) return fields.length ? this.decodeFrom(fields[0].type, r, depth + 1) : null;
      if (!fields.length) return v.name;
      return { [v.name]: this.decodeFields(fields, r, depth) };
    }
    throw new ScaleError(`type ${id} is of a kind this client does not decode`);
  }

  private decodeFields(fields: Field[], r: Reader, depth: number): Json {
    if (fields.length === 0) return [];
    if (fields[0].name !== undefined && fields[0].name !== null) {
      const out: { [key: string]: Json } = {};
      for (const f of fields) out[f.name!] = this.decodeFrom(f.type, r, depth + 1);
      return out;
    }
    const values = fields.map((f) => this.decodeFrom(f.type, r, depth + 1));
    return values.length === 1 ? values[0] : values;
  }

  encodeArgument(contract: string, method: string, argument: Json): Uint8Array {
    return this.encode(this.method(contract, method).argument, argument);
  }

  decodeOutput(contract: string, method: string, data: Uint8Array | string): Json {
    return this.decode(this.method(contract, method).output, data);
  }

  decodeEvent(contract: string, topic: string, data: Uint8Array | string): Json {
    return this.decode(this.event(contract, topic).data, data);
  }
}
