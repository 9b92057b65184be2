// A client of a Catena node's HTTP API: keys, transactions for every system-contract method
// built from the node's schema, submitting and waiting, reads (signed where the chain's data is
// for its members), decoding, and state proofs checked from the genesis validators.

import { createHash, createPrivateKey, createPublicKey, sign as signMessage } from "node:crypto";
import { readFileSync } from "node:fs";

import { verifyInState, type Header } from "./proofs.js";
import { byteString, concat, fromHex, type Json, littleEndian, Schema, type SchemaDocument, text, toHex } from "./scale.js";

/** The first line of a signed read's message (catena_primitives::read::DOMAIN). */
export const READ_DOMAIN = "catena-signed-read/v1";
/** `Call::CallContract`'s and `Call::Remark`'s indices in the transaction's call enum. */
export const CALL_CONTRACT = 6;
export const REMARK = 0;

/** An answer that is not a success: its HTTP status, the node's error code and message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly detail: string) {
    super(`HTTP ${status} ${code}: ${detail}`);
  }
}

/** A transaction that was committed, but whose call failed: the chain's reason. */
export class CallFailed extends Error {
  constructor(readonly hash: string, readonly reason: string) {
    super(`transaction ${hash} failed: ${reason}`);
  }
}

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/** An ed25519 key: its account (the public key) signs transactions and reads. */
export class Key {
  readonly account: Uint8Array;
  private readonly secret: ReturnType<typeof createPrivateKey>;

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new Error("an ed25519 seed is 32 bytes");
    this.secret = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(this.secret).export({ format: "der", type: "spki" });
    this.account = new Uint8Array(spki.subarray(spki.length - 32));
  }

  /** A key file as `catena key generate --out` writes it: {account, secret_seed}. */
  static fromFile(path: string): Key {
    const data = JSON.parse(readFileSync(path, "utf-8"));
    const key = new Key(fromHex(data.secret_seed, "secret_seed"));
    if (key.accountHex !== String(data.account).toLowerCase()) {
      throw new Error(`${path}: the account does not match the secret seed`);
    }
    return key;
  }

  get accountHex(): string {
    return toHex(this.account);
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(signMessage(null, message, this.secret));
  }
}

/** The SCALE bytes of a signed transaction: chain id, nonce, signer, call, then the signature
 * over everything before it. */
export function transaction(chainId: string, nonce: number | bigint, key: Key, call: Uint8Array): Uint8Array {
  const unsigned = concat(text(chainId), littleEndian(BigInt(nonce), 8), key.account, call);
  return concat(unsigned, key.sign(unsigned));
}

/** The bytes of `Call::CallContract { contract, method, input }`. */
export function contractCall(contractId: string, method: string, input: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(CALL_CONTRACT), fromHex(contractId, "a contract id"), text(method), byteString(input));
}

export function remark(note: string | Uint8Array): Uint8Array {
  const raw = typeof note === "string" ? new TextEncoder().encode(note) : note;
  return concat(Uint8Array.of(REMARK), byteString(raw));
}

export function txHash(tx: Uint8Array): string {
  return "0x" + createHash("sha256").update(tx).digest("hex");
}

/** What a signed read signs (catena_primitives::read::Request::message). */
export function readMessage(chainId: string, method: string, path: string, query: string, timestampMs: number, body: Uint8Array): Uint8Array {
  const lines = [READ_DOMAIN, chainId, method.toUpperCase(), path, query, String(timestampMs)];
  const bodyHash = createHash("sha256").update(body).digest("hex");
  return new TextEncoder().encode(lines.join("\n") + "\n" + bodyHash);
}

/** The genesis validators' accounts of a chain spec file: the trust root of its proofs. */
export function genesisValidators(specPath: string): Uint8Array[] {
  const spec = JSON.parse(readFileSync(specPath, "utf-8"));
  return spec.validators.map((v: { account: string }) => fromHex(v.account, "a validator account"));
}

type View = { [key: string]: Json };

export interface ClientOptions {
  /** Another chain the node hosts (default: its main chain). */
  chain?: string;
  /** Sign every request with this key (a chain whose data is for its members). */
  reader?: Key;
  timeoutMs?: number;
}

/** A chain on a node. */
export class Client {
  private readonly prefix: string;
  private chainIdCache?: string;
  private schemaCache?: Schema;

  constructor(readonly api: string, readonly options: ClientOptions = {}) {
    this.api = api.replace(/\/$/, "");
    this.prefix = options.chain ? `/chains/${options.chain}` : "";
    this.chainIdCache = options.chain;
  }

  /** The JSON answer to `method path` (with a JSON `body`); ApiError when not a success. */
  async request(method: string, path: string, body?: Json, sign = true): Promise<any> {
    const full = this.prefix + path;
    const data = body === undefined ? new Uint8Array() : new TextEncoder().encode(JSON.stringify(body));
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    if (sign && this.options.reader) {
      const url = new URL(full, "http://x");
      const now = Date.now();
      const message = readMessage(await this.chainId(), method, url.pathname, url.search.replace(/^\?/, ""), now, data);
      headers["x-catena-account"] = this.options.reader.accountHex;
      headers["x-catena-timestamp"] = String(now);
      headers["x-catena-signature"] = toHex(this.options.reader.sign(message));
    }
    const answer = await fetch(this.api + full, {
      method,
      headers,
      body: body === undefined ? undefined : Buffer.from(data),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const textBody = await answer.text();
    if (!answer.ok) {
      let error: { code?: string; message?: string } = {};
      try {
        error = JSON.parse(textBody).error ?? {};
      } catch {
        /* not JSON */
      }
      throw new ApiError(answer.status, error.code ?? "http", error.message ?? textBody);
    }
    return textBody ? JSON.parse(textBody) : null;
  }

  get(path: string): Promise<any> {
    return this.request("GET", path);
  }

  async chainId(): Promise<string> {
    if (this.chainIdCache === undefined) {
      const answer = await fetch(`${this.api}/chains`, { signal: AbortSignal.timeout(30_000) });
      this.chainIdCache = (await answer.json())[0].chain_id as string;
    }
    return this.chainIdCache;
  }

  async schema(): Promise<Schema> {
    this.schemaCache ??= new Schema((await this.get("/schema")) as SchemaDocument);
    return this.schemaCache;
  }

  async nextNonce(account: string): Promise<number> {
    return (await this.get(`/accounts/${account}`)).next_nonce;
  }

  /** Submits a signed transaction; its hash once the node admitted it. */
  async submit(tx: Uint8Array): Promise<string> {
    return (await this.request("POST", "/transactions", { transaction: toHex(tx) })).hash;
  }

  /** The transaction once committed (its view with the receipt); rejects past `timeoutMs`. */
  async wait(hash: string, timeoutMs = 60_000): Promise<View> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const view = await this.get(`/transactions/${hash}`);
        if (view.status === "committed") return view;
        if (view.status === "dropped") throw new CallFailed(hash, `dropped: ${view.dropped_reason}`);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
      if (Date.now() > deadline) throw new Error(`transaction ${hash} not committed within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Signs `call` as `key` at its next nonce, submits it and waits for its block: the committed
   * view; CallFailed if the call failed. */
  async send(key: Key, call: Uint8Array): Promise<View> {
    const nonce = await this.nextNonce(key.accountHex);
    const hash = await this.submit(transaction(await this.chainId(), nonce, key, call));
    const view = await this.wait(hash);
    const receipt = view.receipt as View;
    if (!receipt.success) throw new CallFailed(hash, String(receipt.error));
    return view;
  }

  /** Calls system contract `contract`'s `method` with `argument` (JSON as the schema reads it),
   * signed by `key`; the committed view with `output` decoded. */
  async call(key: Key, contract: string, method: string, argument: Json): Promise<View> {
    const schema = await this.schema();
    const input = schema.encodeArgument(contract, method, argument);
    const view = await this.send(key, contractCall(schema.contractId(contract), method, input));
    view.output = schema.decodeOutput(contract, method, String((view.receipt as View).output));
    return view;
  }

  /** Runs a system contract's method read-only on the latest state; its output decoded. */
  async query(contract: string, method: string, argument: Json): Promise<Json> {
    const schema = await this.schema();
    const input = schema.encodeArgument(contract, method, argument);
    const answer = await this.request("POST", `/contracts/${schema.contractId(contract)}/query`, {
      method,
      input: toHex(input),
    });
    return schema.decodeOutput(contract, method, answer.output);
  }

  /** A voucher as the contract stores it, decoded here from its SCALE bytes. */
  voucher(id: number): Promise<Json> {
    return this.query("voucher", "get", id);
  }

  record(hash: string): Promise<Json> {
    return this.query("records", "get", hash);
  }

  /** A page of events, each with its data decoded here by the schema (`decoded`). */
  async events(filters: Record<string, string | number> = {}): Promise<{ events: View[]; next: string | null }> {
    const query = new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, String(v)])).toString();
    const page = await this.get("/events" + (query ? `?${query}` : ""));
    const schema = await this.schema();
    for (const event of page.events as View[]) {
      const name = schema.contractName(String(event.contract));
      if (name !== undefined) event.decoded = schema.decodeEvent(name, String(event.topic), String(event.data));
    }
    return page;
  }

  /** The value of state entry `key`, proved under a header certified from `genesis` (the
   * chain's genesis validators, from its spec). Throws ProofError naming what does not hold. */
  async proven(key: Uint8Array, genesis: Uint8Array[]): Promise<{ value: Uint8Array | null; header: Header }> {
    const view = await this.get(`/proofs/${toHex(key)}`);
    if (view.kind !== "in_state") throw new Error(`a ${view.kind} proof; this client checks in_state proofs`);
    return verifyInState(fromHex(view.proof, "the proof"), await this.chainId(), genesis, key);
  }
}
