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

/** How often the discarded byte count is looked at. */
const POLL_MS = 50;

export function discardUnreadBodies(limits: DiscardLimits = { bytes: 1024 * 1024, ms: 10_000 }): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      const socket = req.socket;
      if (req.complete || req.destroyed || !socket) return;
      // The HTTP parser consumes the socket natively and drops a discarded body without
      // emitting events, so the bound is read off the socket's byte count.
      const start = socket.bytesRead;
      const deadline = Date.now() + limits.ms;
      const poll = setInterval(() => {
        if (socket.bytesRead - start > limits.bytes || Date.now() > deadline) socket.destroy();
      }, POLL_MS);
      poll.unref();
      const done = () => clearInterval(poll);
      req.once('end', done);
      req.once('close', done);
      socket.once('close', done);
      // Node discards an unread body itself only when nothing ever touched the stream; a
      // paused one would otherwise hold the socket until the request timeout.
      req.resume();
    });
    next();
  };
}
