/**
 * What Fulmar keeps of an engine event (docs/design.md, "Engine events"). The CLI sends, for
 * every step, the resource's whole input and output bags — in its pre event and again in its
 * outputs event (sdk/go/common/apitype/events.go: StepEventMetadata, StepEventStateMetadata) —
 * so an update's event log would hold every property value two or three times over, on top of
 * the state that already holds them once. The log is for reading an update back (the step, its
 * URN, type, diff keys and small values); long strings in those bags are replaced by a short
 * note saying how long they were. Everything else in an event is kept as sent.
 */

/** Longer strings inside a step's `inputs`/`outputs` are elided (a secret's ciphertext included). */
export const MAX_EVENT_STRING = 1024;

/** The event kinds whose `metadata` is a StepEventMetadata (events.go: EngineEvent). */
const STEP_EVENT_KINDS = ['resourcePreEvent', 'resOutputsEvent', 'resOpFailedEvent'] as const;

export const elidedNote = (length: number) => `[${length} characters not kept in the event log; the stack's state holds the value]`;

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of `value` with long strings elided; `value` itself is returned when nothing changes. */
function trimValue(value: Json): Json {
  if (typeof value === 'string') return value.length > MAX_EVENT_STRING ? elidedNote(value.length) : value;
  if (Array.isArray(value)) {
    let out: Json[] | undefined;
    value.forEach((item, i) => {
      const t = trimValue(item);
      if (t !== item) (out ??= [...value])[i] = t;
    });
    return out ?? value;
  }
  if (isObject(value)) {
    let out: Record<string, Json> | undefined;
    for (const [k, item] of Object.entries(value)) {
      const t = trimValue(item);
      if (t !== item) (out ??= { ...value })[k] = t;
    }
    return out ?? value;
  }
  return value;
}

function trimState(state: Json): Json {
  if (!isObject(state)) return state;
  let out: Record<string, Json> | undefined;
  for (const bag of ['inputs', 'outputs'] as const) {
    if (!(bag in state)) continue;
    const t = trimValue(state[bag]);
    if (t !== state[bag]) (out ??= { ...state })[bag] = t;
  }
  return out ?? state;
}

/** The event as Fulmar stores it: step state bags without long strings; the same object if unchanged. */
export function trimEngineEvent<E extends Record<string, Json>>(event: E): E {
  let out: Record<string, Json> | undefined;
  for (const kind of STEP_EVENT_KINDS) {
    const body = event[kind];
    if (!isObject(body) || !isObject(body.metadata)) continue;
    const metadata = body.metadata;
    const old = trimState(metadata.old);
    const neu = trimState(metadata.new);
    if (old === metadata.old && neu === metadata.new) continue;
    (out ??= { ...event })[kind] = { ...body, metadata: { ...metadata, old, new: neu } };
  }
  return (out as E | undefined) ?? event;
}
