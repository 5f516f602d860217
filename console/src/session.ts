/** The signed-in user, shared by every page; `undefined` while loading, `null` when signed out. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleConfig, Role, Session } from './api.js';

export interface SessionState {
  session: Session | null | undefined;
  config: ConsoleConfig | undefined;
  refresh: () => Promise<void>;
}

export const SessionContext = createContext<SessionState>({ session: undefined, config: undefined, refresh: async () => {} });
export const useSession = () => useContext(SessionContext);

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** The caller's role in an org; a site admin is an admin everywhere (src/domain/roles.ts). */
export function roleIn(session: Session | null | undefined, org: string): Role | undefined {
  if (!session) return undefined;
  if (session.siteAdmin) return 'admin';
  return session.orgs[org];
}

export const atLeast = (role: Role | undefined, want: Role) => role !== undefined && RANK[role] >= RANK[want];
