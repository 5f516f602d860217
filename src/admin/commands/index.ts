/**
 * The admin subcommands of `fulmar`, in the order `fulmar help` lists them (README, "Operating
 * it"). Each one is configured exactly like a pod and works through the same protocols.
 */
import type { AdminCommand } from '../command.js';
import { memberList, memberRemove, memberSet, orgCreate } from './org.js';
import { tokenCreate, tokenList, tokenListAlias, tokenRevoke } from './token.js';
import { leasesBreak, leasesList, rollbackCommand } from './stack-ops.js';
import { verifyCommand } from './verify.js';
import { gcCommand } from './gc.js';
import { adoptDiyCommand } from './adopt-diy.js';
import { backupCommand, restoreCommand } from './backup.js';

export const adminCommands: readonly AdminCommand[] = [
  verifyCommand,
  gcCommand,
  backupCommand,
  restoreCommand,
  adoptDiyCommand,
  rollbackCommand,
  leasesList,
  leasesBreak,
  orgCreate,
  memberSet,
  memberRemove,
  memberList,
  tokenCreate,
  tokenList,
  tokenListAlias,
  tokenRevoke,
];

/** The command whose words begin argv (the longest match), and the arguments after them. */
export function findCommand(argv: string[]): { command: AdminCommand; rest: string[] } | undefined {
  const matches = adminCommands.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length);
  const command = matches[0];
  return command && { command, rest: argv.slice(command.words.length) };
}
