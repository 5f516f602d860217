/** The service secrets provider (protocol §2.6). `[]byte` travels as standard padded base64. */
import { Router } from 'express';
import type { Services } from '../services.js';
import { principalOf } from '../middleware/authenticate.js';
import { body } from '../parse.js';
import { batchDecryptRequest, batchEncryptRequest, decryptRequest, encryptRequest } from '../../wire/requests.js';
import { S, stackRefOf } from './stack-ref.js';

const b64 = (buf: Buffer) => buf.toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64');

export function secretsRoutes(s: Services): Router {
  const r = Router();

  r.post(S('/encrypt'), async (req, res) => {
    const { plaintext } = body(req, encryptRequest);
    const [ciphertext] = await s.secrets.encrypt(principalOf(res), stackRefOf(req), [unb64(plaintext)]);
    res.json({ ciphertext: b64(ciphertext as Buffer) });
  });

  r.post(S('/decrypt'), async (req, res) => {
    const { ciphertext } = body(req, decryptRequest);
    const [plaintext] = await s.secrets.decrypt(principalOf(res), stackRefOf(req), [unb64(ciphertext)]);
    res.json({ plaintext: b64(plaintext as Buffer) });
  });

  r.post(S('/batch-encrypt'), async (req, res) => {
    const { plaintexts } = body(req, batchEncryptRequest);
    const ciphertexts = await s.secrets.encrypt(principalOf(res), stackRefOf(req), plaintexts.map(unb64));
    res.json({ ciphertexts: ciphertexts.map(b64) });
  });

  r.post(S('/batch-decrypt'), async (req, res) => {
    const { ciphertexts } = body(req, batchDecryptRequest);
    const plaintexts = await s.secrets.decrypt(principalOf(res), stackRefOf(req), ciphertexts.map(unb64));
    // Keys must be exactly the strings received: the CLI looks each one up by it (protocol §6.13).
    res.json({ plaintexts: Object.fromEntries(ciphertexts.map((c, i) => [c, b64(plaintexts[i] as Buffer)])) });
  });

  for (const ping of ['log-decryption', 'log-batch-decryption']) {
    r.post(S(`/decrypt/${ping}`), async (req, res) => {
      await s.secrets.logDecryption(principalOf(res), stackRefOf(req));
      res.json({});
    });
  }
  return r;
}
