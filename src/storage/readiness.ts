/**
 * Readiness is "the bucket answers": a HEAD of the layout marker every pod wrote or read at
 * boot. It may hang as long as the bucket does; /readyz bounds the wait (src/http/routes/ops.ts).
 */
import type { ObjectStore } from './object-store.js';
import { LAYOUT_KEY } from './layout.js';

export const bucketAnswers = (store: ObjectStore) => async (): Promise<boolean> => {
  await store.head(LAYOUT_KEY);
  return true;
};
