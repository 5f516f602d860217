/**
 * One operation (up, preview, refresh, destroy) on one stack, in a process of its own: run as
 * `node --import tsx program-runner.ts REQUEST.json` by ProgramStack (pulumi.ts). It builds the
 * program from its ProgramRef, runs the operation through the automation API's inline program
 * (so the CLI it drives is the session's), writes the outcome to the request's result file and
 * exits — taking along whatever the program still had running when its CLI was killed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { LocalWorkspace, PulumiCommand } from '@pulumi/pulumi/automation/index.js';
import { loadProgram, type ProgramRef } from './program-ref.js';

export type Operation = 'up' | 'preview' | 'refresh' | 'destroy';

export interface RunRequest {
  op: Operation;
  /** The automation API's options for the operation (parallel, message, clearPendingCreates…). */
  options: Record<string, unknown>;
  stackName: string;
  projectName: string;
  workDir: string;
  envVars: Record<string, string>;
  /** A folder whose bin/pulumi is the CLI to drive. */
  commandRoot: string;
  secretsProvider?: string;
  program: ProgramRef;
  resultFile: string;
  /** Print the CLI's output on stdout as it comes (for a caller that follows it live). */
  streamOutput: boolean;
}

export type RunOutcome = { ok: true; result: unknown } | { ok: false; error: string };

async function main(requestFile: string): Promise<void> {
  const request = JSON.parse(await readFile(requestFile, 'utf8')) as RunRequest;
  let outcome: RunOutcome;
  try {
    const pulumiCommand = await PulumiCommand.get({ root: request.commandRoot, skipVersionCheck: true });
    const stack = await LocalWorkspace.selectStack(
      { stackName: request.stackName, projectName: request.projectName, program: await loadProgram(request.program) },
      {
        pulumiCommand,
        envVars: request.envVars,
        workDir: request.workDir,
        ...(request.secretsProvider && { secretsProvider: request.secretsProvider }),
      },
    );
    const options = request.streamOutput
      ? { ...request.options, onOutput: (chunk: string) => process.stdout.write(chunk) }
      : request.options;
    const result = await stack[request.op](options);
    // What the tests read: stdout/stderr, summary, outputs, changeSummary — all plain data.
    outcome = { ok: true, result: JSON.parse(JSON.stringify(result)) as unknown };
  } catch (err) {
    outcome = { ok: false, error: String(err) };
  }
  await writeFile(request.resultFile, JSON.stringify(outcome));
}

const requestFile = process.argv[2];
if (!requestFile) {
  console.error('usage: program-runner.ts REQUEST.json');
  process.exit(2);
}
main(requestFile).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
