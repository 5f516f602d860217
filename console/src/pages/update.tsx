import { useEffect, useRef, useState } from 'preact/hooks';
import { get, stackApi, type EngineEvent, type StackName, type StackView, type UpdateInfo, type UpdateStatus } from '../api.js';
import { formatEvent, type LogLine } from '../events.js';
import { duration, when, who } from '../format.js';
import { stackPath } from '../router.js';
import { Breadcrumbs, Changes, ErrorBox, Loading, Page } from '../components.js';
import { useTitle } from '../hooks.js';

const POLL_MS = 1000;

interface Target {
  updateId: string;
  /** The history entry, once the update is a committed version. */
  info?: UpdateInfo;
  kind: string;
}

/**
 * One update's engine events as a log: `/updates/{version}` (a committed version, or the running
 * update that will commit as that version, which is the URL the CLI prints while it runs) and
 * `/previews/{updateID}`. A running update is polled until its events say it ended.
 */
export function UpdatePage(props: StackName & { version?: number; previewId?: string }) {
  const label = props.previewId ? `preview ${props.previewId.slice(0, 8)}` : `update #${props.version}`;
  useTitle(`${props.stack} ${label}`);
  const [target, setTarget] = useState<Target>();
  const [error, setError] = useState<string>();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [running, setRunning] = useState(false);
  const [status, setStatus] = useState<UpdateStatus>();

  useEffect(() => {
    setTarget(undefined);
    setLines([]);
    findTarget(props).then(setTarget, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [props.org, props.project, props.stack, props.version, props.previewId]);

  useEffect(() => {
    if (!target) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let token: string | undefined;
    const base = stackApi(props, `/update/${encodeURIComponent(target.updateId)}`);
    const poll = async () => {
      try {
        // Drain every page there is; the token stays non-null while the update runs.
        for (let pages = 0; pages < 1000 && live; pages++) {
          const q = token ? `?continuationToken=${encodeURIComponent(token)}` : '';
          const res = await get<{ events: EngineEvent[]; continuationToken: string | null }>(`${base}/events${q}`);
          const fresh = res.events.map(formatEvent).filter((l): l is LogLine => l !== undefined);
          if (fresh.length > 0 && live) setLines((old) => [...old, ...fresh]);
          if (res.continuationToken === null) {
            token = undefined;
            if (live) setRunning(false);
            if (live) setStatus(await get<UpdateStatus>(base).catch(() => undefined));
            return;
          }
          const drained = res.continuationToken === token || res.events.length === 0;
          token = res.continuationToken;
          if (drained) break;
        }
        if (!live) return;
        setRunning(true);
        timer = setTimeout(poll, POLL_MS);
      } catch (err) {
        if (live) setError(err instanceof Error ? err.message : String(err));
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [target]);

  const base = stackPath(props.org, props.project, props.stack);
  const info = target?.info;
  return (
    <Page title={`${props.org}/${props.project}/${props.stack}: ${label}`}>
      <Breadcrumbs
        items={[
          { href: '/', label: 'Stacks' },
          { href: base, label: `${props.project}/${props.stack}` },
          { label },
        ]}
      />
      <ErrorBox error={error} />
      {!target && !error && <Loading what="the update" />}
      {target && (
        <section class="card" aria-labelledby="summary-h">
          <h2 id="summary-h">Summary</h2>
          <dl class="facts">
            <dt>Kind</dt>
            <dd>{info?.kind ?? status?.kind ?? target.kind}</dd>
            <dt>Result</dt>
            <dd>
              {running ? (
                <span class="live">
                  <span aria-hidden="true">●</span> running
                </span>
              ) : (
                <span class={`result result-${info?.result ?? status?.result}`}>{info?.result ?? status?.result ?? '…'}</span>
              )}
            </dd>
            {info && (
              <>
                <dt>By</dt>
                <dd>{who(info)}</dd>
                <dt>Message</dt>
                <dd>{info.message || '—'}</dd>
                <dt>Started</dt>
                <dd>{when(info.startTime)}</dd>
                <dt>Duration</dt>
                <dd>{duration(info.startTime, info.endTime)}</dd>
                <dt>Changes</dt>
                <dd>
                  <Changes changes={info.resourceChanges} />
                </dd>
              </>
            )}
          </dl>
          {info && info.version > 1 && (
            <p>
              <a href={`${base}/diff?from=${info.version - 1}&to=${info.version}`}>What changed since #{info.version - 1}</a>
            </p>
          )}
        </section>
      )}
      {target && <EventLog lines={lines} running={running} />}
    </Page>
  );
}

function EventLog(props: { lines: LogLine[]; running: boolean }) {
  const end = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    if (follow && props.running) end.current?.scrollIntoView({ block: 'end' });
  }, [props.lines.length, follow, props.running]);
  return (
    <section class="card" aria-labelledby="log-h">
      <h2 id="log-h">Log</h2>
      {props.running && (
        <label class="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> Follow
          new lines
        </label>
      )}
      {/* role=log is a polite live region: new lines are announced as they arrive. */}
      <div class="log" role="log" aria-live="polite" aria-label="Engine events" tabIndex={0}>
        {props.lines.length === 0 && <p class="muted">{props.running ? 'Waiting for events…' : 'No events.'}</p>}
        {props.lines.map((l) => (
          <div key={l.sequence} class={`line line-${l.level}`}>
            <span class="ts">{new Date(l.timestamp * 1000).toISOString().slice(11, 19)}</span> {l.text}
          </div>
        ))}
        <div ref={end} />
      </div>
    </section>
  );
}

/** Which update the URL names: a history entry, or the update that holds the lease now. */
async function findTarget(p: StackName & { version?: number; previewId?: string }): Promise<Target> {
  if (p.previewId) return { updateId: p.previewId, kind: 'preview' };
  const version = p.version ?? NaN;
  if (!Number.isSafeInteger(version) || version < 1) throw new Error(`'${p.version}' is not a version`);
  const view = await get<StackView>(stackApi(p));
  if (version <= view.version) {
    // History is newest first with one entry per version, so the page holding `version` is known.
    const pageSize = 100;
    const page = Math.floor((view.version - version) / pageSize) + 1;
    const { updates } = await get<{ updates: UpdateInfo[] }>(stackApi(p, `/updates?pageSize=${pageSize}&page=${page}`));
    const info = updates.find((u) => u.version === version);
    if (info) return { updateId: info.updateID, info, kind: info.kind };
  }
  if (view.activeUpdate) {
    const status = await get<UpdateStatus>(stackApi(p, `/update/${encodeURIComponent(view.activeUpdate)}`));
    if (status.version === version || (status.version === undefined && status.status === 'running')) return { updateId: view.activeUpdate, kind: status.kind };
  }
  throw new Error(`${p.stack} has no update #${version}`);
}
