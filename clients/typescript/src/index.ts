// Catena's TypeScript client: `Client` (a node's API), `Key` (ed25519 from Node's crypto),
// `Schema` (SCALE driven by the node's `GET /schema`), and the proof checks.
export * from "./client.js";
export * from "./proofs.js";
export * from "./scale.js";
