// State proofs checked from a chain's genesis validators: a header certified through every
// change of the validator set since genesis (each certificate a quorum of ed25519 signatures
// over the commit vote), then a Jellyfish Merkle proof of the entry under the header's state
// root. The same checks as the independent evidence verifier (docs/evidence.md).

import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";

import { compact, concat, littleEndian, Reader, ScaleError } from "./scale.js";

/** A check that does not hold, naming its step. */
export class ProofError extends Error {}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

export function ed25519Verify(account: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (account.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, account]), format: "der", type: "spki" });
    return verifySignature(null, message, key, signature);
  } catch {
    return false;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

export interface Header {
  chainId: string;
  height: bigint;
  timeMs: bigint;
  stateRoot: Uint8Array;
  validatorSetHash: Uint8Array;
  hash: Uint8Array;
}

interface Handover {
  header: Header;
  certificate: { height: bigint; round: bigint; blockHash: Uint8Array; signatures: [Uint8Array, Uint8Array][] };
  nextValidators: Uint8Array;
  nextValidatorsProof: Uint8Array;
}

function header(r: Reader): Header {
  const start = r.position;
  const chainId = r.string();
  const height = r.uint(8);
  r.take(32); // parent hash
  const timeMs = r.uint(8);
  r.take(32); // proposer
  r.take(32); // transactions root
  const stateRoot = r.take(32);
  r.take(32); // receipts root
  const validatorSetHash = r.take(32);
  return { chainId, height, timeMs, stateRoot, validatorSetHash, hash: sha256(r.bytes.subarray(start, r.position)) };
}

function handover(r: Reader): Handover {
  const head = header(r);
  const height = r.uint(8);
  const round = r.uint(4);
  const blockHash = r.take(32);
  const signatures = Array.from({ length: r.length() }, () => [r.take(32), r.take(64)] as [Uint8Array, Uint8Array]);
  return {
    header: head,
    certificate: { height, round, blockHash, signatures },
    nextValidators: r.byteString(),
    nextValidatorsProof: r.byteString(),
  };
}

function setHash(accounts: Uint8Array[]): Uint8Array {
  return sha256(compact(accounts.length), ...accounts);
}

function voteBytes(chainId: string, height: bigint, round: bigint, blockHash: Uint8Array): Uint8Array {
  const raw = new TextEncoder().encode(chainId);
  return concat(
    new TextEncoder().encode("catena/commit-vote/v1"),
    compact(raw.length),
    raw,
    littleEndian(height, 8),
    littleEndian(round, 4),
    blockHash,
  );
}

function validatorAccounts(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data, "a validator set");
  const accounts = Array.from({ length: r.length() }, () => {
    const account = r.take(32);
    r.string(); // member
    r.string(); // peer id
    r.string(); // address
    return account;
  });
  r.done();
  return accounts;
}

const PLACEHOLDER = new TextEncoder().encode("SPARSE_MERKLE_PLACEHOLDER_HASH__");
const LEAF = new TextEncoder().encode("JMT::LeafNode");
const INTERNAL = new TextEncoder().encode("JMT::IntrnalNode");

/** Whether `proof` (a Jellyfish Merkle proof, Borsh) shows `key` holding `value` (null: absent)
 * under `root`. */
export function stateProofOk(proof: Uint8Array, root: Uint8Array, key: Uint8Array, value: Uint8Array | null): boolean {
  try {
    const r = new Reader(proof, "a state proof");
    const tag = r.u8();
    let leaf: [Uint8Array, Uint8Array] | null = null;
    if (tag === 1) leaf = [r.take(32), r.take(32)];
    else if (tag !== 0) return false;
    const count = Number(r.uint(4));
    if (count > 256) return false;
    const siblings: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      const kind = r.u8();
      if (kind === 0) siblings.push(PLACEHOLDER);
      else if (kind === 1) siblings.push(sha256(INTERNAL, r.take(32), r.take(32)));
      else if (kind === 2) siblings.push(sha256(LEAF, r.take(32), r.take(32)));
      else return false;
    }
    r.done();
    const keyHash = sha256(key);
    if (value !== null) {
      if (!leaf || !equal(leaf[0], keyHash) || !equal(leaf[1], sha256(value))) return false;
    } else if (leaf) {
      if (equal(leaf[0], keyHash)) return false;
      let common = 0;
      while (common < 256 && bit(keyHash, common) === bit(leaf[0], common)) common++;
      if (common < count) return false;
    }
    let node = leaf ? sha256(LEAF, leaf[0], leaf[1]) : PLACEHOLDER;
    siblings.forEach((sibling, k) => {
      const position = count - 1 - k;
      node = bit(keyHash, position) ? sha256(INTERNAL, sibling, node) : sha256(INTERNAL, node, sibling);
    });
    return equal(node, root);
  } catch (e) {
    if (e instanceof ScaleError) return false;
    throw e;
  }
}

function bit(hash: Uint8Array, position: number): number {
  return (hash[position >> 3] >> (7 - (position & 7))) & 1;
}

const VALIDATORS_KEY = new TextEncoder().encode("sys/validators");

/** Follows the validator set from `genesis` through each handover to the header it certifies. */
function checkCertified(chainId: string, handovers: Handover[], genesis: Uint8Array[]): Header {
  let validators = genesis;
  for (const h of handovers) {
    const { header: head, certificate: cert } = h;
    const where = `the header at height ${head.height}`;
    if (head.chainId !== chainId || !equal(head.validatorSetHash, setHash(validators))) {
      throw new ProofError(`${where} names another chain or validator set than the one followed`);
    }
    if (cert.height !== head.height || !equal(cert.blockHash, head.hash)) {
      throw new ProofError(`${where}: the certificate is of another block`);
    }
    const message = voteBytes(chainId, cert.height, cert.round, cert.blockHash);
    const seen: Uint8Array[] = [];
    for (const [account, signature] of cert.signatures) {
      const known = validators.some((v) => equal(v, account));
      if (!known || seen.some((s) => equal(s, account)) || !ed25519Verify(account, message, signature)) {
        throw new ProofError(`${where}: a certificate signature does not verify`);
      }
      seen.push(account);
    }
    const needed = validators.length - Math.floor((validators.length - 1) / 3);
    if (seen.length < needed) throw new ProofError(`${where}: ${seen.length} signatures, a quorum needs ${needed}`);
    if (!stateProofOk(h.nextValidatorsProof, head.stateRoot, VALIDATORS_KEY, h.nextValidators)) {
      throw new ProofError(`${where}: the next validator set's proof does not verify`);
    }
    validators = validatorAccounts(h.nextValidators);
  }
  return handovers[handovers.length - 1].header;
}

/** Checks an `InState` proof (SCALE: a certified header, then the entry) of `key` on chain
 * `chainId` from its genesis validators: the entry's value (null when absent) and the header. */
export function verifyInState(
  proof: Uint8Array,
  chainId: string,
  genesis: Uint8Array[],
  key: Uint8Array,
): { value: Uint8Array | null; header: Header } {
  const r = new Reader(proof, "the proof");
  const certifiedChain = r.string();
  if (certifiedChain !== chainId) throw new ProofError(`the proof is of chain '${certifiedChain}', not '${chainId}'`);
  const handovers = Array.from({ length: r.length() }, () => handover(r));
  handovers.push(handover(r));
  const entryKey = r.byteString();
  const tag = r.u8();
  if (tag > 1) throw new ProofError("the entry's value is neither absent nor present");
  const value = tag === 1 ? r.byteString() : null;
  const entryProof = r.byteString();
  r.done();
  const head = checkCertified(chainId, handovers, genesis);
  if (!equal(entryKey, key)) throw new ProofError("the entry proves another key");
  if (!stateProofOk(entryProof, head.stateRoot, entryKey, value)) {
    throw new ProofError("the entry's proof does not verify under the certified state root");
  }
  return { value, header: head };
}
