/**
 * A body the app never read — refused before reading (401), sent to no route (404), or sent
 * with a GET — is discarded as it arrives: never buffered, never inflated. Node pulls it off
 * the wire once the answer is out, so a keep-alive connection stays usable; past a bound of
 * bytes or time the socket is closed instead. By then the answer left long ago, so the client
 * has read it before the close can reset the connection.
 */
import type { RequestHandler } from 'express';

export interface DiscardLimits {
  bytes: number;
  ms: number;
}

export function discardUnreadBodies(limits: DiscardLimits = { bytes: 1024 * 1024, ms: 10_000 }): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      if (req.complete || req.destroyed) return;
      // Node's own 'finish' listener ran first and set the unread body flowing into nothing.
      const cut = () => req.socket?.destroy();
      const timer = setTimeout(cut, limits.ms);
      timer.unref();
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > limits.bytes) cut();
      });
      req.once('close', () => clearTimeout(timer));
    });
    next();
  };
}
