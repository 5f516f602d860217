/**
 * The service secrets provider (docs/protocol.md#secrets). `[]byte` travels as standard padded
 * base64.
 */
import type { Services } from '../services.js';
import type { Route } from '../route.js';
import { body } from '../parse.js';
import { batchDecryptRequest, batchEncryptRequest, decryptRequest, encryptRequest } from '../../wire/requests.js';
import { S, stackRefOf } from './stack-ref.js';

const b64 = (buf: Buffer) => buf.toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64');

export function secretsRoutes(s: Services): Route[] {
  const routes: Route[] = [
    {
      method: 'post',
      path: S('/encrypt'),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { plaintext } = body(req, encryptRequest);
        const [ciphertext] = await s.secrets.encrypt(principal, stackRefOf(req), [unb64(plaintext)]);
        res.json({ ciphertext: b64(ciphertext as Buffer) });
      },
    },
    {
      method: 'post',
      path: S('/decrypt'),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        const { ciphertext } = body(req, decryptRequest);
        const [plaintext] = await s.secrets.decrypt(principal, stackRefOf(req), [unb64(ciphertext)]);
        res.json({ plaintext: b64(plaintext as Buffer) });
      },
    },
    {
      method: 'post',
      path: S('/batch-encrypt'),
      auth: 'api-token',
      body: 'large',
      handler: async (req, res, { principal }) => {
        const { plaintexts } = body(req, batchEncryptRequest);
        const ciphertexts = await s.secrets.encrypt(principal, stackRefOf(req), plaintexts.map(unb64));
        res.json({ ciphertexts: ciphertexts.map(b64) });
      },
    },
    {
      method: 'post',
      path: S('/batch-decrypt'),
      auth: 'api-token',
      body: 'large',
      handler: async (req, res, { principal }) => {
        const { ciphertexts } = body(req, batchDecryptRequest);
        const plaintexts = await s.secrets.decrypt(principal, stackRefOf(req), ciphertexts.map(unb64));
        // Keys must be exactly the strings received: the CLI looks each one up by it
        // (client.go: BatchDecryptValue).
        res.json({ plaintexts: Object.fromEntries(ciphertexts.map((c, i) => [c, b64(plaintexts[i] as Buffer)])) });
      },
    },
  ];
  for (const ping of ['log-decryption', 'log-batch-decryption']) {
    routes.push({
      method: 'post',
      path: S(`/decrypt/${ping}`),
      auth: 'api-token',
      body: 'small',
      handler: async (req, res, { principal }) => {
        await s.secrets.logDecryption(principal, stackRefOf(req));
        res.json({});
      },
    });
  }
  return routes;
}
