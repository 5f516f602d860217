import { useState } from 'preact/hooks';
import { get, post, stackApi, type Deployment, type StackName } from '../api.js';
import { collectCiphertexts, fromBase64, presentValue } from '../secrets.js';
import { json } from '../format.js';
import { ErrorBox, Loading } from '../components.js';
import { useLoad } from '../hooks.js';

/** The stack's outputs (the root `pulumi:pulumi:Stack` resource's), secrets masked. */
export function Outputs(props: { name: StackName; canReveal: boolean }) {
  const state = useLoad(() => get<Deployment>(stackApi(props.name, '/export')), [stackApi(props.name)]);
  const root = state.data?.deployment.resources?.find((r) => r.type === 'pulumi:pulumi:Stack');
  const outputs = root?.outputs ?? {};
  const ciphertexts = [...collectCiphertexts(outputs)];
  const [revealed, setRevealed] = useState<Map<string, string>>();
  const [error, setError] = useState<string>();

  const reveal = async () => {
    setError(undefined);
    try {
      // One batch for every secret output; the server checks the caller may decrypt (member+).
      const res = await post<{ plaintexts: Record<string, string> }>(stackApi(props.name, '/batch-decrypt'), {
        ciphertexts,
      });
      setRevealed(new Map(Object.entries(res.plaintexts).map(([c, p]) => [c, fromBase64(p)])));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="outputs-h" class="card">
      <h2 id="outputs-h">Outputs</h2>
      <ErrorBox error={state.error && !/not found|404/.test(state.error) ? state.error : undefined} />
      {state.loading && !state.data ? (
        <Loading what="outputs" />
      ) : Object.keys(outputs).length === 0 ? (
        <p class="muted">No outputs.</p>
      ) : (
        <>
          <table class="grid outputs">
            <caption class="sr-only">Stack outputs</caption>
            <tbody>
              {Object.entries(outputs).map(([k, v]) => {
                const shown = presentValue(v, revealed);
                return (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td>
                      <code class="value">{typeof shown === 'string' ? shown : json(shown)}</code>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {ciphertexts.length > 0 &&
            props.canReveal &&
            (revealed ? (
              <button type="button" onClick={() => setRevealed(undefined)}>
                Hide secrets
              </button>
            ) : (
              <button type="button" onClick={reveal}>
                Reveal secrets
              </button>
            ))}
          <ErrorBox error={error} />
        </>
      )}
    </section>
  );
}
