/**
 * The service secrets provider (docs/protocol.md#secrets). `[]byte` travels as standard padded
 * base64.
 */
import type { Services } from '../services.js';
import { defineRoute, type Route } from '../route.js';
import { batchDecryptRequest, batchEncryptRequest, decryptRequest, encryptRequest } from '../../wire/requests.js';
import { batchDecryptResponse, batchEncryptResponse, decryptResponse, emptyResponse, encryptResponse } from '../../wire/responses.js';
import { S, stackRefOf } from './stack-ref.js';

const b64 = (buf: Buffer) => buf.toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64');

export function secretsRoutes(s: Services): Route[] {
  const routes: Route[] = [
    defineRoute({
      method: 'post',
      path: S('/encrypt'),
      auth: 'api-token',
      body: 'small',
      summary: "Encrypt one value with the stack's key",
      request: encryptRequest,
      responses: { 200: encryptResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }, input) => {
        const { plaintext } = input.body();
        const [ciphertext] = await s.secrets.encrypt(principal, stackRefOf(req), [unb64(plaintext)]);
        res.json({ ciphertext: b64(ciphertext as Buffer) });
      },
    }),
    defineRoute({
      method: 'post',
      path: S('/decrypt'),
      auth: 'api-token',
      body: 'small',
      summary: 'Decrypt one value of this stack',
      request: decryptRequest,
      responses: { 200: decryptResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }, input) => {
        const { ciphertext } = input.body();
        const [plaintext] = await s.secrets.decrypt(principal, stackRefOf(req), [unb64(ciphertext)]);
        res.json({ plaintext: b64(plaintext as Buffer) });
      },
    }),
    defineRoute({
      method: 'post',
      path: S('/batch-encrypt'),
      auth: 'api-token',
      body: 'large',
      summary: "Encrypt many values with the stack's key, in order",
      request: batchEncryptRequest,
      responses: { 200: batchEncryptResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }, input) => {
        const { plaintexts } = input.body();
        const ciphertexts = await s.secrets.encrypt(principal, stackRefOf(req), plaintexts.map(unb64));
        res.json({ ciphertexts: ciphertexts.map(b64) });
      },
    }),
    defineRoute({
      method: 'post',
      path: S('/batch-decrypt'),
      auth: 'api-token',
      body: 'large',
      summary: 'Decrypt many values of this stack, keyed by the ciphertexts sent',
      request: batchDecryptRequest,
      responses: { 200: batchDecryptResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }, input) => {
        const { ciphertexts } = input.body();
        const plaintexts = await s.secrets.decrypt(principal, stackRefOf(req), ciphertexts.map(unb64));
        // Keys must be exactly the strings received: the CLI looks each one up by it
        // (client.go: BatchDecryptValue).
        res.json({ plaintexts: Object.fromEntries(ciphertexts.map((c, i) => [c, b64(plaintexts[i] as Buffer)])) });
      },
    }),
  ];
  for (const ping of ['log-decryption', 'log-batch-decryption']) {
    routes.push({
      method: 'post',
      path: S(`/decrypt/${ping}`),
      auth: 'api-token',
      body: 'small',
      summary: 'An audit ping after decrypting (the body is ignored)',
      responses: { 200: emptyResponse },
      errors: [403, 404],
      handler: async (req, res, { principal }) => {
        await s.secrets.logDecryption(principal, stackRefOf(req));
        res.json({});
      },
    });
  }
  return routes;
}
